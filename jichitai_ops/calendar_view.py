"""The service calendar as month grids a city official checks at a glance (HTML and Excel).

For each month: a grid of 7 columns (日〜土), one cell per day listing the off-hours service slots in
which disruptive work is refused (停止不可, red) or warned about (注意, amber), with their times,
department and service; every slot that rests on an assumption is marked 「仮定」 with the reading it
rests on (the reading of 「第n週」, the assumed hours, the assumed year-end closure). Below the grid:
the slots with their business systems, the business systems with the departments serving on them,
and the rules whose reading the city has yet to confirm. Read once a year by the city, this is how
the assumptions of group_vars/all/service_calendar.yml are confirmed or corrected.

The cells are what ``service_calendar.evaluate`` answers for disruptive work on every service slot
of the month (``departments: [all]``); nothing here interprets a rule itself.

    jichitai-ops calendar --month 2027-04 [--months 12] [--inventory inventories/moriguchi] --out DIR

writes calendar-YYYY-MM.html per month and calendar.xlsx (one sheet per month, A4 landscape).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from . import service_calendar as cal
from .workplan.wareki import clock, era_year, wareki_date

COLUMNS_JA = ("日", "月", "火", "水", "木", "金", "土")  # weeks start on Sunday, as Japanese calendars do
SEVERITY_JA = {"block": "停止不可", "warn": "注意"}
CALENDAR_FILE = Path("group_vars") / "all" / "service_calendar.yml"
TEMPLATE_DIR = Path(__file__).resolve().parent / "workplan" / "templates"
BLOCK_COLOR, WARN_COLOR, ASSUMED_COLOR = "B42318", "B54708", "6941C6"
BLOCK_FILL, WARN_FILL, HOLIDAY_COLOR = "FFF1F0", "FFF8E1", "C00000"


# -- the month as data -----------------------------------------------------------------------------


def month_title(year: int, month: int) -> str:
    """2027-04 -> 令和9年4月"""
    name, number = era_year(dt.date(year, month, 1))
    return f"{name}{'元' if number == 1 else number}年{month}月"


def _span_text(start: dt.datetime, end: dt.datetime, day: dt.date) -> str:
    """9:00〜13:00; an end at the next midnight is 24:00, a later end 翌8:30."""
    if end.date() == day:
        finish = clock(end)
    elif end.date() == day + dt.timedelta(days=1) and end.time() == dt.time(0, 0):
        finish = "24:00"
    else:
        finish = f"翌{clock(end)}"
    return f"{clock(start)}〜{finish}"


def _reading_text(slot: dict, readings) -> str:
    """「第4週」を日曜始まりの週と読んだ場合のみ: the readings a slot of this day rests on."""
    wanted = sorted({n for c in cal._conditions(slot) for n in c.get("nth_week", [])})
    nums = "・".join(str(n) for n in wanted)
    names = "・".join(cal.WEEK_READINGS_JA.get(r, r) for r in cal.WEEK_READINGS if r in readings)
    return f"「第{nums}週」を{names}と読んだ場合のみ"


def _notes(finding: dict, slot: dict | None, calendar: dict, day: dt.date) -> list[str]:
    """The assumptions one finding rests on, short enough for a calendar cell."""
    notes = []
    code = finding.get("code")
    if code == "closure_assumed":
        closure = cal._closure_entry(day, calendar.get("closures", [])) or {}
        notes.append(cal._closure_assumption(closure))
    elif code == "date_unregistered":
        notes.append("実施日が未登録（dates に登録するまで該当月の全日を注意）")
    if slot and (slot.get("assumed") or slot.get("hours_unstated")) and code != "date_unregistered":
        notes.append(str(slot.get("assumption") or "仕様書に時間の記載なし"))
    if slot and finding.get("readings"):
        notes.append(_reading_text(slot, finding["readings"]))
    return notes


def month_grid(calendar: dict, year: int, month: int) -> dict:
    """The month as a grid: ``weeks`` (rows of 7 cells, Sunday first; None outside the month), each
    cell with its day kind and ``entries`` (one per service slot: blocked and warned times, whether
    assumed and on what), plus the month's slots, systems and unconfirmed readings for the legend."""
    cal.validate(calendar)
    tz = ZoneInfo(calendar.get("timezone", cal.DEFAULT_TZ))
    first = dt.date(year, month, 1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0, 0), tz)
    end = dt.datetime.combine(after, dt.time(0, 0), tz)
    slots = {s.get("id"): s for s in calendar.get("service_slots", [])}
    cells = {}
    for info in cal.window_days(calendar, start, end):
        day = dt.date.fromisoformat(info["date"])
        cells[day] = {
            "date": info["date"],
            "day": day.day,
            "wareki": wareki_date(day),
            "weekday_ja": info["weekday_ja"],
            "holiday": info["holiday"],
            "closure": info["closure"],
            "open": info["open"],
            "business_hours": None,
            "entries": [],
            "severity": None,
        }
    # one more day, so that a slot running past the month's last midnight shows its whole span
    findings = cal.evaluate(calendar, start, end + dt.timedelta(days=1), disruptive=True, departments=["all"])
    for finding in findings:
        a = dt.datetime.fromisoformat(finding["start"]).astimezone(tz)
        b = dt.datetime.fromisoformat(finding["end"]).astimezone(tz)
        cell = cells.get(a.date())
        if cell is None:
            continue
        if finding["code"] == "business_hours":
            cell["business_hours"] = _span_text(a, b, a.date())
            continue
        rule = str(finding.get("rule"))
        slot = slots.get(rule)
        entry = next((e for e in cell["entries"] if e["rule"] == rule), None)
        if entry is None:
            if slot:
                label = (
                    f"{slot.get('department_name', slot.get('department'))} {slot.get('service', '')}".strip()
                )
            else:
                label = "開庁日の業務時間（§9-2(6)）"
            entry = {
                "rule": rule,
                "label": label,
                "department": slot.get("department") if slot else None,
                "department_name": slot.get("department_name") if slot else None,
                "service": slot.get("service") if slot else None,
                "where": slot.get("where") if slot else None,
                "systems": [str(s) for s in (slot or {}).get("systems", []) or []],
                "blocks": [],
                "warns": [],
                "assumed": False,
                "notes": [],
                "sort": a,
            }
            cell["entries"].append(entry)
        span = _span_text(a, b, a.date())
        (entry["blocks"] if finding["severity"] == "block" else entry["warns"]).append(span)
        entry["sort"] = min(entry["sort"], a)
        if finding.get("assumed"):
            entry["assumed"] = True
            for note in _notes(finding, slot, calendar, a.date()):
                if note not in entry["notes"]:
                    entry["notes"].append(note)
    for cell in cells.values():
        cell["entries"].sort(key=lambda e: (not e["blocks"], e["sort"], str(e["department"]), e["rule"]))
        for entry in cell["entries"]:
            entry["severity"] = "block" if entry["blocks"] else "warn"
            del entry["sort"]
        if any(e["blocks"] for e in cell["entries"]):
            cell["severity"] = "block"
        elif cell["entries"]:
            cell["severity"] = "warn"
    lead = (first.weekday() + 1) % 7  # columns from Sunday
    row: list = [None] * lead
    weeks = []
    for day in sorted(cells):
        row.append(cells[day])
        if len(row) == 7:
            weeks.append(row)
            row = []
    if row:
        weeks.append(row + [None] * (7 - len(row)))
    used = {e["rule"] for c in cells.values() for e in c["entries"]}
    return {
        "year": year,
        "month": month,
        "key": f"{year:04d}-{month:02d}",
        "title": month_title(year, month),
        "columns": COLUMNS_JA,
        "weeks": weeks,
        "slots": [_slot_row(s) for s in calendar.get("service_slots", []) if s.get("id") in used],
        "systems": _systems_rows(calendar),
        "readings": readings_table(calendar),
        "counts": {
            "block_days": sum(1 for c in cells.values() if c["severity"] == "block"),
            "assumed": sum(1 for c in cells.values() for e in c["entries"] if e["assumed"]),
        },
    }


