"""IP-ledger and α-model filters (filter_plugins/ip_ledger.py) on hand-made records."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ip_ledger", ROOT / "filter_plugins" / "ip_ledger.py")
ip_ledger = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ip_ledger)
FilterError = ip_ledger.AnsibleFilterError

SEGMENTS = {
    "lgwan": {"subnets": ["10.10.0.0/16", "10.11.0.0/16"]},
    "internet": {"subnets": ["172.20.0.0/16"]},
    "mynumber": {"subnets": ["192.168.50.0/24"]},
}
SITES = [
    {"id": "cityhall", "network": "10.10.0.0/16"},
    {"id": "dainichi", "network": "10.11.2.0/24"},
]


def rec(name, address, segment="lgwan", groups=None, mac=None, site="cityhall", source=None):
    return {
        "name": name,
        "address": address,
        "mac": mac,
        "segment": segment,
        "segment_groups": [f"segment_{segment}"] if groups is None else groups,
        "site": site,
        "source": source or "hosts.yml",
    }


def messages(problems):
    return [f"{p['name']}: {p['message']}" for p in problems]


# --- segment_violations -------------------------------------------------------------------------
def test_clean_records_have_no_segment_problem():
    records = [
        rec("ad01", "10.10.1.11"),
        rec("fs-inet01", "172.20.1.11", "internet"),
        rec("mn", "192.168.50.11", "mynumber"),
    ]
    assert ip_ledger.segment_violations(records, SEGMENTS) == []


def test_host_in_two_segments_and_in_none():
    records = [
        rec("fs01", "10.10.1.41", groups=["segment_internet", "segment_lgwan"]),
        rec("lost01", "10.10.1.99", groups=[]),
    ]
    assert messages(ip_ledger.segment_violations(records, SEGMENTS)) == [
        "fs01: must be in exactly one segment group, is in 2 (segment_internet, segment_lgwan)",
        "lost01: must be in exactly one segment group, is in 0 (none)",
    ]


def test_address_outside_its_segment():
    records = [
        rec("ad02", "172.20.1.99"),
        rec("lgnb0001", "192.168.50.77", source="pc_assets.csv line 2"),
        rec("mnapp01", "10.10.1.5", "mynumber"),
    ]
    problems = ip_ledger.segment_violations(records, SEGMENTS)
    assert messages(problems) == [
        "ad02: address 172.20.1.99 is outside segment lgwan (10.10.0.0/16, 10.11.0.0/16)",
        "lgnb0001: address 192.168.50.77 is outside segment lgwan (10.10.0.0/16, 10.11.0.0/16)",
        "mnapp01: address 10.10.1.5 is outside segment mynumber (192.168.50.0/24)",
    ]
    assert problems[1]["source"] == "pc_assets.csv line 2"


def test_declared_segment_must_match_the_group_and_exist():
    records = [
        rec("x1", "10.10.1.1", segment="lgwan", groups=["segment_internet"]),
        rec("x2", "10.10.1.2", segment="dmz", groups=["segment_dmz"]),
        rec("x3", "10.10.1.3", segment=None, groups=["segment_lgwan"]),
    ]
    assert messages(ip_ledger.segment_violations(records, SEGMENTS)) == [
        "x1: jichitai_segment is lgwan but the host is in segment_internet",
        "x2: jichitai_segment 'dmz' is not a segment of jichitai_segments",
        "x3: jichitai_segment is not set",
    ]


def test_missing_and_malformed_addresses():
    records = [rec("a", None), rec("b", "gw.example"), rec("c", "10.10.1.300")]
    assert messages(ip_ledger.segment_violations(records, SEGMENTS)) == [
        "a: has no address (ansible_host or jichitai_address)",
        "b: address 'gw.example' is not an IP address",
        "c: address '10.10.1.300' is not an IP address",
    ]


def test_segments_policy_must_be_usable():
    with pytest.raises(FilterError, match="empty"):
        ip_ledger.segment_violations([], {})
    with pytest.raises(FilterError, match="lgwan"):
        ip_ledger.segment_violations([], {"lgwan": {"subnets": ["10.10.0.0/33"]}})


# --- site_network_violations --------------------------------------------------------------------
def test_lgwan_address_outside_its_site_network():
    records = [
        rec("gw-dainichi", "10.11.2.1", site="dainichi"),
        rec("lgnb0002", "10.10.1.11", site="dainichi", source="pc_assets.csv line 3"),
        rec("twpc0001", "172.20.64.11", "internet", site="dainichi"),  # not LGWAN: not checked
        rec("odd", "10.11.9.9", site="nowhere"),
    ]
    assert messages(ip_ledger.site_network_violations(records, SITES)) == [
        "lgnb0002: address 10.10.1.11 is outside the network of site dainichi (10.11.2.0/24)",
        "odd: site 'nowhere' is not in jichitai_sites",
    ]


def test_site_with_several_networks():
    sites = [{"id": "lab", "network": "198.19.0.0/24", "networks": ["198.18.10.0/24"]}]
    records = [rec("a", "198.18.10.20", site="lab"), rec("b", "198.18.20.5", site="lab")]
    assert messages(ip_ledger.site_network_violations(records, sites)) == [
        "b: address 198.18.20.5 is outside the network of site lab (198.18.10.0/24, 198.19.0.0/24)"
    ]


# --- duplicate_values ---------------------------------------------------------------------------
def test_duplicate_addresses_name_every_holder():
    records = [
        rec("ad01", "10.10.1.11"),
        rec("lgnb0002", "10.10.1.11", source="pc_assets.csv line 3"),
        rec("fs01", "10.10.1.41"),
    ]
    assert messages(ip_ledger.duplicate_values(records, "address")) == [
        "ad01: IP address 10.10.1.11 also used by lgnb0002 (pc_assets.csv line 3)",
        "lgnb0002: IP address 10.10.1.11 also used by ad01 (hosts.yml)",
    ]


def test_duplicate_macs_in_different_notations():
    records = [
        rec("a", "10.10.1.1", mac="4C-52-62-00-00-01"),
        rec("b", "10.10.1.2", mac="4c52.6200.0001"),
        rec("c", "10.10.1.3", mac="4c:52:62:00:00:02"),
        rec("d", "10.10.1.4", mac=None),
    ]
    assert messages(ip_ledger.duplicate_values(records, "mac")) == [
        "a: MAC address 4c:52:62:00:00:01 also used by b (hosts.yml)",
        "b: MAC address 4c:52:62:00:00:01 also used by a (hosts.yml)",
    ]


def test_duplicate_names_ignore_case():
    records = [rec("LGNB0001", "10.10.1.1"), rec("lgnb0001", "10.10.1.2"), rec("prn-x-01", "10.10.1.3")]
    assert len(ip_ledger.duplicate_values(records, "name")) == 2


def test_no_duplicates_and_bad_key():
    assert ip_ledger.duplicate_values([rec("a", "10.10.1.1"), rec("b", "10.10.1.2")], "address") == []
    with pytest.raises(FilterError, match="key"):
        ip_ledger.duplicate_values([], "serial")


# --- dhcp_reservation_violations ----------------------------------------------------------------
def scope(reservations, subnet="10.11.2.0/24", start="10.11.2.100", end="10.11.2.250", name="dainichi-pc"):
    return {
        "name": name,
        "subnet": subnet,
        "pool": {"start": start, "end": end},
        "reservations": reservations,
    }


def res(host, ip, mac):
    return {"hostname": host, "ip": ip, "mac": mac}


def test_good_scope_has_no_problem():
    records = [rec("lgdt0001", "10.11.2.50", mac="90:1b:0e:00:00:02", site="dainichi")]
    scopes = [scope([res("lgdt0001", "10.11.2.50", "90-1B-0E-00-00-02")])]
    assert ip_ledger.dhcp_reservation_violations(scopes, records) == []


def test_reservations_inside_pool_outside_subnet_and_malformed():
    scopes = [
        scope(
            [
                res("a", "10.11.2.120", "90:1b:0e:00:00:01"),  # inside the dynamic pool
                res("b", "10.11.3.50", "90:1b:0e:00:00:02"),  # outside the subnet
                res("c", "10.11.2.0", "90:1b:0e:00:00:03"),  # network address
                res("d", "10.11.2.51", "not-a-mac"),
                res("e", "10.11.2.52", "90:1b:0e:00:00:01"),  # MAC already reserved by a
                res("a", "10.11.2.53", "90:1b:0e:00:00:05"),  # host already reserved
            ]
        )
    ]
    assert messages(ip_ledger.dhcp_reservation_violations(scopes)) == [
        "a: reservation 10.11.2.120 is inside the dynamic pool 10.11.2.100-10.11.2.250",
        "b: reservation 10.11.3.50 is outside the usable addresses of 10.11.2.0/24",
        "c: reservation 10.11.2.0 is outside the usable addresses of 10.11.2.0/24",
        "d: reservation MAC 'not-a-mac' is not a MAC address",
        "e: mac 90:1b:0e:00:00:01 already reserved by reservation 1",
        "a: hostname a already reserved by reservation 1",
    ]


def test_reservations_must_agree_with_the_ledger():
    records = [
        rec("lgdt0001", "10.11.2.50", mac="90:1b:0e:00:00:02", source="pc_assets.csv line 3"),
        rec("gw-dainichi", "10.11.2.1", site="dainichi"),
    ]
    scopes = [
        scope(
            [
                res("LGDT0001", "10.11.2.60", "90:1b:0e:00:00:09"),  # host of the ledger, other address/MAC
                res(
                    "prj-dainichi-01", "10.11.2.61", "90:1b:0e:00:00:0a"
                ),  # device outside the inventory: fine
                res("prn-x", "10.11.2.50", "90:1b:0e:00:00:02"),  # takes lgdt0001's address and MAC
            ]
        )
    ]
    assert messages(ip_ledger.dhcp_reservation_violations(scopes, records)) == [
        "LGDT0001: reserves 10.11.2.60 but LGDT0001 has 10.11.2.50 (pc_assets.csv line 3)",
        "LGDT0001: reserves MAC 90:1b:0e:00:00:09 but LGDT0001 has 90:1b:0e:00:00:02 (pc_assets.csv line 3)",
        "prn-x: reserves 10.11.2.50, the address of lgdt0001 (pc_assets.csv line 3)",
        "prn-x: reserves MAC 90:1b:0e:00:00:02 of lgdt0001 (pc_assets.csv line 3)",
    ]


def test_scopes_are_collected_once_from_the_hosts_that_carry_them():
    shared = [scope([]), scope([], subnet="10.11.3.0/24", name="suidokyoku-pc")]
    hostvars = {
        "dhcp01": {"jichitai_dhcp_scopes": shared},
        "dhcp02": {"jichitai_dhcp_scopes": shared},
        "ad01": {},
    }
    assert ip_ledger.ip_ledger_dhcp_scopes(hostvars, ["ad01", "dhcp01", "dhcp02"]) == shared


def test_bad_pool_bad_subnet_and_overlapping_scopes():
    scopes = [
        scope([], start="10.11.2.200", end="10.11.2.100"),
        scope([], name="other", start="10.11.2.100", end="10.11.3.10"),
        scope([], name="broken", subnet="10.11.4.0/33"),
    ]
    assert messages(ip_ledger.dhcp_reservation_violations(scopes)) == [
        "dainichi-pc: pool 10.11.2.200-10.11.2.100 is not a range",
        "other: subnet 10.11.2.0/24 overlaps scope dainichi-pc (10.11.2.0/24)",
        "other: pool 10.11.2.100-10.11.3.10 is not inside subnet 10.11.2.0/24",
        "broken: subnet '10.11.4.0/33' is not a network",
    ]


# --- records and report -------------------------------------------------------------------------
def test_records_from_hostvars_include_printers_and_ledger_lines():
    hostvars = {
        "gw-suidokyoku": {
            "ansible_host": "10.11.3.1",
            "jichitai_segment": "lgwan",
            "jichitai_site": "suidokyoku",
            "group_names": ["appliance", "segment_lgwan", "site_suidokyoku"],
            "inventory_file": "/x/inventories/moriguchi/hosts.yml",
            "jichitai_printers": [
                {"name": "prn-suidokyoku-01", "address": "10.11.3.21", "mac": "64:eb:8c:03:00:01"}
            ],
        },
        "lgnb0001": {
            "ansible_host": "10.11.1.219",
            "jichitai_address": None,
            "jichitai_mac": "4c:52:62:a8:b6:b8",
            "jichitai_segment": "lgwan",
            "jichitai_site": "hoken_center",
            "group_names": ["pc_notebook", "segment_lgwan"],
            "jichitai_ledger_file": "pc_assets.csv",
            "jichitai_ledger_line": 2,
        },
        "ad01": {"ansible_host": "127.0.0.1", "jichitai_address": "198.18.10.11", "group_names": []},
    }
    records = ip_ledger.ip_ledger_records(hostvars, ["gw-suidokyoku", "lgnb0001", "ad01"])
    assert [(r["name"], r["address"], r["source"]) for r in records] == [
        ("gw-suidokyoku", "10.11.3.1", "hosts.yml"),
        ("prn-suidokyoku-01", "10.11.3.21", "hosts.yml gw-suidokyoku.jichitai_printers[1]"),
        ("lgnb0001", "10.11.1.219", "pc_assets.csv line 2"),
        ("ad01", "198.18.10.11", "inventory"),
    ]
    assert records[1]["segment_groups"] == ["segment_lgwan"]
    assert records[1]["mac"] == "64:eb:8c:03:00:01"


def test_report_sorts_by_file_line_and_name():
    problems = [
        {"source": "pc_assets.csv line 12", "name": "b", "message": "m2"},
        {"source": "hosts.yml", "name": "ad02", "message": "m3"},
        {"source": "pc_assets.csv line 3", "name": "a", "message": "m1"},
    ]
    assert ip_ledger.ip_ledger_report(problems) == [
        "hosts.yml: ad02: m3",
        "pc_assets.csv line 3: a: m1",
        "pc_assets.csv line 12: b: m2",
    ]
