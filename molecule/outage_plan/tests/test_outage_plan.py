"""outage_plan changes nothing: its tiers must respect the inventory's dependencies, pairs and UPS feeds."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def plans(converge_output):
    return converge_output("outage_plan")


def tier_of(tiers):
    return {host: t["tier"] for t in tiers for host in t["hosts"]}


@pytest.mark.parametrize("direction", ["shutdown", "startup"])
def test_every_host_of_the_scope_is_planned_once(plans, direction):
    hosts = [h for t in plans["plans"][direction]["tiers"] for h in t["hosts"]]
    assert sorted(hosts) == sorted(plans["scope"])
    assert [t["tier"] for t in plans["plans"][direction]["tiers"]] == list(
        range(1, len(plans["plans"][direction]["tiers"]) + 1)
    )


def test_shutdown_takes_dependants_before_what_they_depend_on(plans, lab_inventory):
    tier = tier_of(plans["plans"]["shutdown"]["tiers"])
    for host in plans["scope"]:
        for needed in lab_inventory[host].get("jichitai_depends_on", []):
            if needed in tier:
                assert tier[host] < tier[needed], f"{host} depends on {needed}"
        feed = lab_inventory[host].get("jichitai_ups")
        if feed in tier:
            assert tier[host] < tier[feed], f"{host} is fed by {feed}"


def test_startup_is_the_reverse_and_keeps_the_pair_order(plans, lab_inventory):
    down = tier_of(plans["plans"]["shutdown"]["tiers"])
    up = tier_of(plans["plans"]["startup"]["tiers"])
    for host in plans["scope"]:
        for needed in lab_inventory[host].get("jichitai_depends_on", []):
            if needed in up:
                assert up[host] > up[needed], f"{host} depends on {needed}"
    assert max(down, key=down.get).startswith("ups") and min(up, key=up.get).startswith("ups")
    ad_down = next(t["hosts"] for t in plans["plans"]["shutdown"]["tiers"] if "ad01" in t["hosts"])
    ad_up = next(t["hosts"] for t in plans["plans"]["startup"]["tiers"] if "ad01" in t["hosts"])
    assert ad_down.index("ad02") < ad_down.index("ad01") and ad_up.index("ad01") < ad_up.index("ad02")


def test_the_timeline_adds_up_and_the_summary_names_every_tier(plans):
    for direction, plan in plans["plans"].items():
        timeline = plan["timeline"]
        assert timeline["total_minutes"] == sum(s["minutes"] for s in timeline["steps"]), direction
        assert timeline["within_budget"] == (timeline["total_minutes"] <= timeline["budget_minutes"])
        for tier in plan["tiers"]:
            assert f"第{tier['tier']}段" in plan["summary"]


def test_an_enforced_window_that_is_too_short_is_refused(plans):
    assert "overrun the window 21:00-21:10 (10 minutes)" in " ".join(plans["refusal"].split())
