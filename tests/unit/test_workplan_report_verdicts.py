"""作業報告書 verdicts: steps that never ran, phases left out on purpose, and when the report says 要確認.

The verdict table is checked whole; build() is checked on the two runs that used to end amber for no
reason (a run stopped at a pre-check, a two-phase run doing one phase) and on the differences that must
stay visible when a phase is left out.
"""

import openpyxl
import pytest

from jichitai_ops.workplan import documents
from jichitai_ops.workplan import plan as plan_mod
from jichitai_ops.workplan import report as report_mod


def entry(state, after="x\n", label=None):
    return {
        "label": label,
        "state": state,
        "note": "",
        "diffs": [{"header": "f", "before": "", "after": after}] if state == "changed" else [],
    }


def record(host, task, state, seq, phase=None, after="x\n"):
    rec = {
        "seq": seq,
        "host": host,
        "task": task,
        "key": f"roles/x/tasks/main.yml|{task}",
        "occurrence": 1,
        "minutes": None,
        "started": None,
        "ended": None,
        "entries": [entry(state, after)],
    }
    if phase:
        rec["phase"] = phase
    return rec


META = {"mode": "apply", "aborted": False}


def rendered(plan: dict, records: list[dict], aborted: bool, folder) -> tuple[dict, dict]:
    """The report as the callback makes it (plan.assemble_report) and its documents."""
    guard = {
        "id": "20270315T100000-0a1b2c3d",
        "mode": "apply",
        "plan_digest": "d" * 64,
        "applied_by": {"user": "ops", "host": "ctl01"},
    }
    rep = plan_mod.assemble_report(
        plan, guard, records, {}, "2027-03-25T19:00:00+09:00", "2027-03-25T19:05:00+09:00", aborted
    )
    written, errors = documents.write_report_files(str(folder), rep)
    assert errors == [] and len(written) == 4
    return rep, {
        "md": (folder / "report.md").read_text(),
        "html": (folder / "report.html").read_text(),
        "xlsx": openpyxl.load_workbook(folder / "report.xlsx"),
    }


# ---- the table ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "planned, actual, other_phase, verdict",
    [
        ("changed", "changed", False, "matched"),
        ("changed", "ok", False, "planned_not_changed"),
        ("changed", "skipped", False, "planned_not_changed"),
        ("changed", None, False, "not_run"),
        ("changed", None, True, "not_run"),  # never reached is never "left out"
        ("changed", "failed", False, "failed"),
        ("changed", "unreachable", False, "failed"),
        ("changed", "skipped", True, "other_phase"),
        ("changed", "ok", True, "planned_not_changed"),  # it ran: its phase did run
        ("changed", "changed", True, "matched"),
        ("changed", "failed", True, "failed"),
        ("unpredictable", "changed", False, "unpredictable_changed"),
        ("unpredictable", "ok", False, "unpredictable_unchanged"),
        ("unpredictable", "skipped", False, "unpredictable_unchanged"),
        ("unpredictable", None, False, "not_run"),
        ("unpredictable", "failed", False, "failed"),
        ("unpredictable", "skipped", True, "other_phase"),
        (None, "changed", False, "unplanned"),
        (None, "changed", True, "unplanned"),
        (None, "failed", False, "failed"),
        (None, "ok", False, "unchanged"),
        (None, "skipped", True, "unchanged"),
    ],
)
def test_verdict(planned, actual, other_phase, verdict):
    p = entry(planned) if planned else None
    a = entry(actual) if actual else None
    assert report_mod.verdict(p, a, other_phase=other_phase) == verdict


def test_a_changed_step_of_a_phase_left_out_that_changed_otherwise_differs():
    assert (
        report_mod.verdict(entry("changed", "x\n"), entry("changed", "y\n"), other_phase=True)
        == "diff_differs"
    )


def test_every_verdict_of_the_table_has_a_label_and_flags_only_real_differences():
    assert set(report_mod.VERDICT_TABLE.values()) <= set(report_mod.VERDICTS)
    flagged = {code for code, (_ja, flag) in report_mod.VERDICTS.items() if flag}
    assert flagged == {"unplanned", "failed", "diff_differs", "not_run", "planned_not_changed"}
    assert report_mod.VERDICTS["not_run"][0] == "未実施"
    assert report_mod.VERDICTS["other_phase"][0] == "対象外（別フェーズ）"