def _slot_row(slot: dict) -> dict:
    conds = cal._conditions(slot)
    readings, confirmed = cal.week_readings(slot)
    has_week = any("nth_week" in c for c in conds)
    spec = slot.get("time", "00:00-24:00")
    return {
        "rule": slot.get("id"),
        "department": slot.get("department"),
        "department_name": slot.get("department_name"),
        "service": slot.get("service"),
        "where": slot.get("where"),
        "time": "・".join(str(t).replace("-", "〜") for t in (spec if isinstance(spec, list) else [spec])),
        "systems": [str(s) for s in slot.get("systems", []) or []],
        "assumption": slot.get("assumption") if (slot.get("assumed") or slot.get("hours_unstated")) else None,
        "week": (
            None
            if not has_week
            else (
                f"確認済: {cal.WEEK_READINGS_JA.get(readings[0], readings[0])}"
                if confirmed
                else "未確認（3通りの読みの和集合）"
            )
        ),
    }


def _systems_rows(calendar: dict) -> list[dict]:
    return [
        {
            "system": system,
            "departments": "・".join(str(d["department_name"] or d["department"]) for d in deps),
        }
        for system, deps in cal.systems_index(calendar).items()
    ]


def readings_table(calendar: dict) -> list[dict]:
    """Every rule that uses 「第n週」: which weeks, whether the city confirmed a reading, by whom, when."""
    rows = []
    for slot in calendar.get("service_slots", []):
        weeks = sorted({n for c in cal._conditions(slot) for n in c.get("nth_week", [])})
        if not weeks:
            continue
        readings, confirmed = cal.week_readings(slot)
        record = slot.get("week_reading") or {}
        rows.append(
            {
                "rule": slot.get("id"),
                "department_name": slot.get("department_name"),
                "service": slot.get("service"),
                "weeks": "第" + "・".join(str(n) for n in weeks) + "週",
                "confirmed": confirmed,
                "reading": (
                    cal.WEEK_READINGS_JA.get(readings[0], readings[0])
                    if confirmed
                    else "未確認: "
                    + "・".join(cal.WEEK_READINGS_JA[r] for r in cal.WEEK_READINGS)
                    + " のいずれでも停止不可"
                ),
                "confirmed_by": record.get("confirmed_by") if confirmed else None,
                "confirmed_at": str(record.get("confirmed_at"))[:10] if confirmed else None,
            }
        )
    return rows


