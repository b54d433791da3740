"""The lanes of the lab tests (tests/lanes.py): every key names tests that exist, and every molecule
scenario on the lab has exactly one lane (a lab test without a lane already fails the collection)."""

import subprocess
import sys
from pathlib import Path

import lanes

REPO = Path(__file__).resolve().parents[2]


def collected_lab_tests() -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-m", "lab",
         "tests/integration", "tests/e2e"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_every_key_names_a_lab_test_and_every_lab_scenario_has_one_lane():
    ids = collected_lab_tests()
    assert len(ids) > 100
    assert [key for key in lanes.LANES if not any(i.startswith(key) for i in ids)] == []
    scenarios = sorted(p.parent.name for p in (REPO / "molecule").glob("*/molecule.yml"))
    on_the_lab = sorted(i.split("[")[1].rstrip("]") for i in ids if i.startswith(lanes.MOLECULE))
    named = sorted(name for names in lanes.SCENARIOS.values() for name in names)
    assert named == on_the_lab and set(on_the_lab) < set(scenarios)


def test_the_longest_key_decides():
    hosts = lanes.INTEGRATION + "test_lab_hosts.py::"
    assert lanes.lane_of(hosts + "test_every_branch_gateway_answers") == "network"
    assert lanes.lane_of(hosts + "test_down_leaves_nothing_and_up_restores_the_lab") == "restart"
    assert lanes.lane_of(lanes.INTEGRATION + "test_nothing_of_the_kind.py::test_x") is None