# ---- a run stopped at a pre-check --------------------------------------------------------------------
def stopped_plan_and_records():
    plan = {
        "tasks": [
            record("localhost", "Shut down tier 1", "unpredictable", 1),
            record("localhost", "Shut down tier 2", "unpredictable", 2),
            record("localhost", "Schedule the UPSes", "changed", 3),
        ]
    }
    actual = [record("localhost", "Stop before any host is touched when a pre-check failed", "failed", 1)]
    return plan, actual


def stopped_run():
    return report_mod.build(*stopped_plan_and_records(), {**META, "aborted": True})


def test_steps_after_the_stop_are_not_run_and_the_report_needs_review():
    rep = stopped_run()
    verdicts = [(r["task"], r["verdict"], r["verdict_ja"]) for r in rep["rows"]]
    assert verdicts == [
        ("Stop before any host is touched when a pre-check failed", "failed", "失敗"),
        ("Shut down tier 1", "not_run", "未実施"),
        ("Shut down tier 2", "not_run", "未実施"),
        ("Schedule the UPSes", "not_run", "未実施"),
    ]
    assert rep["counts"]["not_run"] == 3 and rep["counts"]["unpredictable_unchanged"] == 0
    assert rep["verdict_ja"] == "要確認" and rep["changes"] == 0
    assert all(r["flag"] for r in rep["rows"])


def test_not_run_alone_needs_review_even_when_the_run_was_not_marked_aborted():
    plan = {"tasks": [record("h", "a", "changed", 1), record("h", "b", "unpredictable", 2)]}
    rep = report_mod.build(plan, [record("h", "a", "changed", 1)], META)
    assert [r["verdict"] for r in rep["rows"]] == ["matched", "not_run"]
    assert rep["verdict"] == "review" and rep["changes"] == 1


def test_renderings_say_not_run_and_nothing_changed(tmp_path):
    _rep, docs = rendered(*stopped_plan_and_records(), True, tmp_path)
    md = docs["md"]
    assert "| 実際の変更 | 0 件 |" in md and "**未実施** 3 件" in md
    assert "予測不能として計画・変更なし" not in md
    assert md.count("| **未実施** |") == 3
    assert "<strong>未実施</strong> 3 件" in docs["html"]
    book = docs["xlsx"]
    assert [r[6] for r in book["計画と実績"].iter_rows(min_row=2, values_only=True)] == ["失敗"] + [
        "未実施"
    ] * 3
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["総合判定"] == "要確認" and summary["実際の変更"] == 0 and summary["未実施"] == 3


# ---- a two-phase run ---------------------------------------------------------------------------------
def two_phase_plan():
    return {
        "tasks": [
            record("dc01", "Prepare AD", "changed", 2, "prepare"),
            record("dc01", "Prepare folders", "changed", 3, "prepare"),
            record("dc01", "Cut over AD", "changed", 5, "cutover"),
            record("dc01", "Cut over folders", "changed", 6, "cutover"),
        ]
    }


def prepare_run(**cutover_ad):
    """The records of an apply before the cutover time: the phase markers, prepare, cutover skipped."""
    return [
        record("dc01", "Load | run the prepare phase", "ok", 1, "prepare"),
        record("dc01", "Load | run the cutover phase", "skipped", 2, "cutover"),
        record("dc01", "Prepare AD", "changed", 3, "prepare"),
        record("dc01", "Prepare folders", "changed", 4, "prepare"),
        record(
            "dc01",
            "Cut over AD",
            cutover_ad.get("state", "skipped"),
            5,
            "cutover",
            cutover_ad.get("after", "x\n"),
        ),
        record("dc01", "Cut over folders", "skipped", 6, "cutover"),
    ]


