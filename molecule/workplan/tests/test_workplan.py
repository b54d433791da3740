"""workplan in plan mode: a plan is recorded, the host is untouched, and an unapproved apply is refused."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
SCENARIO = Path(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", Path(__file__).resolve().parents[1]))
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", SCENARIO.parents[1]))
FILE = "/etc/jichitai-molecule.conf"


@pytest.fixture(scope="module")
def plan():
    """The plan of the converge run (the one that predicted the file; idempotence plans without it)."""
    plans = [json.loads(p.read_text(encoding="utf-8")) for p in (EPHEMERAL / "plans").glob("*/plan.json")]
    assert plans, f"no plan recorded under {EPHEMERAL / 'plans'}"
    with_file = [p for p in plans if FILE in json.dumps(p, ensure_ascii=False)]
    assert len(with_file) == 1, f"{len(with_file)} of {len(plans)} plans name {FILE}"
    return with_file[0]


def test_the_plan_has_its_title_clause_window_and_the_predicted_change(plan):
    text = json.dumps(plan, ensure_ascii=False)
    assert "検証用設定ファイルの配置" in text
    assert "§5-2(2)② MNT-WORKPLAN" in text
    assert "2026-12-19T21:00" in text
    assert "backup01" in text
    plan_dir = next(p.parent for p in (EPHEMERAL / "plans").glob("*/plan.json") if FILE in p.read_text())
    title = "# 作業計画書 — 検証用設定ファイルの配置"
    assert (plan_dir / "plan.md").read_text(encoding="utf-8").startswith(title)
    assert (plan_dir / "plan.sha256").is_file()


def test_planning_left_the_host_untouched(lab_host):
    assert not lab_host("backup01").file(FILE).exists


def test_an_apply_without_an_approved_plan_is_refused_and_changes_nothing(lab_host):
    # the same play for real (no --check) and no workplan_id: the guard refuses before any change
    run = subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "ansible-playbook"), "-i", str(PROJECT / "inventories" / "lab"),
         str(SCENARIO / "converge.yml")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    said = " ".join(run.stdout.split())
    assert run.returncode != 0, said[-2000:]
    assert "refused to apply plan -, nothing was changed" in said, said[-2000:]
    assert "no workplan_id given: apply runs only against an approved plan" in said, said[-2000:]
    assert not lab_host("backup01").file(FILE).exists
