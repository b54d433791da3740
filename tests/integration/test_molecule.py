"""Every role's molecule scenario (molecule/<role>/, docs/molecule.md), run as `make test` runs the suite.

Each scenario is `molecule test -s <role>`: create (the lab components it needs) -> converge ->
idempotence -> verify (pytest-testinfra) -> destroy. A scenario that names lab components
(MOLECULE_LAB_COMPONENTS) is a lab test: the session has the whole lab up once, so its create finds its
components running and its destroy leaves them running, and under tools/lab_suite.py (which holds the
lab, JICHITAI_LAB_HELD) create and destroy leave the components to the session altogether. A scenario
that names none runs with the tests that need no lab.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
SCENARIOS = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "tasks" / "main.yml").is_file())


def lab_components(scenario: str) -> str:
    config = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text(encoding="utf-8"))
    return (((config.get("ansible") or {}).get("env") or {}).get("MOLECULE_LAB_COMPONENTS") or "").strip()


ON_THE_LAB = [s for s in SCENARIOS if lab_components(s)]
WITHOUT_THE_LAB = [s for s in SCENARIOS if not lab_components(s)]


def test_every_role_has_a_scenario_with_testinfra_tests():
    assert sorted(set(ROLES) - set(SCENARIOS)) == [], "roles without a molecule scenario"
    for role in ROLES:
        assert list((REPO / "molecule" / role / "tests").glob("test_*.py")), f"{role}: no testinfra tests"


def molecule_test(scenario: str) -> None:
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


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.parametrize("scenario", ON_THE_LAB)
def test_scenario_on_the_lab(lab, scenario):
    molecule_test(scenario)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", WITHOUT_THE_LAB)
def test_scenario_without_the_lab(scenario):
    molecule_test(scenario)
