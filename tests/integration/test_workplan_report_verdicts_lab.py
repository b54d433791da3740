"""The 作業報告書 tells what happened, on the lab, through plan -> approve -> apply.

  NUT down at the outage pre-check   the lab's upsd is stopped (lab/components/40-nut.sh down) before an
                                     approved shutdown: the pre-check stops the run, the report calls every
                                     planned step after it 未実施, the verdict is 要確認, and nothing changed
  a personnel apply before cutover   an approved two-phase transfer applied before its cutover time runs the
                                     prepare phase: 計画どおり完了, the cutover steps 対象外（別フェーズ）

Both run in a committed copy of the project (tools/personnel_lab.project_copy), so edits to the working
tree between plan and apply cannot invalidate the plan; the lab clock is injected with workplan_now.
The personnel test reuses the rehearsal of test_personnel_transfer (its seeded roster, restored after).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from pathlib import Path

import personnel_lab
import pytest
from conftest import lab_approver_args
from test_outage_lab import STAND_INS, is_on
from test_personnel_transfer import ROOT, TRANSFER, rehearsal  # noqa: F401 - the fixture, shared

pytestmark = [pytest.mark.lab, pytest.mark.slow]

BIN = ROOT / ".venv" / "bin"
OUTAGE_WINDOW = ("2026-12-19T21:00", "2026-12-19T23:00")  # a Saturday night
OUTAGE_PLANNED_AT = "2026-12-01T10:00"
OUTAGE_AT = "2026-12-19T21:10"


def run(cmd, project: Path, env: dict, timeout=900) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)
    out.text = out.stdout + out.stderr
    return out


def approve(project: Path, env: dict, plan_text: str) -> str:
    plan_id = re.search(r"work plan: (\S+)", plan_text).group(1)
    digest = re.search(r"--digest ([0-9a-f]{64})", plan_text).group(1)
    out = run(
        [
            str(BIN / "jichitai-ops"),
            "approve",
            plan_id,
            *lab_approver_args(project.parent),
            "--digest",
            digest,
        ],
        project,
        env,
        timeout=120,
    )
    assert out.returncode == 0, out.text[-3000:]
    return plan_id


def latest_report(project: Path, plan_id: str) -> tuple[dict, str]:
    folder = project / "work" / "plans" / plan_id
    return (
        json.loads((folder / "report.json").read_text(encoding="utf-8")),
        (folder / "report.md").read_text(encoding="utf-8"),
    )


# ---- NUT down at the outage pre-check ------------------------------------------------------------
def nut(action: str, run_dir: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"LAB_RUN": str(run_dir), "LAB_COMPONENT": "40-nut"}
    return subprocess.run(
        ["bash", str(ROOT / "lab/components/40-nut.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def outage_project(lab, tmp_path):
    run_dir = Path(getattr(lab, "run_dir", ROOT / "lab" / "run"))
    project = personnel_lab.project_copy(tmp_path / "project", run_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(project / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="workplan",
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{project / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        JICHITAI_WORKPLAN_LAB="1",
        LAB_RUN=str(run_dir),
    )
    yield project, env, run_dir
    result = nut("up", run_dir)  # whatever the test did, upsd serves the UPSes again
    assert result.returncode == 0, result.stderr[-3000:]


def outage(project: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    records = project.parent / "outage-records"
    cmd = [
        str(BIN / "ansible-playbook"),
        "-i", "inventories/lab", "-i", "lab/outage/stand-ins.yml",
        "playbooks/outage_shutdown.yml", "--diff",
        "-e", f"outage_shutdown_report_dir={records} outage_startup_report_dir={records}",
        "-e", "outage_precheck_timeout=2",
        *args,
    ]  # fmt: skip
    return run(cmd, project, env, timeout=600)


def test_nut_down_at_the_precheck_reports_the_steps_not_run_and_nothing_changed(outage_project):
    project, env, run_dir = outage_project
    planned = outage(
        project, env, "--check",
        "-e", f"workplan_window_start={OUTAGE_WINDOW[0]}", "-e", f"workplan_window_end={OUTAGE_WINDOW[1]}",
        "-e", f"workplan_now={OUTAGE_PLANNED_AT}",
    )  # fmt: skip
    assert planned.returncode == 0, planned.text[-4000:]
    plan_id = approve(project, env, planned.text)
    plan = json.loads((project / "work" / "plans" / plan_id / "plan.json").read_text(encoding="utf-8"))
    planned_steps = {
        (r["host"], r["key"], e["label"])
        for r in plan["tasks"]
        for e in r["entries"]
        if e["state"] in ("changed", "unpredictable")
    }

    stopped = nut("down", run_dir)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    applied = outage(project, env, "-e", f"workplan_id={plan_id}", "-e", f"workplan_now={OUTAGE_AT}")
    assert applied.returncode != 0
    said = " ".join(applied.stdout.split())
    assert "outage pre-checks failed, nothing was shut down" in said, applied.text[-4000:]
    assert "ups01 ups" in said

    report, md = latest_report(project, plan_id)
    assert report["verdict_ja"] == "要確認" and report["aborted"]
    assert report["changes"] == 0 and "| 実際の変更 | 0 件 |" in md
    not_run = [r for r in report["rows"] if r["verdict"] == "not_run"]
    ran = {(r["host"], r["key"], r["item"]) for r in report["rows"] if r["actual"] is not None}
    # every planned step the run never reached is 未実施, none is 「予測不能として計画・変更なし」
    assert {(r["host"], r["key"], r["item"]) for r in not_run} == planned_steps - ran
    assert len(not_run) >= 10 and all(r["verdict_ja"] == "未実施" and r["flag"] for r in not_run)
    assert any(r["planned"] == "unpredictable" for r in not_run)
    assert not [
        r for r in report["rows"] if r["verdict"] == "unpredictable_unchanged" and r["actual"] is None
    ]
    assert report["counts"]["unplanned"] == 0 and report["counts"]["matched"] == 0
    assert f"**未実施** {len(not_run)} 件" in md and "| **未実施** |" in md
    failed = [r["task"] for r in report["rows"] if r["verdict"] == "failed"]
    assert failed[-1].endswith("Stop before any host is touched when a pre-check failed"), failed
    assert all("UPS" in task for task in failed[:-1]), failed  # the gates of the UPSes behind upsd
    assert all(is_on(h) for h in STAND_INS)  # nothing was shut down


# ---- a personnel apply before the cutover time -----------------------------------------------------
PREPARE_AT = "2027-03-25T19:00"
PLANNED_AT = "2027-03-15T10:00"
WINDOW = ("2027-03-25T18:00", "2027-04-01T08:00")


def small_transfer(project: Path) -> str:
    """A transfer of a few orders of the April list, within today's organisation (hires and moves, each
    person once): the prepare phase creates the hires' accounts disabled, the cutover moves and enables."""
    data = (ROOT / TRANSFER / "hr_transfer_list.csv").read_bytes()
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    live = {d["code"] for d in personnel_lab.live_organisation()["jichitai_departments"]}
    once = {no for no in (r[0] for r in body) if sum(1 for x in body if x[0] == no) == 1}
    fits = [r for r in body if r[0] in once and r[5] in live and (not r[4] or r[4] in live)]
    picked = [r for r in fits if r[3] == "採用"][:2] + [r for r in fits if r[3] == "配置換"][:3]
    assert len(picked) == 5
    folder = project / "work" / "transfers" / "phases"
    folder.mkdir(parents=True)
    (folder / "list.csv").write_bytes(
        ("\r\n".join(",".join(r) for r in [header, *picked]) + "\r\n").encode("cp932")
    )
    (folder / "transfer.yml").write_text(
        "---\npersonnel_transfer_id: phases\npersonnel_transfer_effective_date: '2027-04-01'\n"
        "personnel_transfer_cutover_from: '2027-03-31T20:00'\npersonnel_transfer_hr_list: list.csv\n",
        encoding="utf-8",
    )
    return str(folder)


