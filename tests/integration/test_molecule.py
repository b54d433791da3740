"""Every role's molecule scenario (molecule/<role>/, docs/molecule.md), run as `make test` runs the suite.

Each scenario is `molecule test -s <role>`: create (the lab components it needs) -> converge ->
idempotence -> verify (pytest-testinfra) -> destroy. The session's `lab` fixture has the whole lab up
once, so every scenario's create finds its components running and its destroy leaves them running:
the bring-ups are shared, and the session stops only what it started.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
SCENARIOS = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks" / "main.yml").is_file())

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_every_role_has_a_scenario_with_testinfra_tests():
    assert sorted(set(ROLES) - set(SCENARIOS)) == [], "roles without a molecule scenario"
    for role in ROLES:
        assert list((REPO / "molecule" / role / "tests").glob("test_*.py")), f"{role}: no testinfra tests"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(lab, scenario):
    # molecule, ansible-playbook and the verifier's pytest come from the project's venv; the scenario
    # sets its own Ansible configuration (.config/molecule/config.yml), not the test session's
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_", "PYTEST_"))}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    started = time.monotonic()
    run = subprocess.run(
        [str(BIN / "molecule"), "test", "-s", scenario],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=900, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    print(f"molecule {scenario}: {seconds:.1f} s")
    said = (run.stdout + run.stderr)[-8000:]
    assert run.returncode == 0, f"molecule test -s {scenario} (rc {run.returncode}):\n{said}"
