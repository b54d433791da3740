"""作業計画書 and 作業報告書 as Excel workbooks (openpyxl): city offices work in Excel.

Every table sheet has its header in row 1 (key-value sheets: 項目 / 内容): frozen, repeated on every
printed page, printed on A4 (A3 when too wide), landscape when wide, one page wide. Counts and minutes
are numeric cells, dates and times date cells (Asia/Tokyo, shown in the Japanese era).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import NamedTuple

from . import chart
from .model import KINDS, TZ, parse_time
from .presentation import (
    SEVERITY_JA,
    STATE_JA,
    impact_basis_text,
    listify,
    ordered_entries,
    service_slots_text,
    unified,
)
from .report import VERDICTS

MAX_CELL = 32000  # Excel holds at most 32,767 characters in a cell
HEAD_FILL = "DDE7F0"
FLAG_FILL = "FFF4E5"
RED_FILL = "FFD9D6"

# Japanese-era formats that Japanese Excel and LibreOffice Calc both show as 令和8年12月6日（日）22:00
# ([$-411] = ja-JP; Excel's [$-ja-JP-x-gannen] form shows as a bare serial number in LibreOffice).
DATETIME_FMT = '[$-411]ggge"年"m"月"d"日"（aaa）h:mm'
DATE_FMT = '[$-411]ggge"年"m"月"d"日"（aaa）'
MINUTES_FMT = '#,##0"分"'
COUNT_FMT = '#,##0"件"'
HOSTS_FMT = '#,##0"台"'
NUMBER_FMT = "0"
# Paper by the table's total column width (Excel character units)
A4_PORTRAIT_MAX = 100
A4_LANDSCAPE_MAX = 150
ROW_HEIGHT = 16  # points per line of 11-point text, Japanese included
MAX_ROW_HEIGHT = 409  # Excel's limit


class Num(NamedTuple):
    """A cell value with its number format (minutes, counts, dates)."""

    value: object
    fmt: str


def _minutes(value):
    return Num(value, MINUTES_FMT) if value is not None else "—"


def _when(moment, empty: str = "未定"):
    """An ISO 8601 time as a date cell in Tokyo time (Excel cells have no time zone)."""
    if not moment:
        return empty
    return Num(parse_time(moment).replace(tzinfo=None), DATETIME_FMT)


def _day(value, empty: str = "—"):
    if not value:
        return empty
    return Num(dt.date.fromisoformat(str(value)[:10]), DATE_FMT)


def _clean(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return ""
    if isinstance(value, (int, float, dt.date)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…（省略）"


def _put(ws, row: int, col: int, value, *, bold=False, fill=None, wrap=True):
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = ws.cell(row=row, column=col)
    fmt = NUMBER_FMT if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, Num):
        value, fmt = value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(TZ).replace(tzinfo=None)
    cell.value = _clean(value)
    if fmt:
        cell.number_format = fmt
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if bold:
        cell.font = Font(bold=True)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return cell


def _table(
    ws,
    start_row: int,
    headers: list[str],
    rows: list[list],
    widths: list[int] | None = None,
    fills: list[str | None] | None = None,
) -> int:
    for col, head in enumerate(headers, 1):
        _put(ws, start_row, col, head, bold=True, fill=HEAD_FILL)
    for r, values in enumerate(rows, start_row + 1):
        fill = fills[r - start_row - 1] if fills else None
        for col, value in enumerate(values, 1):
            _put(ws, r, col, value, fill=fill)
    if start_row == 1:  # a table further down a sheet shares the sheet's columns and print setup
        _fit_columns(ws, widths or [])
        _print_setup(ws)
    return start_row + len(rows) + 1


def _kv(ws, pairs: list[tuple[str, object]]) -> int:
    """項目 / 内容 rows under a header row; returns the next free row."""
    end = _table(ws, 1, ["項目", "内容"], [[key, value] for key, value in pairs], [28, 70])  # A4 portrait
    from openpyxl.styles import Alignment

    for r in range(2, end):
        _put(ws, r, 1, ws.cell(row=r, column=1).value, bold=True, fill=HEAD_FILL)
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    return end


def _text_width(text: str) -> int:
    """Display width in Excel character units: full-width (Japanese) characters count two."""
    lines = text.split("\n")
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


def _fit_columns(ws, caps: list[int], default_cap: int = 60, minimum: int = 6) -> None:
    """Each column as wide as its longest line (Japanese text counted double), at most its cap."""
    from openpyxl.utils import get_column_letter

    widest: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.value == "":
                continue
            if isinstance(cell.value, dt.datetime):
                width = 28  # 令和10年12月31日（日）23:59 and a margin
            elif isinstance(cell.value, dt.date):
                width = 23
            elif isinstance(cell.value, (int, float)):
                width = len(f"{cell.value:,}") + 4  # and its unit
            else:
                width = _text_width(str(cell.value)) + (2 if cell.font and cell.font.b else 0)
            widest[cell.column] = max(widest.get(cell.column, 0), width)
    for col, width in widest.items():
        cap = caps[col - 1] if col <= len(caps) else default_cap
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(width + 2, cap))
    _fit_rows(ws)


def _fit_rows(ws) -> None:
    """Rows tall enough for their wrapped text: neither Excel nor LibreOffice sizes them on opening."""
    from openpyxl.utils import get_column_letter

    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.value:
                room = max((ws.column_dimensions[get_column_letter(cell.column)].width or 9) - 1, 1)
                lines = max(lines, sum(-(-max(_text_width(ln), 1) // room) for ln in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(ROW_HEIGHT * lines, MAX_ROW_HEIGHT)


def _print_setup(ws, title_row: int | None = 1) -> None:
    """A4, landscape or A3 by the table's width, one page wide; the header row frozen and repeated."""
    from openpyxl.utils import get_column_letter

    total = sum(ws.column_dimensions[get_column_letter(c)].width or 9 for c in range(1, ws.max_column + 1))
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4 if total <= A4_LANDSCAPE_MAX else ws.PAPERSIZE_A3
    setup.orientation = ws.ORIENTATION_PORTRAIT if total <= A4_PORTRAIT_MAX else ws.ORIENTATION_LANDSCAPE
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&A　&P / &N"
    if title_row:
        ws.freeze_panes = ws.cell(row=title_row + 1, column=1)
        ws.print_title_rows = f"{title_row}:{title_row}"


