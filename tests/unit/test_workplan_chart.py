"""The work plan's charts (jichitai_ops/workplan/chart.py): a Gantt chart of a published timeline as
inline SVG in the HTML plan and as a native chart on its own sheet of the Excel plan."""

from __future__ import annotations

import datetime
import importlib.util
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from test_workplan_render import guard, record

from jichitai_ops.workplan import chart, render, xlsx
from jichitai_ops.workplan import plan as plan_mod

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("outage_order", ROOT / "filter_plugins" / "outage_order.py")
outage_order = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(outage_order)
SVG = "{http://www.w3.org/2000/svg}"
TIERS = [
    {"tier": 1, "category": "application", "label": "業務・アプリケーションサーバ",
     "hosts": ["mail01", "mnxfer01"]},
    {"tier": 2, "category": "file", "label": "ファイルサーバ・バックアップ", "hosts": ["backup01"]},
    {"tier": 3, "category": "directory", "label": "Active Directory", "hosts": ["ad02", "ad01"]},
    {"tier": 4, "category": "ups", "label": "UPS", "hosts": ["ups01", "ups02"]},
]  # fmt: skip
MINUTES = {"application": 3, "file": 4, "directory": 3, "ups": 5, "default": 3}


def timeline(start="21:00", end="23:00", minutes=None, tiers=TIERS):
    estimate = outage_order.outage_timeline(
        tiers, start, end, minutes or MINUTES, stagger=1, before={"事前確認（UPS・バックアップ）": 10}
    )
    windows = [{"label": "停止の作業枠（契約）", "start": start, "end": end}]
    return outage_order.outage_workplan_timeline(estimate, "shutdown", windows=windows)


