"""Work plan model: clock, digests, plan ids, lead times (MNT-WORKPLAN)."""

import datetime as dt

import pytest

from jichitai_ops.workplan import model as model


def test_time_without_offset_is_tokyo():
    assert model.parse_time("2026-12-16T22:00").isoformat() == "2026-12-16T22:00:00+09:00"
    assert model.parse_time("2026-12-16 22:00").isoformat() == "2026-12-16T22:00:00+09:00"
    assert model.parse_time("2026-12-16T13:00Z").isoformat() == "2026-12-16T22:00:00+09:00"
    with pytest.raises(ValueError, match="not a date-time"):
        model.parse_time("next wednesday")


def test_digest_is_of_the_canonical_form():
    a = {"b": [1, {"y": "漢字", "x": None}], "a": 1}
    b = {"a": 1, "b": [1, {"x": None, "y": "漢字"}]}
    assert model.digest(a) == model.digest(b)
    assert model.digest(a) != model.digest({**a, "a": 2})
    assert len(model.digest(a)) == 64


def test_plan_id_is_a_timestamp_and_a_short_digest():
    started = model.parse_time("2026-12-01T10:00:05")
    plan_id = model.make_plan_id(started, "playbooks/dhcp_sync.yml", "token")
    assert plan_id.startswith("20261201T100005-") and model.PLAN_ID_RE.match(plan_id)
    assert plan_id == model.make_plan_id(started, "playbooks/dhcp_sync.yml", "token")  # every play of a run
    assert plan_id != model.make_plan_id(started, "playbooks/dhcp_sync.yml", "other run")
    assert model.make_plan_id(started, "playbooks/x.yml", "token", unplanned=True).endswith("-unplanned")


@pytest.mark.parametrize("bad", ["../etc", "20261201T100005-ABCDEFGH", "x", "", "20261201T100005-1234567/"])
def test_plan_id_cannot_leave_the_store(bad):
    with pytest.raises(model.WorkplanError):
        model.check_plan_id(bad)


@pytest.mark.parametrize(
    "kind, created, start, ok",
    [
        ("operations", "2026-12-09T18:00", "2026-12-16T22:00", True),  # a week before
        ("operations", "2026-12-10T09:00", "2026-12-16T22:00", False),
        ("maintenance", "2026-12-13T09:00", "2026-12-16T01:00", True),  # 3 days before
        ("maintenance", "2026-12-14T09:00", "2026-12-16T22:00", False),
        ("emergency", "2026-12-15T23:59", "2026-12-16T00:30", True),  # the day before
        ("emergency", "2026-12-16T00:10", "2026-12-16T00:30", False),
    ],
)
def test_lead_time_by_kind(kind, created, start, ok):
    lead = model.lead_time(kind, model.parse_time(created), model.parse_time(start))
    assert lead["ok"] is ok and lead["required_days"] == model.KINDS[kind]["lead_days"]


def test_lead_time_without_window_is_unknown():
    assert model.lead_time("operations", model.now(), None)["ok"] is None


def test_japanese_formats():
    assert model.fmt_jp("2026-12-13T09:30:00+09:00") == "令和8年12月13日（日）9:30"
    assert model.fmt_jp(None) == "未定"
    assert model.fmt_minutes(90) == "1時間30分" and model.fmt_minutes(5) == "5分"


def test_control_vars_are_left_out_of_run_options():
    assert model.is_control_var("workplan_id") and model.is_control_var("awx_job_id")
    assert model.is_control_var("semaphore_vars") and not model.is_control_var("transfer_csv")


def test_lab_switch_is_the_controller_environment():
    assert model.lab_enabled({"JICHITAI_WORKPLAN_LAB": "1"})
    assert not model.lab_enabled({"JICHITAI_WORKPLAN_LAB": "true"}) and not model.lab_enabled({})


def test_refusal_carries_every_reason():
    err = model.WorkplanError([model.reason("a", "一", "one"), model.reason("b", "二", "two")])
    assert str(err) == "- 一 / one\n- 二 / two"


def test_now_is_tokyo_and_whole_seconds():
    now = model.now()
    assert now.utcoffset() == dt.timedelta(hours=9) and now.microsecond == 0