def _finish(wb) -> None:
    """Print setup for a sheet built elsewhere (工程表) that has none; the row above its frozen pane is
    its header, repeated on every printed page."""
    for ws in wb.worksheets:
        if not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage:
            frozen = ws[ws.freeze_panes].row if ws.freeze_panes else 1
            _print_setup(ws, title_row=frozen - 1 if frozen > 1 else None)


def _diff_text(diffs: list[dict]) -> str:
    return "\n\n".join(unified(d) for d in diffs) if diffs else ""


def _window(window, label: str = "作業") -> list[tuple[str, object]]:
    """The window as date cells: its start and end (and length), or 未定."""
    if not window or not window.get("start"):
        return [(f"{label}日時", "未定")]
    pairs = [(f"{label}開始", _when(window["start"])), (f"{label}終了", _when(window.get("end")))]
    if window.get("minutes") is not None:
        pairs.append((f"{label}時間", _minutes(window["minutes"])))
    return pairs


def plan_workbook(plan: dict, plan_digest: str):
    from openpyxl import Workbook

    p = plan
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    pairs = [
        ("作業計画ID", p["id"]),
        ("作業名", p["title"]),
        ("契約条項", p["clause"]),
        ("作業区分", f"{p['kind_ja']}（作業実施日の{KINDS[p['kind']]['lead_days']}日前までに提出）"),
        ("停止を伴う作業", "はい" if p["disruptive"] else "いいえ"),
        *_window(p.get("window")),
        ("所要時間見込み", _minutes(p["estimate"]["minutes"])),
        ("対象ホスト数", Num(len(p["hosts"]), HOSTS_FMT)),
        ("変更件数", Num(p["summary"]["changes"], COUNT_FMT)),
        ("予測不能な手順", Num(p["summary"]["unpredictable"], COUNT_FMT)),
        ("作成日時", _when(p["created_at"])),
        ("作成者", f"{p['created_by']['user']}@{p['created_by']['host']}"),
        ("プレイブック", p["playbook"]),
        ("計画ダイジェスト (sha256)", plan_digest),
        ("作業概要", p.get("description", "")),
        ("影響するセグメント", "、".join(s["name"] for s in p["affected"]["segments"]) or "—"),
        ("影響する拠点", "、".join(s["name"] for s in p["affected"]["sites"]) or "—"),
        ("影響する業務・サービス", "、".join(map(str, p["affected"]["services"])) or "—"),
        ("影響する所属", "、".join(d["name"] for d in p["affected"]["departments"]) or "—"),
        ("影響する時間外サービス", service_slots_text(p["affected"])),
        ("判定の根拠", impact_basis_text(p["affected"])),
    ]
    pairs += [(f"注意事項（{SEVERITY_JA.get(f['severity'], f['severity'])}）", f["ja"]) for f in p["flags"]]
    row = _kv(ws, pairs) + 1
    _put(ws, row, 1, "承認者", bold=True, fill=HEAD_FILL)
    _put(ws, row + 1, 1, "承認日", bold=True, fill=HEAD_FILL)

    ws = wb.create_sheet("作業手順")
    window_start = parse_time(p["window"]["start"]) if p.get("window") and p["window"].get("start") else None
    _table(
        ws,
        1,
        ["No.", "開始予定", "タスク", "対象ホスト", "所要"],
        [
            [
                i,
                _when(window_start + dt.timedelta(minutes=s["offset_minutes"])) if window_start else "—",
                s["task"],
                ", ".join(s["hosts"]),
                _minutes(s["minutes"]),
            ]
            for i, s in enumerate(p["estimate"]["schedule"], 1)
        ],
        [6, 30, 50, 40, 10],
    )
    for timeline in p.get("timelines") or []:  # 工程表: a Gantt chart of each published timeline
        chart.add_gantt_sheet(wb, timeline)

    ws = wb.create_sheet("変更内容")
    rows, fills = [], []
    for rec, e in ordered_entries(p["tasks"], "changed", "unpredictable"):
        rows.append(
            [
                len(rows) + 1,
                rec["host"],
                rec["task"],
                e["label"] or "",
                STATE_JA[e["state"]],
                e["note"],
                _diff_text(e["diffs"]),
            ]
        )
        fills.append(FLAG_FILL if e["state"] == "unpredictable" else None)
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "予測", "備考", "差分"],
        rows,
        [6, 16, 40, 20, 10, 30, 80],
        fills,
    )

    ws = wb.create_sheet("影響範囲")  # segments, sites, services and departments: on 概要
    _table(
        ws,
        1,
        ["ホスト", "セグメント", "役割", "拠点", "変更", "備考"],
        [
            [
                h["name"],
                h.get("segment_name") or h.get("segment") or "—",
                h.get("role") or "—",
                h.get("site_name") or h.get("site") or "—",
                "あり" if h["name"] in p["summary"]["hosts_with_changes"] else "なし",
                h.get("note") or "",
            ]
            for h in p["hosts"]
        ],
    )

    ws = wb.create_sheet("カレンダー")
    cal = p["calendar"]
    days = [
        [
            _day(d["date"]),
            d["weekday_ja"],
            "開庁日" if d["open"] else "閉庁日",
            d.get("holiday") or d.get("closure") or "",
        ]
        for d in cal.get("days", [])
    ]
    end = _table(ws, 1, ["日付", "曜日", "区分", "祝日・休庁"], days, [14, 6, 10, 20])
    _table(
        ws,
        end + 1,
        ["判定", "日付", "内容", "条項"],
        [
            [
                SEVERITY_JA.get(f["severity"]),
                _day(f["date"]),
                f["ja"] + ("（時間帯は仮定）" if f.get("assumed") and "時間帯は仮定" not in f["ja"] else ""),
                f.get("clause") or "",
            ]
            for f in cal.get("findings", [])
        ],
        fills=[RED_FILL if f["severity"] == "block" else FLAG_FILL for f in cal.get("findings", [])],
    )
    _fit_columns(ws, [24, 24, 80, 30])  # both tables share the columns
    _print_setup(ws)

    ws = wb.create_sheet("切り戻し・緊急時対応")
    rows = [["切り戻し手順", i, s] for i, s in enumerate(listify(p["rollback"]), 1)]
    rows += [["コンティンジェンシープラン", i, s] for i, s in enumerate(listify(p["contingency"]), 1)]
    _table(ws, 1, ["区分", "No.", "内容"], rows, [26, 6, 90])

    ws = wb.create_sheet("計画の根拠")
    basis = p["basis"]
    rows = [["リポジトリのコミット", basis["repo"].get("commit") or "—", ""]]
    rows += [["未コミットの変更", f["path"], f["sha256"]] for f in basis["repo"].get("dirty_files", [])]
    for key, label in (("inventory", "インベントリ"), ("inputs", "入力ファイル")):
        for src in basis[key]:
            if src.get("missing"):
                rows.append([label, src["path"], "存在しません"])
            for f in src["files"]:
                rows.append(
                    [label, f"{src['path']}/{f['path']}" if f["path"] != "." else src["path"], f["sha256"]]
                )
    _table(ws, 1, ["対象", "パス", "sha256"], rows, [20, 60, 70])
    _finish(wb)
    return wb