def test_a_prepare_apply_is_as_planned_with_the_cutover_steps_left_out(rehearsal):  # noqa: F811
    transfer = small_transfer(rehearsal.project)
    planned = rehearsal.playbook(
        "--check", "--diff",
        "-e", f"workplan_window_start={WINDOW[0]}", "-e", f"workplan_window_end={WINDOW[1]}",
        "-e", f"workplan_now={PLANNED_AT}",
        transfer=transfer,
    )  # fmt: skip
    assert planned.returncode == 0, planned.text[-6000:]
    plan_id = approve(rehearsal.project, rehearsal.env(), planned.text)
    plan = json.loads(
        (rehearsal.project / "work" / "plans" / plan_id / "plan.json").read_text(encoding="utf-8")
    )
    planned_phases = {r.get("phase") for r in plan["tasks"]}
    assert {"prepare", "cutover"} <= planned_phases, planned_phases

    applied = rehearsal.playbook(
        "--diff", "-e", f"workplan_id={plan_id}", "-e", f"workplan_now={PREPARE_AT}", transfer=transfer
    )
    assert applied.returncode == 0, applied.text[-6000:]
    report, md = latest_report(rehearsal.project, plan_id)
    problems = [(r["task"], r["verdict"], r["note"]) for r in report["rows"] if r["flag"]]
    assert report["verdict_ja"] == "計画どおり完了", problems
    assert [p["name"] for p in report["phases"]["run"]] == ["prepare"]
    assert [p["name"] for p in report["phases"]["left_out"]] == ["cutover"]
    left_out = {s["task"] for s in report["other_phase"]}
    assert any("Cut over AD" in t for t in left_out) and all("Cut over" in t for t in left_out), left_out
    assert report["counts"]["other_phase"] >= 1 and report["counts"]["planned_not_changed"] == 0
    assert report["counts"]["matched"] >= 1 and report["changes"] >= 1
    assert "| 総合判定 | **計画どおり完了** |" in md
    assert "| 実施したフェーズ | 準備（対象外: 切替） |" in md and "## 対象外（別フェーズ）" in md
    assert "計画した変更なし" not in md
