"""Updates in waves on the lab's Debian hosts, for real (playbooks/patch_servers.yml, patch_clients.yml).

The five LGWAN and Internet namespace hosts start with the lab packages at 1.0 from the repository's
production snapshot; the newer snapshot is then approved (65-aptrepo.sh promote). One drill, in order:
the plan lists every host with the versions it will get; a host whose installs fail (a lab fault) stops
the run in its wave - the pilot ring - and is named, the hosts after it keep their old versions and the
status report says so host by host; once mended, the same hosts standing in for PCs (patch_clients.yml)
update and reboot while one switched off is recorded as not reached, not failed; the server run then
updates that one, and a second run changes nothing. Everything is put back as found.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import LAB_DIR, REPO

pytestmark = [pytest.mark.lab, pytest.mark.slow]

BIN = REPO / ".venv" / "bin"
APTREPO = LAB_DIR / "components" / "65-aptrepo.sh"
HOSTS = ["mail01", "xfer-lg01", "backup01", "mnxfer-lg01", "xfer-inet01"]  # wave order on the lab
PILOT = ["mail01", "xfer-lg01"]
BROKEN = "xfer-lg01"
PACKAGES = {"jichitai-lab-agent": ("1.0.0-1", "1.1.0-1"), "jichitai-lab-tools": ("1.0.0-1", "1.0.1-1")}
FIELDS = ("uris", "suites", "components", "signed_by")
SOURCE = json.dumps(
    {"name": "jichitai", "types": ["deb"]}
    | {f: f"{{{{ jichitai_apt_repositories[jichitai_segment].{f} }}}}" for f in FIELDS}
)


def aptrepo(*args: str) -> None:
    proc = subprocess.run(["bash", str(APTREPO), *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def host_power(action: str, host: str) -> None:
    env = os.environ | {"LAB_COMPONENT": "60-hosts"}
    proc = subprocess.run(["bash", str(LAB_DIR / "components" / "60-hosts.sh"), action, host],
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def ok(results: dict) -> dict:
    assert sorted(results) == sorted(HOSTS), results
    bad = {h: r.get("msg", r) for h, r in results.items() if r.get("failed") or r.get("unreachable")}
    assert not bad, bad
    return results


def versions(lab_ansible) -> dict[str, dict[str, str]]:
    query = "dpkg-query -W -f='${Package} ${Version}\\n' " + " ".join(PACKAGES)
    results = ok(lab_ansible(",".join(HOSTS), "ansible.builtin.shell", query))
    return {h: dict(line.split() for line in r["stdout"].splitlines()) for h, r in results.items()}


def at(which: int) -> dict[str, str]:
    return {name: pair[which] for name, pair in PACKAGES.items()}


def put_back(lab_ansible) -> None:
    for host in HOSTS:
        aptrepo("fix-host", host)
    aptrepo("reset")
    lab_ansible(",".join(HOSTS), "ansible.builtin.apt", f"name={','.join(PACKAGES)} state=absent purge=true")
    lab_ansible(",".join(HOSTS), "ansible.builtin.deb822_repository", "name=jichitai state=absent")
    lab_ansible(",".join(HOSTS), "ansible.builtin.file", "path=/run/reboot-required state=absent")


@pytest.fixture(scope="module")
def at_old_versions(lab, lab_ansible):
    put_back(lab_ansible)
    ok(lab_ansible(",".join(HOSTS), "ansible.builtin.deb822_repository", SOURCE))
    ok(lab_ansible(",".join(HOSTS), "ansible.builtin.apt", "update_cache=true"))
    pinned = ",".join(f"{n}={v}" for n, v in at(0).items())
    ok(lab_ansible(",".join(HOSTS), "ansible.builtin.apt", f"name={pinned} state=present"))
    assert versions(lab_ansible) == dict.fromkeys(HOSTS, at(0))
    aptrepo("promote")
    yield
    put_back(lab_ansible)


def patch_servers(
    tmp: Path, *args: str, playbook: str = "patch_servers"
) -> tuple[subprocess.CompletedProcess, Path]:
    reports = tmp / "reports"
    cmd = [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories" / "lab"),
           str(REPO / "playbooks" / f"{playbook}.yml"), "--diff", "-e", f"{playbook}_hosts=linux",
           "-e", f"patch_waves_report_dir={reports}", *args]  # fmt: skip
    if "--check" not in args:
        cmd += ["-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=patch lab drill"]
    env = os.environ | {"JICHITAI_WORKPLAN_LAB": "1", "JICHITAI_WORKPLAN_DIR": str(tmp / "plans"),
                        "ANSIBLE_FORCE_COLOR": "0"}  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=900, check=False)
    latest = sorted(reports.glob("*/patch_status.json"))
    return run, (latest[-1] if latest else reports / "none")


def results_of(report: Path) -> dict[str, str]:
    return {h["host"]: h["result"] for h in json.loads(report.read_text(encoding="utf-8"))["hosts"]}


def test_rings_stop_at_a_failing_host_a_pc_off_is_not_reached_then_all_update_and_stay_put(
    at_old_versions, lab_ansible, tmp_path
):
    plan_run, _ = patch_servers(tmp_path / "plan", "--check",
                                "-e", "workplan_window_start=2026-12-19T22:00",
                                "-e", "workplan_window_end=2026-12-20T05:00")  # fmt: skip
    assert plan_run.returncode == 0, plan_run.stdout[-4000:]
    plan = next((tmp_path / "plan" / "plans").glob("*/plan.md")).read_text(encoding="utf-8")
    assert "第1波 [先行適用] 業務・アプリケーションサーバ: mail01, xfer-lg01" in plan
    for host in HOSTS:
        assert f"{host} — 更新パッケージの適用（パッケージ＝版）" in plan, f"{host} missing from the plan"
    assert "jichitai-lab-agent 1.0.0-1 → 1.1.0-1" in plan and "jichitai-lab-tools 1.0.0-1 → 1.0.1-1" in plan
    assert versions(lab_ansible) == dict.fromkeys(HOSTS, at(0)), "check mode changed a host"

    aptrepo("break-host", BROKEN)
    halted, report = patch_servers(tmp_path / "halted")
    assert halted.returncode != 0
    assert f"{BROKEN} で更新に失敗しました。以降の波は実施しません" in halted.stdout + halted.stderr
    after = versions(lab_ansible)
    assert after["mail01"] == at(1), "the other host of the failing wave is updated"
    assert after[BROKEN] == at(0)
    assert all(after[h] == at(0) for h in HOSTS if h not in PILOT), (
        "a host after the failing wave was touched"
    )
    assert results_of(report) == {"mail01": "installed", BROKEN: "failed", "backup01": "not_reached",
                                  "mnxfer-lg01": "not_reached", "xfer-inet01": "not_reached"}  # fmt: skip

    aptrepo("fix-host", BROKEN)
    off = "backup01"  # the same hosts standing in for PCs: one is switched off
    host_power("stop-host", off)
    try:
        clients, report = patch_servers(tmp_path / "clients", "-e", "patch_waves_reach_timeout=10",
                                        playbook="patch_clients")  # fmt: skip
    finally:
        host_power("start-host", off)
    assert clients.returncode == 0, (clients.stdout + clients.stderr)[-4000:]
    assert results_of(report) == {"mail01": "up_to_date", off: "not_reached"} | {
        h: "installed" for h in HOSTS if h not in ("mail01", off)
    }
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["total"]["not_reached"] == 1 and summary["total"]["failed"] == 0

    applied, report = patch_servers(tmp_path / "apply")
    assert applied.returncode == 0, applied.stdout[-4000:]
    assert versions(lab_ansible) == dict.fromkeys(HOSTS, at(1))
    assert results_of(report) == {off: "installed"} | {h: "up_to_date" for h in HOSTS if h != off}
    flags = lab_ansible(",".join(HOSTS), "ansible.builtin.stat", "path=/run/reboot-required")
    assert not any(r["stat"]["exists"] for r in ok(flags).values()), "a host still asks for a reboot"

    again, report = patch_servers(tmp_path / "again")
    assert again.returncode == 0, again.stdout[-4000:]
    recap = [line for line in again.stdout.splitlines() if any(line.startswith(h + " ") for h in HOSTS)]
    assert len(recap) == len(HOSTS) and all("changed=0" in line for line in recap), recap
    assert set(results_of(report).values()) == {"up_to_date"}
