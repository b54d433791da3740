"""The outage playbooks refuse an inventory whose dependencies cannot be ordered (§6-3(8) OPS-OUTAGE).

Runs the real playbooks against a copy of the lab inventory with one dependency changed; the order
is computed before any host is contacted, so the lab need not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"


def inventory_copy(tmp_path: Path, **depends_on: list[str]) -> Path:
    copy = tmp_path / "inventories" / "lab"
    shutil.copytree(REPO / "inventories" / "lab", copy)
    hosts_file = copy / "hosts.yml"
    inventory = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    for group in inventory["all"]["children"].values():
        for name, hostvars in ((group or {}).get("hosts") or {}).items():
            if name in depends_on and hostvars:
                hostvars["jichitai_depends_on"] = depends_on[name]
    hosts_file.write_text(
        "---\n" + yaml.safe_dump(inventory, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return copy


def run(playbook: str, inventory: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = os.environ | {
        "ANSIBLE_CALLBACKS_ENABLED": "workplan",
        "JICHITAI_WORKPLAN_LAB": "1",
        "JICHITAI_WORKPLAN_DIR": str(tmp_path / "plans"),
        "ANSIBLE_VAULT_IDENTITY_LIST": f"lab@{inventory / '.vault-pass.lab'}",
    }
    cmd = [
        str(BIN / "ansible-playbook"), "-i", str(inventory), str(REPO / "playbooks" / playbook), "--diff",
        "-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=outage inventory test",
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=180, check=False)


@pytest.mark.parametrize("playbook", ["outage_shutdown.yml", "outage_startup.yml"])
def test_dependency_cycle_is_refused_with_the_cycle_named(tmp_path, playbook):
    # the AD pair needs the backup server, which needs the AD pair
    inventory = inventory_copy(tmp_path, ad01=["backup01"])
    result = run(playbook, inventory, tmp_path)
    assert result.returncode != 0
    assert "dependency cycle in jichitai_depends_on" in result.stdout
    assert "ad01+ad02 → backup01 → ad01+ad02" in result.stdout
    # only the credential pre-flight (on the controller, no host contacted) runs before the refusal
    prechecks = re.findall(r"TASK \[outage_precheck : ([^\]]*)\]", result.stdout)
    assert all("credentials" in task.lower() or "Credential" in task for task in prechecks), prechecks
    assert "TASK [outage_shutdown" not in result.stdout
    assert "TASK [outage_startup" not in result.stdout


def test_unknown_host_in_dependencies_is_refused_with_every_referrer(tmp_path):
    inventory = inventory_copy(tmp_path, mail01=["relay99"], backup01=["ad01", "relay99"])
    result = run("outage_shutdown.yml", inventory, tmp_path)
    assert result.returncode != 0
    said = " ".join(result.stdout.split())
    referrers = "backup01 (jichitai_depends_on), mail01 (jichitai_depends_on)"
    assert f"'relay99' is not in the inventory, named by: {referrers}" in said, result.stdout[-2000:]
