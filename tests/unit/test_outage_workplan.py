"""The city's shutdown and startup as the work plan sees them: every host of every tier is a target
with its segment, site and role (workplan_targets), and the timeline is a chart against the window
(workplan_timeline)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from test_outage_estate import PLAN_DEFAULTS, hostvars, scope  # noqa: F401 - hostvars is a fixture

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("outage_order", ROOT / "filter_plugins" / "outage_order.py")
outage_order = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(outage_order)


def plan(hostvars, direction):  # noqa: F811
    tiers = outage_order.outage_tiers(
        list(hostvars),
        hostvars,
        direction,
        scope=scope(hostvars),
        exclude_categories=PLAN_DEFAULTS["outage_plan_exclude_categories"][direction],
    )
    window = PLAN_DEFAULTS["outage_plan_windows"][direction]
    timeline = outage_order.outage_timeline(
        tiers,
        window["start"],
        window["end"],
        PLAN_DEFAULTS["outage_plan_host_minutes"][direction],
        stagger=PLAN_DEFAULTS["outage_plan_stagger_minutes"],
        before=PLAN_DEFAULTS["outage_plan_steps_before"][direction],
        after=PLAN_DEFAULTS["outage_plan_steps_after"][direction],
    )
    return tiers, timeline


def test_every_host_of_every_tier_is_a_changed_target_with_segment_and_site(hostvars):  # noqa: F811
    tiers, _timeline = plan(hostvars, "shutdown")
    targets = outage_order.outage_workplan_targets(tiers, hostvars, "shutdown")
    names = [t["name"] for t in targets]
    assert names == [h for t in tiers for h in t["hosts"]]
    assert len(names) == len(set(names)) > 1000  # the city hall's PCs, servers, appliances and UPSes
    for target in targets:
        hv = hostvars[target["name"]]
        assert target["change"] == "changed"
        assert (target["segment"], target["site"], target["role"]) == (
            hv.get("jichitai_segment"),
            hv.get("jichitai_site"),
            hv.get("jichitai_role"),
        )
        assert target["site"] == "cityhall"
    ad01 = next(t for t in targets if t["name"] == "ad01")
    tier = next(t["tier"] for t in tiers if "ad01" in t["hosts"])
    assert ad01["note"] == f"第{tier}段で停止（Active Directory）"
    up = outage_order.outage_workplan_targets(plan(hostvars, "startup")[0], hostvars, "startup")
    assert all(t["note"].endswith("）") and "で起動（" in t["note"] for t in up)
    assert not any(t["role"] == "pc" for t in up)  # staff switch their PCs on themselves


@pytest.mark.parametrize("direction", ["shutdown", "startup"])
def test_timeline_chart_has_a_bar_per_step_within_the_contract_window(hostvars, direction):  # noqa: F811
    tiers, timeline = plan(hostvars, direction)
    window = PLAN_DEFAULTS["outage_plan_windows"][direction]
    chart = outage_order.outage_workplan_timeline(
        timeline, direction, windows=[{"label": "作業枠", "start": window["start"], "end": window["end"]}]
    )
    assert chart["kind"] == "gantt" and chart["origin"] == window["start"]
    assert [b["tier"] for b in chart["bars"] if b["kind"] == "tier"] == [t["tier"] for t in tiers]
    assert [b["hosts"] for b in chart["bars"] if b["kind"] == "tier"] == [len(t["hosts"]) for t in tiers]
    ends = 0
    for bar, step in zip(chart["bars"], timeline["steps"], strict=True):
        assert bar["start_offset"] == ends and bar["end_offset"] - bar["start_offset"] == step["minutes"]
        assert (bar["start"], bar["end"]) == (step["start"], step["end"])
        ends = bar["end_offset"]
    assert ends == chart["total_minutes"] == timeline["total_minutes"]
    (drawn,) = chart["windows"]
    assert drawn["start_offset"] == 0
    assert drawn["end_offset"] == (120 if direction == "shutdown" else 180)
    assert chart["within_budget"] and ends <= drawn["end_offset"]
    word = "停止" if direction == "shutdown" else "起動"
    assert chart["title"] == f"{word}の工程（{len(tiers)} 段・{sum(len(t['hosts']) for t in tiers):,} 台）"


def test_window_past_midnight_counts_on():
    tiers = [{"tier": 1, "category": "application", "label": "業務", "hosts": ["a", "b"]}]
    timeline = outage_order.outage_timeline(tiers, "23:30", "00:30", {"default": 90}, stagger=0)
    chart = outage_order.outage_workplan_timeline(timeline)
    assert chart["windows"][0]["end_offset"] == 60
    assert chart["bars"][0]["end_offset"] == 90 and not chart["within_budget"]
