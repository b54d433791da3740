"""Helpers shared by the estate tests: run the Ansible CLIs on an inventory, read their output."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import subprocess
import tempfile
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


# what an inventory's listing depends on: its own files, the estate-wide policy, the plugins that read them
LISTING_INPUTS = ("group_vars", "plugins/inventory", "plugins/vars", "plugins/module_utils/ledger",
                  "ansible.cfg")  # fmt: skip


def _listing_key(inventory: Path) -> str:
    digest = hashlib.sha256(str(inventory.resolve()).encode())
    for base in (inventory, *(ROOT / p for p in LISTING_INPUTS)):
        for path in sorted(base.rglob("*")) if base.is_dir() else [base]:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


@functools.cache
def inventory_list(inventory: Path) -> dict:
    """`ansible-inventory --list` of an inventory (variables unresolved), read once per test run: the
    city's inventory takes tens of seconds (1,353 hosts, each with the estate-wide variables). The
    listing is kept on disk under its inputs' digest, so parallel test workers and later runs share one
    listing while nothing it depends on changed. The same object every call: do not change it."""
    cache = Path(tempfile.gettempdir()) / "jichitai-inventory-listings"
    cache.mkdir(exist_ok=True)
    path = cache / f"{_listing_key(inventory)}.json"
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker lists, the others wait for its file
        if not path.exists():
            listing = inventory_json(inventory, "--list")
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(listing), encoding="utf-8")
            tmp.replace(path)
            return listing
    return json.loads(path.read_text(encoding="utf-8"))
