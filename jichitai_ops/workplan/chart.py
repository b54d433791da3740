"""Charts of a work plan's timelines (plan["timelines"], published by a role with set_stats key
``workplan_timeline``): a Gantt chart of the steps against the budget windows, as inline SVG for the
HTML documents (no script, no external asset) and as a native chart sheet of the Excel workbook.

A timeline (filter ``outage_workplan_timeline``)::

    {kind: gantt, title, origin: "21:00", total_minutes, within_budget,
     windows: [{label, start, end, start_offset, end_offset}],
     bars: [{label, kind: tier|step, tier, hosts, start, end, minutes, start_offset, end_offset,
             actual_start_offset?, actual_end_offset?}]}

Offsets are minutes from ``origin`` (a clock time, HH:MM); a bar with actual offsets is drawn with
its actual bar beside the planned one.
"""

from __future__ import annotations

import re
from html import escape

FONT = "'Yu Gothic', 'Meiryo', 'Noto Sans CJK JP', sans-serif"
PLANNED = "#1f4e79"
STEP = "#7f8fa0"
ACTUAL = "#e07b00"
OVERRUN = "#b42318"
WINDOW_FILL = "#e3f1df"
WINDOW_EDGE = "#3b7d2c"
GRID = "#d0d7de"

WIDTH = 960
LABEL_WIDTH = 330
RIGHT_MARGIN = 70
HEAD = 46
ROW = 26
BAR = 14
FONT_SIZE = 12


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Rough drawn width of TEXT: a full-width (Japanese) character is a square, the rest about half."""
    return sum(size if ord(c) > 0x2E7F else size * 0.6 for c in text)


def fit(text: str, width: float, size: float = FONT_SIZE) -> str:
    """TEXT cut with an ellipsis to fit WIDTH, a closing （…） such as the number of hosts kept (the full
    text stays in the chart's tooltip)."""
    if text_width(text, size) <= width:
        return text
    match = re.search(r"（[^（）]*）$", text)
    tail = match.group(0) if match and text_width(match.group(0), size) < width / 3 else ""
    head = text[: len(text) - len(tail)]
    while head and text_width(head + "…" + tail, size) > width:
        head = head[:-1]
    return head + "…" + tail


def _minutes_of_day(clock: str) -> int:
    hours, minutes = str(clock)[:5].split(":")
    return int(hours) * 60 + int(minutes)


def clock(origin: str, offset: float) -> str:
    """The clock time OFFSET minutes after ORIGIN (HH:MM, past midnight as the next day's clock)."""
    total = (_minutes_of_day(origin) + int(round(offset))) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


def _bars(timeline: dict) -> list[dict]:
    return [b for b in timeline.get("bars") or [] if b.get("end_offset") is not None]


def has_actual(timeline: dict) -> bool:
    return any(b.get("actual_start_offset") is not None for b in _bars(timeline))


def _span(timeline: dict) -> tuple[int, int, int]:
    """Axis range (offsets, rounded to whole ticks of the clock) and the tick step in minutes."""
    origin = _minutes_of_day(timeline.get("origin") or "00:00")
    points = [0]
    for b in _bars(timeline):
        points += [b["start_offset"], b["end_offset"]]
        if b.get("actual_start_offset") is not None:
            points += [b["actual_start_offset"], b.get("actual_end_offset") or b["actual_start_offset"]]
    for w in timeline.get("windows") or []:
        points += [w["start_offset"], w["end_offset"]]
    low, high = min(points), max(points)
    span = max(high - low, 1)
    step = 10 if span <= 60 else 15 if span <= 180 else 30 if span <= 360 else 60
    first = ((origin + low) // step) * step - origin
    last = -((-(origin + high)) // step) * step - origin
    return int(first), int(max(last, first + step)), step


def gantt_svg(timeline: dict) -> str:
    """The timeline as an SVG Gantt chart (a string of markup, to be inserted as is)."""
    bars = _bars(timeline)
    origin = timeline.get("origin") or "00:00"
    low, high, step = _span(timeline)
    actual = has_actual(timeline)
    x0, x1 = LABEL_WIDTH, WIDTH - RIGHT_MARGIN
    scale = (x1 - x0) / (high - low)
    row_h = ROW + (BAR if actual else 0)
    top = HEAD
    height = top + row_h * len(bars) + 52

    def x(offset: float) -> float:
        return round(x0 + (offset - low) * scale, 1)

    title = str(timeline.get("title") or "工程表")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gantt" role="img" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" style="max-width:{WIDTH}px" font-family="{FONT}" font-size="{FONT_SIZE}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    rows_bottom = top + row_h * len(bars)
    # budget windows behind everything, with their label above the axis
    for w in timeline.get("windows") or []:
        wx0, wx1 = x(w["start_offset"]), x(w["end_offset"])
        out.append(
            f'<rect class="window" x="{wx0}" y="{top - 6}" width="{round(wx1 - wx0, 1)}"'
            f' height="{rows_bottom - top + 12}" fill="{WINDOW_FILL}" stroke="{WINDOW_EDGE}"'
            ' stroke-dasharray="5 3"/>'
        )
        text = f"{w.get('label') or '作業枠'} {w['start']}–{w['end']}"
        out.append(
            f'<text class="window-label" x="{wx0 + 4}" y="14" fill="{WINDOW_EDGE}"'
            f' font-weight="bold">{escape(text)}</text>'
        )
    # clock ticks and grid
    tick = low
    while tick <= high:
        tx = x(tick)
        out.append(f'<line x1="{tx}" y1="{top - 8}" x2="{tx}" y2="{rows_bottom + 6}" stroke="{GRID}"/>')
        out.append(
            f'<text class="tick" x="{tx}" y="{top - 12}" text-anchor="middle" fill="#444">'
            f"{clock(origin, tick)}</text>"
        )
        tick += step
    # one row per step: label, planned bar (part past the budget end in red), actual bar below it
    budget_end = max((w["end_offset"] for w in timeline.get("windows") or []), default=None)
    for i, b in enumerate(bars):
        y = top + i * row_h
        label = str(b.get("label") or "")
        shown = fit(label, x0 - 16)
        if i % 2:
            out.append(f'<rect x="0" y="{y}" width="{x0 - 6}" height="{row_h}" fill="#f4f6f8"/>')
        out.append(
            f'<text class="label" x="6" y="{y + ROW / 2 + 4}" fill="#222">'
            f"<title>{escape(label)}</title>{escape(shown)}</text>"
        )
        bx0, bx1 = x(b["start_offset"]), x(b["end_offset"])
        by = y + (ROW - BAR) / 2
        colour = PLANNED if b.get("kind", "tier") == "tier" else STEP
        tip = f"{label}: 予定 {b.get('start', clock(origin, b['start_offset']))}–" + str(
            b.get("end", clock(origin, b["end_offset"]))
        )
        out.append(
            f'<rect class="bar planned" x="{bx0}" y="{by}" width="{max(round(bx1 - bx0, 1), 1.5)}"'
            f' height="{BAR}" fill="{colour}"><title>{escape(tip)}</title></rect>'
        )
        if budget_end is not None and b["end_offset"] > budget_end:
            ox = x(max(budget_end, b["start_offset"]))
            out.append(
                f'<rect class="bar overrun" x="{ox}" y="{by}" width="{round(bx1 - ox, 1)}"'
                f' height="{BAR}" fill="{OVERRUN}"/>'
            )
        minutes = b.get("minutes", b["end_offset"] - b["start_offset"])
        out.append(f'<text class="minutes" x="{bx1 + 4}" y="{by + BAR - 3}" fill="#444">{minutes}分</text>')
        if b.get("actual_start_offset") is not None:
            a0 = b["actual_start_offset"]
            a1 = b.get("actual_end_offset")
            ax0, ax1 = x(a0), x(a1 if a1 is not None else a0)
            ay = by + BAR + 2
            until = clock(origin, a1) if a1 is not None else "（未完了）"
            atip = f"{label}: 実績 {clock(origin, a0)}–{until}"
            out.append(
                f'<rect class="bar actual" x="{ax0}" y="{ay}" width="{max(round(ax1 - ax0, 1), 1.5)}"'
                f' height="{BAR - 4}" fill="{ACTUAL}"><title>{escape(atip)}</title></rect>'
            )
    # legend
    ly = rows_bottom + 30
    legend = [(PLANNED, "計画（停止・起動の段）"), (STEP, "計画（確認などの手順）")]
    if actual:
        legend.append((ACTUAL, "実績"))
    if budget_end is not None and any(b["end_offset"] > budget_end for b in bars):
        legend.append((OVERRUN, "作業枠の超過"))
    lx = 6
    out.append(
        f'<rect x="{lx}" y="{ly - 10}" width="18" height="12" fill="{WINDOW_FILL}" stroke="{WINDOW_EDGE}"'
        ' stroke-dasharray="5 3"/>'
    )
    out.append(f'<text x="{lx + 24}" y="{ly}" fill="#222">作業枠</text>')
    lx += 90
    for colour, text in legend:
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="18" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 24}" y="{ly}" fill="#222">{escape(text)}</text>')
        lx += 24 + text_width(text) + 24
    total = timeline.get("total_minutes")
    if total is not None:
        verdict = "作業枠内" if timeline.get("within_budget", True) else "作業枠を超過"
        summary = f"計画 {origin}–{clock(origin, total)}（{total}分、{verdict}）"
        out.append(
            f'<text class="total" x="{WIDTH - 6}" y="{ly}" text-anchor="end" fill="#222">'
            f"{escape(summary)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def sheet_title(wb, base: str = "工程表") -> str:
    title, n = base, 1
    while title in wb.sheetnames:
        n += 1
        title = f"{base}{n}"
    return title


def add_gantt_sheet(wb, timeline: dict):
    """A sheet with the timeline's table and a native Excel Gantt chart (a horizontal stacked bar chart
    whose first series, the start, is not drawn). Times are Excel times (fractions of a day)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.series import DataPoint
    from openpyxl.chart.shapes import GraphicalProperties
    from openpyxl.styles import Alignment, Font, PatternFill

    bars = _bars(timeline)
    origin = timeline.get("origin") or "00:00"
    base = _minutes_of_day(origin) / 1440
    ws = wb.create_sheet(sheet_title(wb))
    ws["A1"] = str(timeline.get("title") or "工程表")
    ws["A1"].font = Font(bold=True, size=13)
    headers = ["段", "工程", "台数", "開始予定", "終了予定", "所要（分）"]
    headers += ["開始（グラフ用）", "所要（グラフ用）"]
    head = 3
    for col, text in enumerate(headers, 1):
        cell = ws.cell(row=head, column=col, value=text)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = []
    for w in timeline.get("windows") or []:
        label = f"{w.get('label') or '作業枠'} {w['start']}–{w['end']}"
        rows.append(("", label, None, w["start_offset"], w["end_offset"]))
    windows = len(rows)
    for b in bars:
        tier = b.get("tier") or ""
        rows.append((tier, b.get("label") or "", b.get("hosts"), b["start_offset"], b["end_offset"]))
    for r, (tier, label, hosts, start, end) in enumerate(rows, head + 1):
        ws.cell(row=r, column=1, value=tier if tier != "" else None)
        ws.cell(row=r, column=2, value=str(label)).data_type = "s"
        ws.cell(row=r, column=3, value=hosts)
        for col, value in ((4, base + start / 1440), (5, base + end / 1440), (7, base + start / 1440)):
            ws.cell(row=r, column=col, value=value).number_format = "hh:mm"
        ws.cell(row=r, column=6, value=end - start)
        ws.cell(row=r, column=8, value=(end - start) / 1440).number_format = "[h]:mm"
    last = head + len(rows)
    for col, width in zip("ABCDEFGH", (6, 44, 8, 10, 10, 10, 14, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(row=head + 1, column=1)

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = str(timeline.get("title") or "工程表")
    chart.legend = None
    data = Reference(ws, min_col=7, max_col=8, min_row=head, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=2, min_row=head + 1, max_row=last))
    offset, duration = chart.series
    offset.graphicalProperties = GraphicalProperties(noFill=True)
    offset.graphicalProperties.line.noFill = True
    duration.graphicalProperties = GraphicalProperties(solidFill=PLANNED.lstrip("#").upper())
    for i in range(windows):  # the budget windows are the first rows, drawn in green
        point = DataPoint(idx=i)
        point.graphicalProperties = GraphicalProperties(solidFill=WINDOW_FILL.lstrip("#").upper())
        point.graphicalProperties.line.solidFill = WINDOW_EDGE.lstrip("#").upper()
        duration.dPt.append(point)
    for i, b in enumerate(bars, windows):
        if b.get("kind") == "step":
            point = DataPoint(idx=i)
            point.graphicalProperties = GraphicalProperties(solidFill=STEP.lstrip("#").upper())
            duration.dPt.append(point)
    low, high, step = _span(timeline)
    chart.y_axis.scaling.min = base + low / 1440
    chart.y_axis.scaling.max = base + high / 1440
    chart.y_axis.majorUnit = max(step, 30) / 1440
    chart.y_axis.number_format = "hh:mm"
    chart.y_axis.title = "時刻"
    chart.x_axis.scaling.orientation = "maxMin"  # first step at the top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height = max(8.0, 0.7 * len(rows) + 3)
    chart.width = 26.0
    ws.add_chart(chart, f"A{last + 3}")
    return ws
