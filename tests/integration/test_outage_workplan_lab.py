"""The lab outage's work plan names the hosts the controller stops (workplan_targets from the role
outage_plan) with their segment and site, and draws the tiers against the window (workplan_timeline),
in plan.json, plan.html (inline SVG, the order text line by line) and plan.xlsx (chart sheet)."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from test_outage_lab import SHUTDOWN_ORDER, STAND_INS, TIER6, is_on, playbook

pytestmark = pytest.mark.lab


def test_shutdown_plan_lists_every_host_of_every_tier_and_charts_the_tiers(lab, tmp_path):
    down = playbook(
        "outage_shutdown.yml", tmp_path, "--check",
        "-e", "workplan_window_start=2026-12-19T21:00 workplan_window_end=2026-12-19T23:00",
    )  # fmt: skip
    assert down.returncode == 0, down.stdout[-3000:]
    (folder,) = [p.parent for p in (tmp_path / "plans").glob("*/plan.json")]
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    hosts = {h["name"]: h for h in plan["hosts"]}
    assert set(SHUTDOWN_ORDER) <= set(hosts)
    assert set(SHUTDOWN_ORDER) <= set(plan["summary"]["hosts_with_changes"])
    for name in SHUTDOWN_ORDER:
        assert hosts[name]["segment_name"] and hosts[name]["site_name"] == "守口市役所本庁舎", hosts[name]
        assert re.fullmatch(r"第[1-6]段で停止（.+）", hosts[name]["note"]), hosts[name]
    assert hosts["ad01"]["note"] == "第4段で停止（Active Directory）"
    assert {s["name"] for s in plan["affected"]["sites"]} == {"守口市役所本庁舎"}
    assert {"LGWAN接続系", "インターネット接続系", "個人番号利用事務系"} <= {
        s["name"] for s in plan["affected"]["segments"]
    }
    (timeline,) = plan["timelines"]
    tiers = [b for b in timeline["bars"] if b["kind"] == "tier"]
    assert [b["hosts"] for b in tiers] == [len(TIER6), 1, 4, 2, 1, 4]
    assert timeline["windows"][0]["start"] == "21:00" and timeline["windows"][0]["end"] == "23:00"

    page = (folder / "plan.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg [^>]*class="gantt".*?</svg>', page, flags=re.S).group(0)
    assert svg.count('class="bar planned"') == len(timeline["bars"])
    assert "第4段 Active Directory（2台）" in svg
    summary = re.search(r'<p class="lines">(.*?)</p>', page, flags=re.S).group(1)
    # tier 1 takes 1 minute more per host beyond the first (outage_plan_stagger_minutes)
    assert "\n21:27–21:31 第4段 Active Directory: ad02 → ad01\n" in summary
    assert "ups04</td>" in page and "第6段で停止（UPS）" in page

    wb = openpyxl.load_workbook(folder / "plan.xlsx")
    assert len(wb["工程表"]._charts) == 1
    text = (folder / "plan.md").read_text(encoding="utf-8")
    assert text.startswith("# 作業計画書 — 計画停電に伴うサーバ・機器の順次停止")
    assert "第6段 UPS: ups01 → ups02 → ups03 → ups04" in text
    assert "作業枠 21:00–23:00 の 120 分以内" in text
    # the check run touched nothing: no shutdown record, every stand-in on but those the directory's
    # tests beside this lane stop and start on their own (the controllers, the RADIUS peers)
    assert not list(tmp_path.glob("shutdown-*"))
    assert [h for h in STAND_INS if h not in ("ad01", "ad02", "radius01", "radius02") and not is_on(h)] == []
