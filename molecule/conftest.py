"""Fixtures of the molecule verifiers (pytest-testinfra), shared by every scenario.

`lab_host(name)`: a testinfra host for a namespace host of the lab inventory, reached over ssh with
the lab key and the known_hosts file the lab writes (strict host keys). `controller`: the machine the
lab and the playbooks run on. `converge_output(name)`: what a scenario's converge wrote into its
ephemeral directory (facts, results) as JSON. `lab_secret(name)`: a value of the lab vault (lab-only
secrets, docs/lab.md), for verifiers that log in to a lab server themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import testinfra
import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[1]))
LAB_RUN = Path(os.environ.get("LAB_RUN", PROJECT / "lab" / "run"))
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


def _lab_hosts() -> dict:
    text = (PROJECT / "inventories" / "lab" / "hosts.yml").read_text(encoding="utf-8")
    found: dict = {}

    def walk(group: dict) -> None:
        for name, hostvars in (group.get("hosts") or {}).items():
            found.setdefault(name, {}).update(hostvars or {})
        for child in (group.get("children") or {}).values():
            walk(child or {})

    walk(yaml.safe_load(text)["all"])
    return found


@pytest.fixture(scope="session")
def lab_inventory() -> dict:
    """Host name -> structural variables of inventories/lab/hosts.yml."""
    return _lab_hosts()


@pytest.fixture(scope="session")
def lab_host(lab_inventory):
    def get(name: str):
        address = lab_inventory[name]["ansible_host"]
        ssh_args = (
            f"-o UserKnownHostsFile={LAB_RUN / 'ssh' / 'known_hosts'} -o StrictHostKeyChecking=yes "
            "-o IdentitiesOnly=yes -o ConnectTimeout=5 -o ControlMaster=no"
        )
        return testinfra.get_host(
            f"ssh://root@{address}",
            ssh_identity_file=str(LAB_RUN / "ssh" / "id_ed25519"),
            ssh_extra_args=ssh_args,
        )

    return get


@pytest.fixture(scope="session")
def controller():
    return testinfra.get_host("local://")


@pytest.fixture(scope="session")
def converge_output():
    def get(name: str):
        path = EPHEMERAL / f"{name}.json"
        assert path.is_file(), f"converge wrote no {path}"
        return json.loads(path.read_text(encoding="utf-8"))

    return get


@pytest.fixture(scope="session")
def lab_secret():
    cache: dict = {}

    def get(name: str) -> str:
        if not cache:
            lab = PROJECT / "inventories" / "lab"
            shown = subprocess.run(
                [str(PROJECT / ".venv" / "bin" / "ansible-vault"), "view", "--vault-password-file",
                 str(lab / ".vault-pass.lab"), str(lab / "group_vars" / "all" / "vault.yml")],
                capture_output=True, text=True, check=True, timeout=60,
            ).stdout  # fmt: skip
            cache.update(yaml.safe_load(shown))
        return cache[name]

    return get