def test_the_phase_not_run_is_left_out_and_the_report_is_ok(tmp_path):
    rep = report_mod.build(two_phase_plan(), prepare_run(), META)
    assert rep["verdict_ja"] == "計画どおり完了"
    assert rep["phases"] == {
        "run": [{"name": "prepare", "ja": "準備"}],
        "left_out": [{"name": "cutover", "ja": "切替"}],
    }
    assert [r["verdict"] for r in rep["rows"]] == ["matched", "matched"]
    assert rep["counts"]["other_phase"] == 2 and rep["counts"]["planned_not_changed"] == 0
    assert [(s["phase_ja"], s["task"], s["hosts"], s["steps"]) for s in rep["other_phase"]] == [
        ("切替", "Cut over AD", ["dc01"], 1),
        ("切替", "Cut over folders", ["dc01"], 1),
    ]
    _rep, docs = rendered(two_phase_plan(), prepare_run(), False, tmp_path)
    md = docs["md"]
    assert "| 実施したフェーズ | 準備（対象外: 切替） |" in md
    assert "## 対象外（別フェーズ）" in md and "| 切替 | Cut over AD | dc01 | 1 |" in md
    assert "**計画した変更なし**" not in md and "- ありません。" in md
    assert "<h2>対象外（別フェーズ）</h2>" in docs["html"]
    summary = {row[0]: row[1] for row in docs["xlsx"]["概要"].iter_rows(values_only=True)}
    assert summary["総合判定"] == "計画どおり完了"
    assert summary["実施したフェーズ"] == "準備" and summary["対象外のフェーズ"] == "切替"
    assert summary["対象外（別フェーズ）"] == 2


def test_a_step_of_the_phase_left_out_that_changed_is_still_flagged():
    rep = report_mod.build(two_phase_plan(), prepare_run(state="changed", after="other\n"), META)
    assert {r["task"]: r["verdict"] for r in rep["rows"]}["Cut over AD"] == "diff_differs"
    assert rep["verdict_ja"] == "要確認"
    rep = report_mod.build(two_phase_plan(), prepare_run(state="failed"), META)
    assert {r["task"]: r["verdict"] for r in rep["rows"]}["Cut over AD"] == "failed"


def test_an_unplanned_change_in_the_phase_left_out_is_flagged():
    plan = two_phase_plan()
    plan["tasks"] = [t for t in plan["tasks"] if t["task"] != "Cut over AD"]  # the plan foresaw no change
    rep = report_mod.build(plan, prepare_run(state="changed"), META)
    assert [r["verdict"] for r in rep["unplanned"]] == ["unplanned"] and rep["verdict_ja"] == "要確認"


def test_a_step_of_the_phase_run_that_did_not_change_is_flagged():
    actual = prepare_run()
    actual[3] = record("dc01", "Prepare folders", "ok", 4, "prepare")
    rep = report_mod.build(two_phase_plan(), actual, META)
    assert {r["task"]: r["verdict"] for r in rep["rows"]} == {
        "Prepare AD": "matched",
        "Prepare folders": "planned_not_changed",
    }
    assert rep["verdict_ja"] == "要確認"


def test_a_phase_whose_marker_ran_is_run_even_if_its_steps_were_skipped():
    actual = prepare_run()
    actual[0] = record("dc01", "Load | run the prepare phase", "skipped", 1, "prepare")
    actual[1] = record("dc01", "Load | run the cutover phase", "ok", 2, "cutover")
    rep = report_mod.build(two_phase_plan(), actual, META)  # the cutover ran, yet its steps were skipped
    assert [p["name"] for p in rep["phases"]["run"]] == ["prepare", "cutover"]
    assert {r["task"]: r["verdict"] for r in rep["rows"]}["Cut over AD"] == "planned_not_changed"
    assert rep["verdict_ja"] == "要確認"


def test_a_run_stopped_before_the_phases_leaves_nothing_out():
    actual = [record("dc01", "Load | check the transfer", "failed", 1)]
    rep = report_mod.build(two_phase_plan(), actual, {**META, "aborted": True})
    assert rep["phases"] == {"run": [], "left_out": []}
    assert [r["verdict"] for r in rep["rows"]][1:] == ["not_run"] * 4


def test_a_phase_named_by_a_template_is_no_phase():
    actual = prepare_run()
    for rec in actual:
        if rec.get("phase") == "cutover":
            rec["phase"] = "{{ phase }}"
    rep = report_mod.build(two_phase_plan(), actual, META)
    assert rep["counts"]["other_phase"] == 0 and rep["counts"]["planned_not_changed"] == 2


def test_a_report_without_phases_names_none(tmp_path):
    rep = report_mod.build(
        {"tasks": [record("h", "a", "changed", 1)]}, [record("h", "a", "changed", 1)], META
    )
    assert rep["phases"] == {"run": [], "left_out": []} and rep["other_phase"] == []
    assert rep["verdict_ja"] == "計画どおり完了"