def report_workbook(report: dict):
    from openpyxl import Workbook

    r = report
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    approval = r.get("approval") or {}
    pairs = [
        ("総合判定", r["verdict_ja"]),
        ("作業計画ID", r["plan_id"]),
        ("作業名", r["title"]),
        ("契約条項", r["clause"]),
        *(
            [("承認者", approval.get("approver")), ("承認日時", _when(approval.get("approved_at")))]
            if approval
            else [("承認", "なし")]
        ),
        ("カレンダー例外承認", approval.get("override_reason") or "なし"),
        *_window(r.get("window"), "承認された作業"),
        ("実施開始", _when(r["started"])),
        ("実施終了", _when(r["ended"])),
        ("所要時間（実績）", _minutes(r["duration_minutes"])),
        ("所要時間（見込み）", _minutes(r.get("estimate_minutes"))),
        ("プレイブック", r.get("playbook") or ""),
        ("計画ダイジェスト (sha256)", r.get("plan_digest") or "—"),
    ]
    if r["mode"] != "apply":
        pairs.insert(0, ("記録の種類", "計画なし実施（すべて計画外）"))
    pairs.append(("実際の変更", Num(r["changes"], COUNT_FMT)))
    phases = r["phases"]
    if phases["run"] or phases["left_out"]:
        pairs.append(("実施したフェーズ", "、".join(p["ja"] for p in phases["run"]) or "なし"))
    if phases["left_out"]:
        pairs.append(("対象外のフェーズ", "、".join(p["ja"] for p in phases["left_out"])))
    pairs += [(VERDICTS[code][0], Num(n, COUNT_FMT)) for code, n in r["counts"].items() if n]
    for s in r["other_phase"]:  # compactly: one line per phase and task
        hosts = "、".join(s["hosts"])
        label = f"{VERDICTS['other_phase'][0]}: {s['phase_ja']}"
        pairs.append((label, f"{s['task']}（{hosts}、{s['steps']} 件）"))
    _kv(ws, pairs)
    verdict_row = 2 + [key for key, _ in pairs].index("総合判定")  # below the header row
    _put(ws, verdict_row, 2, r["verdict_ja"], bold=True, fill="D9F2D9" if r["verdict"] == "ok" else RED_FILL)

    ws = wb.create_sheet("計画外の変更")
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "差分"],
        [
            [i, row["host"], row["task"], row["item"] or "", _diff_text(row["actual_diffs"])]
            for i, row in enumerate(r["unplanned"], 1)
        ],
        [6, 16, 40, 20, 90],
        [RED_FILL] * len(r["unplanned"]),
    )

    ws = wb.create_sheet("計画と実績")
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "計画", "実績", "判定", "備考", "差分（実績）"],
        [
            [
                i,
                row["host"],
                row["task"],
                row["item"] or "",
                STATE_JA.get(row["planned"]),
                STATE_JA.get(row["actual"]),
                row["verdict_ja"],
                row["note"],
                _diff_text(row["actual_diffs"]),
            ]
            for i, row in enumerate(r["rows"], 1)
        ],
        [6, 16, 40, 20, 10, 10, 22, 30, 70],
        [
            RED_FILL if row["verdict"] == "unplanned" else FLAG_FILL if row["flag"] else None
            for row in r["rows"]
        ],
    )
    _finish(wb)
    return wb
