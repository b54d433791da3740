"""The registers on the lab (REQUIREMENTS OPS-DOCS §6-3(4)③, OPS-ACCT §6-3(2)③): playbooks/registers.yml
against the real directory (Samba AD DC over LDAPS), the Kea pair and the NUT/SNMP UPSes.

One drill, phases in order, one report folder: the account register equals what an LDAPS search of
the test's own returns; the server list carries the Kea and UPS facts read live; a second run with
nothing changed shows no difference; after one account is moved to another department's OU (as a
personnel transfer does, with ldap3 here) the next run shows exactly that move. The account is moved
back afterwards whatever happens."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, VENV_BIN
from ldap3 import SUBTREE, Connection
from test_lab_ad import ldaps_server

pytestmark = pytest.mark.lab

MOVED = "u100002"  # a seeded staff account (lab/samba/sample_users.yml)
TARGET_OF = "u100005"  # the account whose OU it is moved into


def run(report_dir: Path) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "inventories/lab", "playbooks/registers.yml",
         "-e", f"registers_report_dir={report_dir}", "-e", '{"registers_diagram_formats": ["svg"]}'],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
        env=os.environ | {"ANSIBLE_FORCE_COLOR": "0"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    latest = json.loads((report_dir / "latest.json").read_text(encoding="utf-8"))
    record = json.loads((report_dir / latest["run"] / "registers.json").read_text(encoding="utf-8"))
    return proc, record


def register(record: dict, rid: str) -> dict:
    return next(r for r in record["registers"] if r["id"] == rid)


def ldap_accounts(conn: Connection, base: str) -> dict[str, dict]:
    conn.search(base, "(&(objectCategory=person)(objectClass=user))", SUBTREE,
                attributes=["sAMAccountName", "department", "userAccountControl", "memberOf"])  # fmt: skip
    found = {}
    for e in conn.entries:
        uac = int(e.userAccountControl.value or 512)
        found[str(e.sAMAccountName.value)] = {
            "dn": e.entry_dn,
            "enabled": not uac & 2,
            "groups": sorted(g.split(",")[0].split("=", 1)[1] for g in e.memberOf.values),
        }
    return found


@pytest.fixture(scope="module")
def ad(lab, lab_vars):
    return lab_vars("ad01")


@pytest.fixture(scope="module")
def conn(ad):
    c = Connection(ldaps_server(ad, ad["jichitai_ldap_ca_file"]), user=ad["jichitai_ldap_bind_dn"],
                   password=ad["jichitai_ldap_bind_password"], auto_bind=True)  # fmt: skip
    yield c
    c.unbind()


def test_registers_drill_directory_appliances_and_a_move(ad, conn, tmp_path):
    base = ad["jichitai_ldap_base_dn"]
    reports = tmp_path / "registers"

    # 1. the account register is what the directory says, account by account
    _proc, first = run(reports)
    accounts = register(first, "accounts")
    assert accounts["source"].startswith("Active Directory ldaps://")
    assert accounts["read_at"]
    rows = {r["account"]: r for r in accounts["rows"]}
    directory = ldap_accounts(conn, base)
    assert set(rows) == set(directory)
    for name, entry in directory.items():
        assert rows[name]["state"] == ("有効" if entry["enabled"] else "無効"), name
        assert rows[name]["groups"] == "、".join(entry["groups"]), name
    assert rows[MOVED]["ou"] and rows[MOVED]["ou"] != rows[TARGET_OF]["ou"]

    # the server list carries what the DHCP pair and the UPSes answered just now
    servers = {r["host"]: r for r in register(first, "servers")["rows"]}
    for peer in ("dhcp01", "dhcp02"):
        assert "冗長構成 hot-standby" in servers[peer]["settings"], servers[peer]
        assert "198.18.100.0/22" in servers[peer]["settings"]
        assert servers[peer]["measured"].startswith("状態 "), servers[peer]
    ups = [r for h, r in servers.items() if r["role"] == "UPS"]
    assert ups and all(r["measured"].startswith("状態 ") and "充電" in r["measured"] for r in ups), ups
    assert any("停止遅延" in r["settings"] for r in ups), ups
    assert first["first"] is True
    for name in ("overview", "logical", "physical", "relations"):
        svg = reports / first_run(reports) / "diagrams" / f"{name}.svg"
        assert svg.stat().st_size > 1000, svg

    # 2. nothing changed: no difference in any register or diagram
    _proc, second = run(reports)
    assert second["first"] is False
    assert second["total_changes"] == 0, [c for c in second["changes"] if c["count"]]
    assert second["diagram_changes"] == []

    # 3. one account moved to another department's OU (a transfer): the next run shows that move only
    moved_dn = directory[MOVED]["dn"]
    target_ou = directory[TARGET_OF]["dn"].split(",", 1)[1]
    rdn, old_ou = moved_dn.split(",", 1)
    assert conn.modify_dn(moved_dn, rdn, new_superior=target_ou), conn.result
    try:
        _proc, third = run(reports)
    finally:
        assert conn.modify_dn(f"{rdn},{target_ou}", rdn, new_superior=old_ou), conn.result
    change = next(c for c in third["changes"] if c["id"] == "accounts")
    assert change["added"] == [] and change["removed"] == []
    moved = [c for c in change["changed"] if c["column"] == "ou"]
    assert [c["key"] for c in moved] == [MOVED], change
    assert moved[0]["before"] == rows[MOVED]["ou"] and moved[0]["after"] == rows[TARGET_OF]["ou"]
    assert all(c["key"] == MOVED for c in change["changed"]), change
    others = [c for c in third["changes"] if c["id"] != "accounts" and c["count"]]
    assert others == [], others
    history = (reports / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(history) == 3 and json.loads(history[-1])["total"] == len(change["changed"])


def first_run(reports: Path) -> str:
    return sorted(p.name for p in reports.iterdir() if p.is_dir())[0]
