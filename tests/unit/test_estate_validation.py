"""playbooks/validate_inventory.yml on the reference estate and on broken copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

from estate_helpers import ESTATE, ROOT, ansible

PLAYBOOK = str(ROOT / "playbooks" / "validate_inventory.yml")
LEDGER = Path("ledgers") / "pc_assets.csv"


def run(inventory: Path):
    result = ansible("ansible-playbook", "-i", str(inventory), PLAYBOOK)
    return result.returncode, result.stdout + result.stderr


def copy_estate(tmp_path: Path) -> Path:
    target = tmp_path / "moriguchi"
    shutil.copytree(ESTATE, target, ignore=shutil.ignore_patterns("transfers"))
    return target


def edit(path: Path, old: str, new: str, count: int = 1, encoding: str = "utf-8") -> None:
    text = path.read_bytes().decode(encoding)
    assert old in text, f"{old!r} not in {path}"
    path.write_bytes(text.replace(old, new, count).encode(encoding))


def test_the_estate_passes():
    rc, out = run(ESTATE)
    assert rc == 0, out
    assert "1354 hosts and 1383 addresses checked in lgwan, internet, mynumber: no problem." in out


def test_a_broken_estate_fails_once_naming_every_offender(tmp_path):
    inv = copy_estate(tmp_path)
    hosts, ledger, scopes = inv / "hosts.yml", inv / LEDGER, inv / "group_vars" / "pair_dhcp.yml"
    edit(hosts, "ansible_host: 10.10.1.12\n", "ansible_host: 172.20.1.99\n")  # ad02 leaves its segment
    edit(
        hosts, "    segment_internet:\n      hosts:\n", "    segment_internet:\n      hosts:\n        fs01:\n"
    )
    edit(hosts, "address: 10.11.3.22,", "address: 10.11.3.21,")  # two printers on one address
    edit(ledger, "10.11.1.219", "192.168.50.77", encoding="utf-8-sig")  # line 2 into My Number space
    edit(ledger, "10.11.1.188", "10.10.1.11", encoding="utf-8-sig")  # line 3 takes ad01's address
    edit(scopes, "ip: 10.10.16.10}", "ip: 10.10.20.10}")  # a reservation inside the dynamic pool

    rc, out = run(inv)
    assert rc != 0
    assert out.count("fatal: [localhost]") == 1
    for expected in (
        "hosts.yml: ad02: address 172.20.1.99 is outside segment lgwan",
        "hosts.yml: fs01: must be in exactly one segment group, is in 2 (segment_internet,",
        "prn-suidokyoku-01: IP address 10.11.3.21 also used by prn-suidokyoku-02",
        "prn-suidokyoku-02: IP address 10.11.3.21 also used by prn-suidokyoku-01",
        "pc_assets.csv line 2: lgnb0001: address 192.168.50.77 is outside segment lgwan",
        "pc_assets.csv line 3: lgnb0002: IP address 10.10.1.11 also used by ad01 (hosts.yml)",
        "hosts.yml: ad01: IP address 10.10.1.11 also used by lgnb0002 (pc_assets.csv line",
        "cityhall-pc reservation 1: lgdt0011: reservation 10.10.20.10",
    ):
        assert expected in out.replace("\n        ", " "), expected


def test_a_bad_ledger_stops_the_run_naming_every_row(tmp_path):
    inv = copy_estate(tmp_path)
    ledger = inv / LEDGER
    edit(ledger, "10.11.1.188", "10.11.1.219", encoding="utf-8-sig")  # line 3 repeats line 2's IP
    edit(ledger, "4C-52-62-B6-F8-5C", "4C-52-62-B6-F8", encoding="utf-8-sig")  # line 5: bad MAC
    edit(ledger, "教育委員会事務局/学校教育課", "教育委員会/学務課", encoding="utf-8-sig")  # first school row

    rc, out = run(inv)
    assert rc != 0
    assert "PLAY [" not in out, "nothing may run on a bad ledger"
    flat = " ".join(out.split())
    assert "line 3: duplicate IPアドレス 10.11.1.219 (first on line 2)" in flat
    assert "line 5: MACアドレス '4C-52-62-B6-F8' is not a unicast MAC address" in flat
    assert "所属 '教育委員会/学務課' is not a department of organisation.yml" in flat
