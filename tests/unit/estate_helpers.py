"""Helpers shared by the estate tests: run the Ansible CLIs on an inventory, read their output."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
ESTATE = ROOT / "inventories" / "moriguchi"
LAB = ROOT / "inventories" / "lab"


def ansible(
    tool: str, *args: str, cwd: Path = ROOT, timeout: int = 300, unset: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run an Ansible CLI with the repository's ansible.cfg; `unset` drops variables from the
    environment, to see what an operator gets from ansible.cfg alone."""
    env = os.environ | {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "NO_COLOR": "1",
    }
    for name in unset:
        env.pop(name, None)
    if (LAB / ".vault-pass.lab").exists():
        env.setdefault("ANSIBLE_VAULT_IDENTITY_LIST", f"lab@{LAB / '.vault-pass.lab'}")
    return subprocess.run(
        [str(BIN / tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def plain(value):
    """JSON of ansible-inventory with the 'untrusted' wrappers of plugin-provided strings removed."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def inventory_json(inventory: Path, *args: str) -> dict:
    result = ansible("ansible-inventory", "-i", str(inventory), *args)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return plain(json.loads(result.stdout))


@functools.cache
def inventory_list(inventory: Path) -> dict:
    """`ansible-inventory --list` of an inventory (variables unresolved), read once per test session:
    the city's inventory takes tens of seconds. The same object every call: do not change it."""
    return inventory_json(inventory, "--list")
