"""Dirty asset and IP ledgers: addresses and names that cannot be hosts, Excel's scientific notation,
reservations left for disposed PCs, rows marked reserved without a reservation. Each is an error
naming the file and the line (or a warning where a person decides), and a bad ledger adds no host."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_inventory_asset_ledger import GOOD_ROWS, HEADER, csv_bytes, make_inventory, parse, parse_error

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ip_ledger_dirty", ROOT / "filter_plugins" / "ip_ledger.py")
ip_ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ip_ledger)

LEDGER = "ledgers/pc_assets.csv"


def row(**changes):
    """A good notebook row (10.10.20.5 at the city hall) with some fields changed."""
    fields = dict(zip(HEADER, GOOD_ROWS[0], strict=True))
    fields.update(changes)
    return [fields[h] for h in HEADER]


def with_status(rows, statuses):
    return [r + [s] for r, s in zip(rows, statuses, strict=True)]


# --- the asset_ledger inventory plugin ----------------------------------------------------------
@pytest.mark.parametrize(
    ("location", "ip", "expected"),
    [
        ("大日サービスコーナー", "10.11.2.0",
         "IPアドレス 10.11.2.0 is the network address of the site network 10.11.2.0/24"),
        ("大日サービスコーナー", "10.11.2.255",
         "IPアドレス 10.11.2.255 is the broadcast address of the site network 10.11.2.0/24"),
        ("守口市役所本庁舎 3階", "10.10.255.255",
         "IPアドレス 10.10.255.255 is the broadcast address of the site network 10.10.0.0/16"),
        ("守口市役所本庁舎 3階", "0.0.0.0", "IPアドレス 0.0.0.0 cannot be a host's address"),
        ("守口市役所本庁舎 3階", "255.255.255.255", "IPアドレス 255.255.255.255 cannot be a host's address"),
        ("守口市役所本庁舎 3階", "224.0.0.5", "IPアドレス 224.0.0.5 cannot be a host's address"),
    ],
)  # fmt: skip
def test_an_address_that_cannot_be_a_pc_is_named_with_its_line(tmp_path, location, ip, expected):
    rows = [GOOD_ROWS[1], row(設置場所=location, IPアドレス=ip)]
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert f"{LEDGER}: 1 problem(s), nothing loaded:\n  line 3: {expected}" in message


@pytest.mark.parametrize("name", ["12345", "0001", "202305110001"])
def test_an_all_digit_host_name_is_refused(tmp_path, name):
    message = parse_error(make_inventory(tmp_path, csv_bytes([row(ホスト名=name), GOOD_ROWS[1]])))
    assert (
        f"line 2: ホスト名 '{name}' is all digits, which Windows and DNS refuse as a computer name"
    ) in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("資産番号", "2.02305E+11"),
        ("資産番号", "2.02305e+11"),
        ("資産番号", "4E+12"),
        ("MACアドレス", "4.05262E+11"),
    ],
)
def test_excel_scientific_notation_is_refused_not_loaded(tmp_path, field, value):
    rows = [GOOD_ROWS[1], GOOD_ROWS[2], row(**{field: value})]
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert (
        f"line 4: {field} '{value}' is a number Excel turned into scientific notation "
        "(the original value is lost): re-export the ledger with this column as text"
    ) in message


def test_every_dirty_row_is_reported_at_once(tmp_path):
    rows = [
        row(資産番号="2.02305E+11"),
        row(資産番号="R05-NB-0009", ホスト名="99999", IPアドレス="10.10.20.9",
            MACアドレス="4C-52-62-00-00-09"),
        row(資産番号="R05-NB-0010", ホスト名="LGNB0010", 設置場所="大日サービスコーナー",
            IPアドレス="10.11.2.255", MACアドレス="4C-52-62-00-00-10"),
    ]  # fmt: skip
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows)))
    assert "3 problem(s), nothing loaded" in message
    assert [line.split(":")[0].strip() for line in message.splitlines()[1:]] == ["line 2", "line 3", "line 4"]


def test_a_disposed_pc_adds_no_host_and_is_published(tmp_path):
    disposed = row(
        資産番号="R01-NB-0001", ホスト名="LGNB0900", IPアドレス="", MACアドレス="4C-52-62-00-09-00"
    )
    rows = with_status([*GOOD_ROWS[:2], disposed], ["稼働", "", "廃棄済"])
    inventory = parse(make_inventory(tmp_path, csv_bytes(rows, HEADER + ["状態"])))
    assert sorted(inventory.hosts) == ["lgdt0001", "lgnb0001"]
    assert inventory.groups["all"].vars["jichitai_ledger_disposed"] == [
        {"asset_no": "R01-NB-0001", "name": "lgnb0900", "mac": "4c:52:62:00:09:00", "address": None,
         "source": "pc_assets.csv line 4"},
    ]  # fmt: skip


def test_a_disposed_pc_may_leave_its_name_to_a_new_pc_but_not_its_asset_number(tmp_path):
    rows = with_status(
        [row(資産番号="R01-NB-0001", MACアドレス="4C-52-62-00-09-00"), GOOD_ROWS[0], GOOD_ROWS[0]],
        ["廃棄", "稼働", "廃棄"],
    )
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows, HEADER + ["状態"])))
    assert "1 problem(s)" in message
    assert "line 4: duplicate 資産番号 R05-NB-0001 (first on line 3)" in message


def test_an_unknown_status_is_refused(tmp_path):
    rows = with_status(GOOD_ROWS[:2], ["稼働", "リース切れ"])
    message = parse_error(make_inventory(tmp_path, csv_bytes(rows, HEADER + ["状態"])))
    assert (
        "line 3: 状態 'リース切れ' is unknown (known: 稼働, 使用中, 予備, 保管, 廃棄, 廃棄済, 返却済)"
        in message
    )


# --- the IP ledger filters ----------------------------------------------------------------------
def rec(name, address, mac=None, assignment="dynamic", site="cityhall", line=2):
    return {"name": name, "address": address, "mac": mac, "segment": "lgwan",
            "segment_groups": ["segment_lgwan"], "site": site, "source": f"pc_assets.csv line {line}",
            "ip_assignment": assignment}  # fmt: skip


SCOPE = {
    "name": "cityhall-pc",
    "subnet": "10.10.16.0/20",
    "pool": {"start": "10.10.20.1", "end": "10.10.31.254"},
}
DISPOSED = [{"asset_no": "R01-DT-0007", "name": "lgdt0007", "mac": "90:1b:0e:00:00:07", "address": None,
             "source": "pc_assets.csv line 40"}]  # fmt: skip


def report(problems):
    return ip_ledger.ip_ledger_report(problems)


def test_a_reservation_left_for_a_disposed_pc_is_an_error_by_name_and_by_mac():
    scope = dict(SCOPE, reservations=[
        {"hostname": "lgdt0007", "mac": "90:1b:0e:aa:aa:aa", "ip": "10.10.16.7"},
        {"hostname": "prn-old", "mac": "90-1B-0E-00-00-07", "ip": "10.10.16.8"},
    ])  # fmt: skip
    assert report(ip_ledger.dhcp_reservation_violations([scope], [], DISPOSED)) == [
        "jichitai_dhcp_scopes cityhall-pc reservation 1: "
        "lgdt0007: reserves for a disposed PC (name of lgdt0007, "
        "asset R01-DT-0007, pc_assets.csv line 40): remove the reservation from jichitai_dhcp_scopes",
        "jichitai_dhcp_scopes cityhall-pc reservation 2: prn-old: reserves for a disposed PC (MAC "
        "90:1b:0e:00:00:07 of lgdt0007, asset R01-DT-0007, pc_assets.csv line 40): remove the reservation "
        "from jichitai_dhcp_scopes",
    ]


def test_a_new_pc_that_took_a_disposed_name_keeps_its_reservation():
    scope = dict(
        SCOPE, reservations=[{"hostname": "lgdt0007", "mac": "90:1b:0e:bb:bb:bb", "ip": "10.10.16.7"}]
    )
    records = [rec("lgdt0007", "10.10.16.7", "90:1b:0e:bb:bb:bb", "reserved")]
    assert ip_ledger.dhcp_reservation_violations([scope], records, DISPOSED) == []


def test_a_row_marked_reserved_without_its_reservation_is_an_error():
    scope = dict(
        SCOPE, reservations=[{"hostname": "lgdt0011", "mac": "90:1b:0e:00:00:11", "ip": "10.10.16.10"}]
    )
    records = [
        rec("lgdt0011", "10.10.16.10", "90:1b:0e:00:00:11", "reserved", line=12),
        rec("lgdt0012", "10.10.16.11", "90:1b:0e:00:00:12", "reserved", line=13),
        rec("lgdt0013", "10.10.16.12", "90:1b:0e:00:00:13", "reserved", line=14),
    ]
    assert report(ip_ledger.dhcp_reservation_violations([scope], records)) == [
        f"pc_assets.csv line {line}: {name}: is marked reserved (DHCP予約) in the ledger but no DHCP scope "
        f"reserves {ip} for it: add the reservation to jichitai_dhcp_scopes, or correct the ledger's IP割当"
        for line, name, ip in ((13, "lgdt0012", "10.10.16.11"), (14, "lgdt0013", "10.10.16.12"))
    ]


def test_a_reservation_for_a_pc_whose_row_says_dhcp_or_static_is_a_warning():
    scope = dict(SCOPE, reservations=[
        {"hostname": "lgnb0001", "mac": "4c:52:62:00:00:01", "ip": "10.10.16.20"},
        {"hostname": "lgnb0002", "mac": "4c:52:62:00:00:02", "ip": "10.10.16.21"},
    ])  # fmt: skip
    records = [
        rec("lgnb0001", "10.10.16.20", "4c:52:62:00:00:01", "dynamic", line=2),
        rec("lgnb0002", "10.10.16.21", "4c:52:62:00:00:02", "static", line=3),
    ]
    found = ip_ledger.dhcp_reservation_violations([scope], records)
    assert [p.get("severity") for p in found] == ["warning", "warning"]
    assert report(found) == [
        "jichitai_dhcp_scopes cityhall-pc reservation 1: lgnb0001: "
        "reserves 10.10.16.20 for lgnb0001, whose ledger "
        "row (pc_assets.csv line 2) says DHCP, not DHCP予約: correct the ledger or remove the reservation",
        "jichitai_dhcp_scopes cityhall-pc reservation 2: lgnb0002: "
        "reserves 10.10.16.21 for lgnb0002, whose ledger "
        "row (pc_assets.csv line 3) says 固定, not DHCP予約: correct the ledger or remove the reservation",
    ]


@pytest.mark.parametrize(("address", "which"), [("10.10.16.0", "network"), ("10.10.31.255", "broadcast")])
def test_a_host_on_a_scope_network_or_broadcast_address_is_an_error(address, which):
    found = ip_ledger.dhcp_reservation_violations(
        [dict(SCOPE, reservations=[])], [rec("lgnb0005", address, line=7)]
    )
    assert report(found) == [
        f"pc_assets.csv line 7: lgnb0005: address {address} "
        f"is the {which} address of DHCP scope 10.10.16.0/20"
    ]


def test_a_host_on_its_site_network_broadcast_address_is_an_error():
    sites = [{"id": "dainichi", "network": "10.11.2.0/24"}]
    found = ip_ledger.site_network_violations(
        [rec("lgdt0001", "10.11.2.255", site="dainichi", line=9)], sites
    )
    assert report(found) == [
        "pc_assets.csv line 9: lgdt0001: address 10.11.2.255 is "
        "the broadcast address of site dainichi (10.11.2.0/24)"
    ]


# --- the whole check, as playbooks/validate_inventory.yml runs it ---------------------------------
def test_validate_inventory_fails_once_naming_each_row_and_lists_the_warnings(tmp_path):
    """A disposed PC's reservation and a reserved row without its reservation fail the check with the
    ledger file and line; a reservation for a PC marked DHCP is listed as a warning."""
    estate = ROOT / "inventories" / "moriguchi"
    rows = with_status(
        [
            row(資産番号="R05-DT-0011", ホスト名="LGDT0011", IPアドレス="10.10.16.10",
                MACアドレス="90:1b:0e:00:00:11", IP割当="DHCP予約"),
            row(資産番号="R05-DT-0012", ホスト名="LGDT0012", IPアドレス="10.10.16.11",
                MACアドレス="90:1b:0e:00:00:12", IP割当="DHCP予約"),
            row(資産番号="R05-NB-0013", ホスト名="LGNB0013", IPアドレス="10.10.16.12",
                MACアドレス="4c:52:62:00:00:13"),
            row(資産番号="R01-DT-0007", ホスト名="LGDT0007", IPアドレス="", MACアドレス="90:1b:0e:00:00:07"),
        ],
        ["稼働", "稼働", "稼働", "廃棄済"],
    )  # fmt: skip
    config = make_inventory(tmp_path, csv_bytes(rows, HEADER + ["状態"]))
    (tmp_path / "hosts.yml").write_text(
        "all:\n  children:\n    pair_dhcp:\n      hosts:\n        dhcp01: {ansible_host: 10.10.1.21, "
        "jichitai_segment: lgwan, jichitai_site: cityhall}\n"
        "    segment_lgwan:\n      hosts:\n        dhcp01:\n",
        encoding="utf-8",
    )
    (tmp_path / "group_vars" / "pair_dhcp.yml").write_text(
        "jichitai_dhcp_scopes:\n  - name: cityhall-pc\n    subnet: 10.10.16.0/20\n"
        "    pool: {start: 10.10.20.1, end: 10.10.31.254}\n    reservations:\n"
        "      - {hostname: lgdt0011, mac: '90:1b:0e:00:00:11', ip: 10.10.16.10}\n"
        "      - {hostname: lgnb0013, mac: '4c:52:62:00:00:13', ip: 10.10.16.12}\n"
        "      - {hostname: lgdt0007, mac: '90:1b:0e:00:00:07', ip: 10.10.16.30}\n",
        encoding="utf-8",
    )
    shutil.copy(estate.parent.parent / "ansible.cfg", tmp_path / "ansible.cfg")
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), "-i", str(config),
         str(ROOT / "playbooks" / "validate_inventory.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env=os.environ | {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"},
    )  # fmt: skip
    text = " ".join((out.stdout + out.stderr).split())
    assert out.returncode != 0, text
    assert "IP ledger / α model: 2 problem(s)" in text
    assert (
        "jichitai_dhcp_scopes cityhall-pc reservation 3: "
        "lgdt0007: reserves for a disposed PC (name of lgdt0007, "
        "asset R01-DT-0007, pc_assets.csv line 5): remove the reservation from jichitai_dhcp_scopes"
    ) in text
    assert (
        "pc_assets.csv line 3: lgdt0012: is marked reserved "
        "(DHCP予約) in the ledger but no DHCP scope reserves "
        "10.10.16.11 for it"
    ) in text
    assert (
        "'要確認 / to decide: 1 warning(s)' - 'jichitai_dhcp_scopes "
        "cityhall-pc reservation 2: lgnb0013: reserves "
        "10.10.16.12 for lgnb0013, whose ledger row (pc_assets.csv "
        "line 4) says DHCP, not DHCP予約: correct the "
        "ledger or remove the reservation'"
    ) in text
