"""Shared pytest fixtures: the lab (real servers on loopback and in network namespaces).

`lab` (session): reuses a running lab (lab/status.sh) or brings the missing components up with
lab/up.sh, and at the end stops only the components it started; under tools/lab_suite.py
(JICHITAI_LAB_HELD), which holds the lab for the lanes of tests/lanes.py, it neither starts nor stops.
Lab tests are marked `@pytest.mark.lab` and take the `lab` fixture; without root they are skipped.
`lab_vars(host)`: the host's inventory variables with every template resolved (vault included),
as Ansible sees them for inventories/lab.
`lab_ansible(pattern, module, args)`: an ad-hoc Ansible run against the lab inventory, parsed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import ansible.module_utils
import lanes
import pytest

REPO = Path(__file__).resolve().parent.parent
LAB_DIR = REPO / "lab"
sys.path.insert(0, str(LAB_DIR))
from lab_control import bring_up, components, run_component, run_lab_script, stop  # noqa: E402, F401

LAB_RUN = Path(os.environ.get("LAB_RUN", LAB_DIR / "run"))
LAB_INVENTORY = REPO / "inventories" / "lab"
VENV_BIN = REPO / ".venv" / "bin"
LAB_VAULT_PASS = LAB_INVENTORY / ".vault-pass.lab"

# Every Ansible command of the test session reads the lab vault with the lab-only password file.
os.environ.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
os.environ.setdefault("ANSIBLE_VAULT_IDENTITY_LIST", f"lab@{LAB_VAULT_PASS}")
os.environ.setdefault("ANSIBLE_FORCE_COLOR", "0")
# Variables as playbooks see them: without this, ad-hoc runs from the repository root would read the
# top-level group_vars/ as playbook-directory variables, above the inventory's own group_vars.
os.environ.setdefault("ANSIBLE_PLAYBOOK_DIR", str(REPO / "playbooks"))

# Tests import the project's module_utils as Ansible's controller does: ansible.module_utils.<name>.
if str(REPO / "plugins" / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "plugins" / "module_utils"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "lab_restart: stops and restarts the whole lab; runs after all other tests"
    )
    for number in range(1, len(lanes.STAGES) + 1):
        config.addinivalue_line(
            "markers", f"lab_stage{number}: a lab test of stage {number} (tests/lanes.py)"
        )


@pytest.hookimpl(tryfirst=True)  # the lane markers are set before -m selects by them
def pytest_collection_modifyitems(config, items):
    """Each lab test gets its lane (tests/lanes.py): an xdist group of that name and the marker of its
    stage (lab_stage1..3). Tests that take the lab down run last, so no other test finds it restarting
    under its feet."""
    unplaced = []
    for item in items:
        if item.get_closest_marker("lab") is None:
            continue
        lane = lanes.lane_of(item.nodeid)
        if lane is None:
            unplaced.append(item.nodeid)
            continue
        item.add_marker(pytest.mark.xdist_group(lane))
        item.add_marker(getattr(pytest.mark, f"lab_stage{lanes.stage_of(lane)}"))
    if unplaced:
        raise pytest.UsageError("lab tests without a lane in tests/lanes.py:\n  " + "\n  ".join(unplaced))
    items.sort(key=lambda item: item.get_closest_marker("lab_restart") is not None)


@dataclass
class Lab:
    """The running lab as the session found or made it."""

    started: list[Path] = field(default_factory=list)  # components this session brought up
    run_dir: Path = LAB_RUN
    inventory: Path = LAB_INVENTORY

    @property
    def ca_file(self) -> Path:
        return self.run_dir / "ca" / "ca.crt"


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, ports below 1024)")
    if not components():
        pytest.skip("no lab components under lab/components")
    if os.environ.get("JICHITAI_LAB_HELD"):
        # tools/lab_suite.py brought the lab up and stops it: a component down now was stopped on purpose
        # by a test of the other lane, and is not this session's to start or stop
        yield Lab()
        return
    started, failed = bring_up()
    if failed is not None:
        pytest.fail(f"lab/up.sh failed (rc {failed.returncode}):\n{failed.stderr[-6000:]}")
    yield Lab(started=started)
    stop(started)


def _adhoc(
    pattern: str, module: str, args: str = "", timeout: int = 120, options: tuple[str, ...] = ()
) -> dict[str, dict]:
    cmd = [str(VENV_BIN / "ansible"), "-i", str(LAB_INVENTORY), pattern, "-m", module, *options]
    if args:
        cmd += ["-a", args]
    env = os.environ | {
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
    }
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=REPO
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"ansible {pattern} -m {module}: no JSON result (rc {proc.returncode}): {proc.stderr}"
        ) from exc
    # one task; merged in case a strategy that is not lockstep to the json callback splits it per host
    return (
        {host: result for task in report["plays"][0]["tasks"] for host, result in task["hosts"].items()}
        if report["plays"]
        else {}
    )


@pytest.fixture(scope="session")
def lab_ansible():
    """lab_ansible(pattern, module, args="") -> {host: result} from an ad-hoc run on inventories/lab."""
    return _adhoc


@pytest.fixture(scope="session")
def lab_vars():
    """lab_vars(host) -> that host's variables, templates and vault values resolved (one Ansible run)."""
    cache: dict[str, dict] = {}

    def get(host: str) -> dict:
        if not cache:
            key = "hostvars[inventory_hostname]"
            for name, result in _adhoc("all", "ansible.builtin.debug", f"var={key}").items():
                cache[name] = result[key]
        if host not in cache:
            raise KeyError(f"{host} is not a host of {LAB_INVENTORY}")
        return cache[host]

    return get


def inventory_list(inventory: Path = LAB_INVENTORY) -> dict:
    """`ansible-inventory --list` of an inventory (variables unresolved)."""
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=REPO,
    )
    return json.loads(proc.stdout)


def inventory_host(host: str, inventory: Path = LAB_INVENTORY) -> dict:
    """`ansible-inventory --host` of one host (variables unresolved)."""
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-inventory"), "-i", str(inventory), "--host", host],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=REPO,
    )
    return json.loads(proc.stdout)


LAB_APPROVER = "lab.approver"  # inventories/lab/approvers/allowed_signers


def lab_approver_args(folder: Path) -> list[str]:
    """`jichitai-ops approve` arguments that sign as the lab approver: the key (from the lab vault)
    written to folder, mode 0600, as lab/approver-key.sh does."""
    key = folder / "lab-approver.key"
    if not key.exists():
        proc = subprocess.run(
            ["bash", str(LAB_DIR / "approver-key.sh"), str(key)], capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
    return ["--by", LAB_APPROVER, "--key", str(key)]
