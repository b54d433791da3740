"""The liveness sweep on the lab: every host of the lab inventory answers its checks through the
module; a namespace host that is stopped is CRITICAL and named, and only it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml
from conftest import LAB_DIR, LAB_INVENTORY, REPO, VENV_BIN

pytestmark = pytest.mark.lab

HOSTS_COMPONENT = LAB_DIR / "components" / "60-hosts.sh"
STOPPED = "mail01"

PLAY = [{
    "name": "liveness sweep of the lab",
    "hosts": "dhcp01",  # any host the controller runs locally (ansible_connection local)
    "gather_facts": False,
    "tasks": [{
        "name": "sweep every host",
        "liveness_sweep": {"targets": "{{ groups['all'] | sweep_targets(hostvars) }}", "timeout": 2},
        "register": "sweep",
    }],
}]


def run_sweep(tmp_path) -> dict:
    playbook = tmp_path / "sweep.yml"
    playbook.write_text(yaml.safe_dump(PLAY, allow_unicode=True))
    env = os.environ | {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(LAB_INVENTORY), str(playbook)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["dhcp01"]
    assert result["changed"] is False
    return result


def not_ok(result: dict) -> dict:
    return {t["name"]: [c["detail"] for c in t["checks"] if c["state"] != "OK"]
            for t in result["targets"] if t["state"] != "OK"}


def host_power(action: str, name: str) -> None:
    proc = subprocess.run(["bash", str(HOSTS_COMPONENT), action, name], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_lab_answers_then_a_stopped_host_is_critical_and_named(lab, tmp_path):
    healthy = run_sweep(tmp_path)
    names = {t["name"] for t in healthy["targets"]}
    assert {"ad01", "dhcp01", "ups01", "ups04", "backup01", STOPPED, "gw-cityhall", "gw-gesui"} <= names
    assert not_ok(healthy) == {}
    assert healthy["down"] == []
    kinds = {c["type"] for t in healthy["targets"] for c in t["checks"]}
    assert kinds == {"tcp", "tls", "icmp"}
    ad01 = next(t for t in healthy["targets"] if t["name"] == "ad01")
    assert ad01["checks"][0]["cert_days_left"] > 0  # LDAPS certificate verified against the lab CA

    host_power("stop-host", STOPPED)
    try:
        broken = run_sweep(tmp_path)
    finally:
        host_power("start-host", STOPPED)
    assert broken["down"] == [STOPPED]
    target = next(t for t in broken["targets"] if t["name"] == STOPPED)
    assert target["state"] == "CRITICAL" and target["state_code"] == 2
    assert target["checks"][0]["attempts"] == 2
    assert list(not_ok(broken)) == [STOPPED]