def svg_of(data: dict) -> ET.Element:
    return ET.fromstring(chart.gantt_svg(data))  # well-formed XML, or this raises


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if cls in (r.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    """The drawn text of each text element (a tooltip's title is not drawn)."""
    return [(t.text or "") + "".join(c.tail or "" for c in t) for t in root.iter(f"{SVG}text")]


def test_a_planned_bar_per_tier_and_step_inside_the_budget_window():
    data = timeline()
    root = svg_of(data)
    bars = rects(root, "planned")
    assert len(bars) == len(TIERS) + 1  # the pre-check step and one bar per tier
    (window,) = rects(root, "window")
    wx0, wx1 = float(window.get("x")), float(window.get("x")) + float(window.get("width"))
    for bar in bars:
        assert wx0 <= float(bar.get("x")) and float(bar.get("x")) + float(bar.get("width")) <= wx1 + 0.2
    # widths in proportion to the minutes: the 10-minute pre-check against the 120-minute window
    assert float(bars[0].get("width")) == pytest.approx((wx1 - wx0) * 10 / 120, abs=0.2)
    # one after the other, never overlapping
    for before, after in zip(bars, bars[1:], strict=False):
        assert float(before.get("x")) + float(before.get("width")) == pytest.approx(
            float(after.get("x")), abs=0.2
        )
    assert not rects(root, "overrun") and not rects(root, "actual")


def test_labels_are_japanese_and_readable():
    root = svg_of(timeline())
    words = texts(root)
    assert "第3段 Active Directory（2台）" in words
    assert "第1段 業務・アプリケーションサーバ（2台）" in words
    assert "停止の作業枠（契約） 21:00–23:00" in words
    assert {"21:00", "22:00", "23:00"} <= set(words)
    assert any(w.startswith("計画 21:00–21:") and "作業枠内" in w for w in words)
    assert "Noto Sans CJK JP" in root.get("font-family")
    assert root.find(f"{SVG}title").text.startswith("停止の工程（4 段・7 台）")


def test_an_overrun_is_drawn_red_past_the_window():
    data = timeline(end="21:20")
    root = svg_of(data)
    assert not data["within_budget"]
    overrun = rects(root, "overrun")
    assert overrun and all(o.get("fill") == chart.OVERRUN for o in overrun)
    assert any("作業枠を超過" in w for w in texts(root))


def test_actual_bars_beside_planned_ones_when_the_timeline_has_actual_times():
    data = timeline()
    data["bars"][1]["actual_start_offset"], data["bars"][1]["actual_end_offset"] = 12, 20
    data["bars"][2]["actual_start_offset"] = 20  # started, not finished
    root = svg_of(data)
    assert len(rects(root, "actual")) == 2 and len(rects(root, "planned")) == len(data["bars"])
    assert "実績" in texts(root)


def test_past_midnight_the_clock_goes_on_and_markup_in_labels_is_text():
    tiers = [{**TIERS[0], "label": "<script>alert(1)</script>"}]
    data = timeline("23:30", "00:30", tiers=tiers)
    source = chart.gantt_svg(data)
    assert "<script>" not in source
    words = texts(ET.fromstring(source))
    assert {"23:30", "00:00", "00:30"} <= set(words)
    assert any("<script>alert(1)</script>" in w for w in words)


@pytest.fixture
def outage_plan():
    data = timeline()
    description = "停止順序（4 段・7 台）\n21:00–21:10 事前確認\n21:10–21:14 第1段 業務: mail01 → mnxfer01"
    g = guard()
    g["meta"] = {**g["meta"], "title": "計画停電に伴う順次停止", "description": description}
    targets = outage_order.outage_workplan_targets(
        TIERS,
        {
            h: {"jichitai_segment": "lgwan", "jichitai_site": "cityhall", "jichitai_role": "x"}
            for t in TIERS
            for h in t["hosts"]
        },
    )
    rec = record("localhost", "Check every UPS", {"changed": True}, 1)
    return plan_mod.assemble_plan(
        g, [rec], {"forks": 5}, g.get("hosts", []), targets=targets, timelines=[data]
    )


def test_html_plan_draws_each_timeline_and_keeps_line_breaks(outage_plan):
    two = {**outage_plan, "timelines": [*outage_plan["timelines"], timeline("06:00", "09:00")]}
    page = render.render_plan(two, "d" * 64, "html")
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="gantt"') == 2
    for svg in re.findall(r"<svg .*?</svg>", page, flags=re.S):
        ET.fromstring(svg)  # inserted as markup, not escaped text
    paragraph = re.search(r'<p class="lines">(.*?)</p>', page, flags=re.S).group(1)
    assert paragraph.count("\n") == 2 and "21:10–21:14 第1段" in paragraph
    assert "white-space: pre-line" in page
    assert "第3段で停止（Active Directory）" in page  # the host table's note
    assert "<svg" not in render.render_plan(outage_plan, "d" * 64, "md")


def test_xlsx_plan_has_a_gantt_chart_on_its_own_sheet(outage_plan):
    buffer = io.BytesIO()
    xlsx.plan_workbook(outage_plan, "d" * 64).save(buffer)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    assert "工程表" in wb.sheetnames
    ws = wb["工程表"]
    (gantt,) = ws._charts
    assert gantt.type == "bar" and gantt.grouping == "stacked"
    offset, duration = gantt.series
    assert offset.graphicalProperties.noFill  # the usual Gantt trick: the start is not drawn
    assert not duration.graphicalProperties.noFill
    bars = outage_plan["timelines"][0]["bars"]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]]
    assert rows[0][1] == "停止の作業枠（契約） 21:00–23:00"
    assert [r[1] for r in rows[1:]] == [b["label"] for b in bars]
    # times are real Excel times (fractions of a day), minutes are numbers
    assert rows[1][3] == datetime.time(21, 0) and rows[1][4] == datetime.time(21, 10) and rows[1][5] == 10
    assert ws.cell(row=5, column=4).number_format == "hh:mm"
    assert len(duration.val.numRef.f.split(":")) == 2 and "$H$4" in duration.val.numRef.f
    # the other sheets stay: the host table lists every tier's host with its note
    hosts = [r for r in wb["影響範囲"].iter_rows(values_only=True) if r[0] in ("ad01", "ups02")]
    assert [r[-1] for r in hosts] == ["第3段で停止（Active Directory）", "第4段で停止（UPS）"]


def test_a_plan_without_timelines_has_no_chart_sheet(outage_plan):
    plain = {**outage_plan, "timelines": []}
    assert "工程表" not in xlsx.plan_workbook(plain, "d" * 64).sheetnames
    assert "<svg" not in render.render_plan(plain, "d" * 64, "html")


def test_a_long_label_is_cut_but_keeps_its_host_count():
    label = "第4段 SKYSEA・ウイルス対策・WSUS等の管理サーバ（1,012台）"
    shown = chart.fit(label, chart.LABEL_WIDTH - 16)
    assert shown.endswith("…（1,012台）") and shown.startswith("第4段 SKYSEA")
    assert chart.text_width(shown) <= chart.LABEL_WIDTH - 16 < chart.text_width(label)
    short = "第3段 Active Directory（2台）"
    assert chart.fit(short, chart.LABEL_WIDTH - 16) == short