def months(year: int, month: int, count: int) -> list[tuple[int, int]]:
    out = []
    for i in range(count):
        index = year * 12 + month - 1 + i
        out.append((index // 12, index % 12 + 1))
    return out


# -- HTML ------------------------------------------------------------------------------------------


def render_html(grid: dict, source: str = "") -> str:
    from .jinja_env import environment

    return environment(str(TEMPLATE_DIR), True).get_template("calendar.html.j2").render(
        grid=grid, source=source, severity_ja=SEVERITY_JA, made=wareki_date(dt.date.today())
    )


# -- Excel -----------------------------------------------------------------------------------------


def _rich(cell: dict):
    """The cell's text as rich text: the day in black (red on holidays), blocked slots red, warned
    amber, 「仮定」 and its reading purple."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    parts = []
    head = f"{cell['day']}"
    extra = " ".join(x for x in (cell["holiday"], cell["closure"]) if x)
    day_font = InlineFont(
        b=True, sz=12, color=HOLIDAY_COLOR if (cell["holiday"] or cell["closure"]) else "000000"
    )
    parts.append(TextBlock(day_font, head + (f" {extra}" if extra else "")))
    if cell["business_hours"]:
        parts.append(
            TextBlock(
                InlineFont(sz=8, color="666666"), f"\n開庁日 業務時間 {cell['business_hours']} 停止不可"
            )
        )
    for entry in cell["entries"]:
        lead = "\n"
        if entry["blocks"]:
            parts.append(
                TextBlock(
                    InlineFont(sz=9, color=BLOCK_COLOR, b=True),
                    lead + "【停止不可】" + "・".join(entry["blocks"]),
                )
            )
            lead = " "
        if entry["warns"]:
            parts.append(
                TextBlock(InlineFont(sz=9, color=WARN_COLOR), lead + "【注意】" + "・".join(entry["warns"]))
            )
        parts.append(TextBlock(InlineFont(sz=9, color="000000"), f"\n {entry['label']}"))
        if entry["assumed"]:
            parts.append(TextBlock(InlineFont(sz=8, color=ASSUMED_COLOR, b=True), "\n 「仮定」"))
            parts.append(TextBlock(InlineFont(sz=8, color=ASSUMED_COLOR), "；".join(entry["notes"])))
    return CellRichText(*parts)


def _lines(cell: dict, width: int) -> int:
    lines = 1 + (1 if cell["business_hours"] else 0)
    for entry in cell["entries"]:
        lines += 2
        if entry["assumed"]:
            lines += 1 + len("；".join(entry["notes"])) * 2 // (width * 2)
    return lines


def write_sheet(wb, grid: dict, source: str = ""):
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=grid["title"])
    width = 30
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.cell(
        row=1, column=1, value=f"時間外業務カレンダー {grid['title']}（停止を伴う作業の可否）"
    ).font = Font(b=True, sz=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
    ws.cell(
        row=2,
        column=1,
        value="赤【停止不可】: 停止を伴う作業は実施できません　橙【注意】: 仮定に基づく注意"
        + "　紫「仮定」: 市の確認待ちの読み"
        + (f"　出典: {source}" if source else ""),
    ).font = Font(sz=9)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=7)
    for col, name in enumerate(grid["columns"], start=1):
        c = ws.cell(row=3, column=col, value=name)
        c.font = Font(b=True, color=HOLIDAY_COLOR if col == 1 else ("1F4E79" if col == 7 else "000000"))
        c.fill = PatternFill("solid", fgColor="DDE7F0")
        c.alignment = Alignment(horizontal="center")
        c.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    row = 4
    for week in grid["weeks"]:
        lines = 1
        for col, cell in enumerate(week, start=1):
            target = ws.cell(row=row, column=col)
            target.border = border
            target.alignment = Alignment(wrap_text=True, vertical="top")
            if cell is None:
                target.fill = PatternFill("solid", fgColor="F2F2F2")
                continue
            target.value = _rich(cell)
            if cell["severity"]:
                target.fill = PatternFill(
                    "solid", fgColor=BLOCK_FILL if cell["severity"] == "block" else WARN_FILL
                )
            lines = max(lines, _lines(cell, width))
        ws.row_dimensions[row].height = min(13 * lines + 6, 409)
        row += 1
    row += 1
    ws.cell(row=row, column=1, value="時間外業務（§4-3(3)）と業務システム").font = Font(b=True)
    row += 1
    for col, name in enumerate(
        ("区分", "担当課", "業務", "場所", "時間", "業務システム", "仮定・読み"), start=1
    ):
        c = ws.cell(row=row, column=col, value=name)
        c.font = Font(b=True)
        c.fill = PatternFill("solid", fgColor="DDE7F0")
        c.border = border
    for slot in grid["slots"]:
        row += 1
        values = (
            slot["rule"],
            slot["department_name"],
            slot["service"],
            slot["where"],
            slot["time"],
            "・".join(slot["systems"]),
            "；".join(x for x in (slot["assumption"], slot["week"] and f"第n週: {slot['week']}") if x),
        )
        for col, value in enumerate(values, start=1):
            c = ws.cell(row=row, column=col, value=value or "")
            c.alignment = Alignment(wrap_text=True, vertical="top")
            c.border = border
        longest = max(len(str(v or "")) for v in values)
        ws.row_dimensions[row].height = min(13 * (1 + longest // (width - 2)) + 4, 409)
    if grid["readings"]:
        row += 2
        ws.cell(row=row, column=1, value="「第n週」の読み（市の確認）").font = Font(b=True)
        for entry in grid["readings"]:
            row += 1
            who = f"（{entry['confirmed_by']}、{entry['confirmed_at']}）" if entry["confirmed"] else ""
            ws.cell(row=row, column=1, value=entry["rule"])
            ws.cell(row=row, column=2, value=f"{entry['department_name']} {entry['service']}")
            ws.cell(row=row, column=3, value=entry["weeks"])
            c = ws.cell(row=row, column=4, value=f"{entry['reading']}{who}")
            ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=7)
            c.font = Font(color="000000" if entry["confirmed"] else ASSUMED_COLOR)
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = ws.ORIENTATION_LANDSCAPE
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.print_title_rows = "3:3"
    ws.oddFooter.center.text = "&A　&P / &N"
    return ws


def write_workbook(grids: list[dict], path: str, source: str = "") -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for grid in grids:
        write_sheet(wb, grid, source)
    wb.save(path)


# -- loading and the command ------------------------------------------------------------------------


def find_calendar(root: Path, inventory: str | None = None) -> Path:
    """The calendar file: the inventory's group_vars/all/service_calendar.yml when it has one, else
    the project's (loaded for every inventory)."""
    candidates = []
    if inventory:
        inv = Path(inventory)
        inv = inv if inv.is_absolute() else root / inv
        candidates.append((inv if inv.is_dir() else inv.parent) / CALENDAR_FILE)
    candidates.append(root / CALENDAR_FILE)
    for path in candidates:
        if path.is_file():
            return path
    raise cal.CalendarError(f"no service calendar at {' or '.join(str(p) for p in candidates)}")


def load_calendar(path: Path) -> dict:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    calendar = data.get("jichitai_service_calendar")
    if not isinstance(calendar, dict):
        raise cal.CalendarError(f"{path}: no jichitai_service_calendar")
    return calendar


def write_calendar(
    calendar: dict, year: int, month: int, count: int, out: str, source: str = ""
) -> list[str]:
    """calendar-YYYY-MM.html for each month and calendar.xlsx (one sheet per month) under ``out``."""
    os.makedirs(out, exist_ok=True)
    grids = [month_grid(calendar, y, m) for y, m in months(year, month, count)]
    written = []
    for grid in grids:
        path = os.path.join(out, f"calendar-{grid['key']}.html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(render_html(grid, source))
        written.append(path)
    path = os.path.join(out, "calendar.xlsx")
    write_workbook(grids, path, source)
    written.append(path)
    return written


def month_arg(text: str) -> tuple[int, int]:
    import argparse

    try:
        day = dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a month (want YYYY-MM, e.g. 2027-04): {text!r}") from exc
    return day.year, day.month


def cmd_calendar(opts) -> int:
    from . import cli

    try:
        path = find_calendar(cli.ROOT, opts.inventory)
        calendar = load_calendar(path)
        try:
            source = str(path.relative_to(cli.ROOT))
        except ValueError:
            source = str(path)
        written = write_calendar(calendar, *opts.month, opts.months, opts.out, source)
    except (cal.CalendarError, OSError) as exc:
        cli.say("カレンダーを作成できません", str(exc), sys.stderr)
        return cli.EXIT_ERROR
    for path in written:
        print(path)
    return cli.EXIT_OK


def add_subcommand(sub) -> None:
    """`jichitai-ops calendar`, added to the command line's subcommands."""
    sp = sub.add_parser(
        "calendar", help="the service calendar as month grids (HTML and xlsx) for the city to check"
    )
    sp.add_argument(
        "--month", required=True, type=month_arg, metavar="YYYY-MM", help="first month, e.g. 2027-04"
    )
    sp.add_argument(
        "--months", type=int, default=1, metavar="N", help="how many months (default 1; 12 for a year)"
    )
    sp.add_argument(
        "--inventory",
        metavar="PATH",
        help="inventory whose group_vars/all/service_calendar.yml to use (default: the project's)",
    )
    sp.add_argument(
        "--out", required=True, metavar="DIR", help="folder for calendar-YYYY-MM.html and calendar.xlsx"
    )
    sp.set_defaults(func=cmd_calendar)
