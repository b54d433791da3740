"""作業報告書: planned beside actual, every verdict, unplanned changes first."""


import pytest

from jichitai_ops.workplan import report as report_mod


def entry(state, after="x\n"):
    return {
        "label": None,
        "state": state,
        "note": "",
        "diffs": [{"header": "f", "before": "", "after": after}] if state == "changed" else [],
    }


def record(host, task, state, seq=1, after="x\n"):
    return {
        "seq": seq,
        "host": host,
        "task": task,
        "key": f"pb.yml|{task}",
        "occurrence": 1,
        "minutes": None,
        "started": None,
        "ended": None,
        "entries": [entry(state, after)],
    }


@pytest.mark.parametrize(
    "planned, actual, verdict",
    [
        ("changed", "changed", "matched"),
        ("changed", "ok", "planned_not_changed"),
        ("changed", None, "not_run"),
        ("unpredictable", "changed", "unpredictable_changed"),
        ("unpredictable", "skipped", "unpredictable_unchanged"),
        (None, "changed", "unplanned"),
        (None, "failed", "failed"),
        ("changed", "failed", "failed"),
        (None, "ok", "unchanged"),
    ],
)
def test_verdicts(planned, actual, verdict):
    p = entry(planned) if planned else None
    a = entry(actual) if actual else None
    assert report_mod.verdict(p, a) == verdict


def test_changed_with_other_content_differs():
    assert report_mod.verdict(entry("changed", "x\n"), entry("changed", "y\n")) == "diff_differs"


def test_report_flags_unplanned_and_lists_them_first():
    plan = {"tasks": [record("web01", "a", "changed", 1), record("web01", "b", "changed", 2)]}
    actual = [
        record("web01", "a", "changed", 1),
        record("web01", "b", "ok", 2),
        record("web02", "a", "changed", 3),
    ]
    rep = report_mod.build(plan, actual, {"mode": "apply", "aborted": False})
    assert rep["verdict"] == "review" and rep["verdict_ja"] == "要確認"
    assert [(r["host"], r["verdict"]) for r in rep["rows"]] == [
        ("web01", "matched"),
        ("web02", "unplanned"),
        ("web01", "planned_not_changed"),
    ]
    assert [(r["host"], r["task"]) for r in rep["unplanned"]] == [("web02", "a")]
    assert rep["counts"]["matched"] == 1 and rep["counts"]["unplanned"] == 1


def test_report_all_matched_is_ok_and_unchanged_rows_are_only_counted():
    plan = {"tasks": [record("web01", "a", "changed", 1)]}
    actual = [record("web01", "a", "changed", 1), record("web01", "b", "ok", 2)]
    rep = report_mod.build(plan, actual, {"mode": "apply", "aborted": False})
    assert rep["verdict"] == "ok" and rep["verdict_ja"] == "計画どおり完了"
    assert [r["verdict"] for r in rep["rows"]] == ["matched"] and rep["counts"]["unchanged"] == 1


def test_aborted_run_needs_review_even_without_flags():
    plan = {"tasks": [record("web01", "a", "changed", 1)]}
    rep = report_mod.build(plan, [record("web01", "a", "changed", 1)], {"mode": "apply", "aborted": True})
    assert rep["verdict"] == "review"


def test_without_plan_every_change_is_unplanned():
    rep = report_mod.build(
        None, [record("web01", "a", "changed", 1)], {"mode": "unplanned", "aborted": False}
    )
    assert rep["counts"]["unplanned"] == 1 and rep["verdict"] == "review"
