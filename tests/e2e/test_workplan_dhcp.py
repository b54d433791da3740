"""Work plans on a real operation: playbooks/dhcp_sync.yml against the lab's Kea HA pair.

plan (check mode) -> approve -> apply: the plan lists the reservation changes the apply then makes
on both peers, and the report shows them matched. A reservation someone adds on the appliance
between plan and apply is removed by the apply and shows in the report as 計画外の変更.

The run happens in a snapshot of the project (a git repository of the tree as it is now, lab state
linked in), so that the plan's basis does not move while others edit the working tree.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
from appliance_helpers import LAB_SCOPES, PAIR, kea_clients, reservation_set, subnet_of, wait_ha
from conftest import lab_approver_args

pytestmark = [pytest.mark.lab, pytest.mark.slow]

VENV_BIN = ROOT / ".venv" / "bin"
SKIP = {".venv", ".git", "work", "__pycache__", ".pytest_cache", ".ruff_cache", ".ansible", "run"}
NEW = {"hostname": "prn-cityhall-6f-01", "mac": "02:4a:00:10:06:01", "ip": "198.18.100.26"}
STRAY = {"hostname": "unknown-device", "hw-address": "02:4a:00:99:00:01", "ip-address": "198.18.100.99"}
WINDOW = ("2026-12-16T18:30", "2026-12-16T19:30")  # a Wednesday evening, outside every service slot
HEALTHY = ("hot-standby",)


@pytest.fixture
def pair(lab, lab_vars):
    clients = kea_clients(lab_vars)
    wait_ha(clients, dict.fromkeys(PAIR, HEALTHY))
    saved = {host: clients[host].config_get() for host in PAIR}
    yield clients
    for host in PAIR:
        if clients[host].config_get() != saved[host]:
            clients[host].config_set(saved[host])
            clients[host].config_write()
    wait_ha(clients, dict.fromkeys(PAIR, HEALTHY), timeout=60)


def snapshot_project(base: Path) -> Path:
    """The project as it is now, committed in a git repository of its own under BASE, lab state linked in:
    plan and apply run there, so edits to the working tree in between cannot invalidate the plan."""
    project = base / "project"
    shutil.copytree(ROOT, project, ignore=lambda d, names: [n for n in names if n in SKIP])
    (project / "lab" / "run").symlink_to(os.environ.get("LAB_RUN", ROOT / "lab" / "run"))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "snapshot"]):
        subprocess.run(
            ["git", "-c", "user.email=ops@example.invalid", "-c", "user.name=ops", *args],
            cwd=project,
            check=True,
            capture_output=True,
        )
    return project


@pytest.fixture
def snapshot(tmp_path):
    return snapshot_project(tmp_path)


def ledger(tmp_path, *extra) -> Path:
    scopes = copy.deepcopy(LAB_SCOPES)
    scopes[0]["reservations"] += list(extra)
    path = tmp_path / "ledger.yml"
    path.write_text(yaml.safe_dump({"jichitai_dhcp_scopes": scopes}, allow_unicode=True))
    return path


def run(project, *args):
    env = os.environ | {
        "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "workplan",
        "JICHITAI_WORKPLAN_LAB": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    env.pop("JICHITAI_WORKPLAN_DIR", None)
    out = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "playbooks/dhcp_sync.yml", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.returncode, out.stdout + out.stderr


def plan(project, ledger_file, now="2026-12-01T10:00", *extra):
    """Plan (check mode with diff) with the ledger and EXTRA -e, then the lab approver signs it."""
    rc, text = run(
        project,
        "--check",
        "--diff",
        "-e",
        f"@{ledger_file}",
        *extra,
        "-e",
        f"workplan_window_start={WINDOW[0]}",
        "-e",
        f"workplan_window_end={WINDOW[1]}",
        "-e",
        f"workplan_now={now}",
    )
    assert rc == 0, text
    plan_id = re.search(r"work plan: (\S+)", text).group(1)
    folder = project / "work" / "plans" / plan_id
    subprocess.run(
        [
            *(str(ROOT / ".venv" / "bin" / "jichitai-ops"), "approve", plan_id),
            *lab_approver_args(project.parent),
            *("--digest", (folder / "plan.sha256").read_text().split()[0]),
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )
    return plan_id, folder, json.loads((folder / "plan.json").read_text())


def apply(project, ledger_file, plan_id, now="2026-12-16T18:40", *extra):
    return run(
        project,
        "--diff",
        "-e",
        f"@{ledger_file}",
        *extra,
        "-e",
        f"workplan_id={plan_id}",
        "-e",
        f"workplan_now={now}",
    )


def changes(records):
    return [
        (r["host"], r["task"], e["label"], d.get("header"))
        for r in records
        for e in r["entries"]
        if e["state"] == "changed"
        for d in e["diffs"]
    ]


def test_dhcp_sync_plan_matches_apply_and_a_stray_reservation_is_unplanned(pair, snapshot, tmp_path):
    wanted = ledger(tmp_path, NEW)
    plan_id, folder, plan_data = plan(snapshot, wanted)
    planned = changes(plan_data["tasks"])
    assert ("dhcp01", "dhcp_sync : Make each scope's reservations on both peers match the ledger") in {
        p[:2] for p in planned
    }
    assert any(NEW["mac"] in (p[3] or "") for p in planned), planned
    assert all(NEW["mac"] not in str(reservation_set(pair[h])) for h in PAIR)  # check mode changed nothing
    assert "prn-cityhall-6f-01" in (folder / "plan.md").read_text()
    assert plan_data["affected"]["segments"] == [{"id": "lgwan", "name": "LGWAN接続系"}]
    # the lab's one scope is at city hall: the plan names the services given there, not Dainichi's
    assert [s["id"] for s in plan_data["affected"]["service_sites"]] == ["cityhall"]
    slot_ids = [s["id"] for s in plan_data["affected"]["slots"]]
    assert "resident_counter_sundays" in slot_ids and "resident_certificates_daily" not in slot_ids
    before = {h: reservation_set(pair[h]) for h in PAIR}

    rc, text = apply(snapshot, wanted, plan_id)
    assert rc == 0, text
    # the plan never says less than the truth: each peer whose state the apply changed is marked changed,
    # though the one call that changes both ran for dhcp01 alone
    really_changed = sorted(h for h in PAIR if reservation_set(pair[h]) != before[h])
    assert really_changed == sorted(PAIR)
    assert plan_data["summary"]["hosts_with_changes"] == really_changed
    report = json.loads((folder / "report.json").read_text())
    assert report["verdict"] == "ok", [r for r in report["rows"] if r["flag"]]
    assert [r["verdict"] for r in report["rows"]] == ["matched"]
    for host in PAIR:
        assert (NEW["mac"], NEW["ip"], NEW["hostname"]) in reservation_set(pair[host])

    # now the pair matches the ledger: the next plan changes nothing; someone adds a reservation by hand
    second_id, second, second_plan = plan(snapshot, wanted, now="2026-12-02T10:00")
    assert changes(second_plan["tasks"]) == []
    wait_ha(pair, dict.fromkeys(PAIR, HEALTHY), timeout=60)
    for host in PAIR:
        config = pair[host].config_get()
        subnet = subnet_of(pair[host])
        for candidate in config["Dhcp4"]["subnet4"]:
            if candidate["id"] == subnet["id"]:
                candidate.setdefault("reservations", []).append(dict(STRAY))
        pair[host].config_set(config)
    wait_ha(pair, dict.fromkeys(PAIR, HEALTHY), timeout=60)
    rc, text = apply(snapshot, wanted, second_id)
    assert rc == 0, text
    report = json.loads((second / "report.json").read_text())
    assert report["verdict"] == "review"
    assert [r["verdict"] for r in report["rows"]] == ["unplanned"]
    assert STRAY["hw-address"] in json.dumps(report["unplanned"][0]["actual_diffs"])
    heading = "### ⚠ dhcp01 — DHCP 予約を IP アドレス台帳に合わせる（2 台とも）"  # the task's Japanese label
    assert heading in (second / "report.md").read_text()
    for host in PAIR:
        assert STRAY["hw-address"] not in str(reservation_set(pair[host]))
