"""セキュリティパッチ適用状況 (REQUIREMENTS MNT-PATCH, PM-REPORT) from its record: Markdown, HTML (the work
plan's page layout) and Excel (the work plan's conventions; sheets 概要, ホスト別, KB 別), and the record
itself as JSON for the monthly report.

The record is what plugins/module_utils/patch/status.py summarise() returns: as_of, inventory, clauses,
verdict, total, segments, hosts (worst first), kbs (most hosts short first).
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan import xlsx as wx
from jichitai_ops.workplan.model import TZ
from jichitai_ops.workplan.wareki import wareki_date, wareki_datetime

TITLE = "セキュリティパッチ適用状況"
FILES = {fmt: f"patch_status.{fmt}" for fmt in ("md", "html", "xlsx", "json")}
SEGMENT_JA = {"lgwan": "LGWAN接続系", "internet": "インターネット接続系", "mynumber": "個人番号利用事務系"}
RING_JA = {"pilot": "先行適用", "servers": "サーバ", "clients": "端末"}
STATUS_JA = {
    "not_reached": "未到達",
    "failed": "適用失敗",
    "pending_reboot": "再起動待ち",
    "missing": "未適用あり",
    "compliant": "適用済",
}
STATUS_FILL = {"not_reached": "FFD9D6", "failed": "FFD9D6", "pending_reboot": "FFF4E5", "missing": "FFF4E5"}
VERDICT_JA = {"critical": "要対応（失敗・未到達あり）", "warning": "要対応（未適用あり）", "ok": "良好"}
KB_MARK = {"installed": "○", "missing": "×", "failed": "失敗"}
ACTION_JA = {
    "not_reached": "端末の電源と接続を確認し、次回の適用時に再確認する",
    "failed": "エラーコードを確認して再適用する",
    "pending_reboot": "利用者と調整して再起動する",
    "missing": "次回の適用で配信されることを確認する",
}
MISSING_MYNUMBER_JA = "承認済み更新の持ち込み（LGWAN接続系からの連携）で適用する"


NOT_RUN_JA = "止まった原因（適用失敗のホスト）を解消してから、同じ作業を再実行する"


def action_ja(host: dict) -> str:
    if host["status"] == "missing" and host["segment"] == "mynumber":
        return MISSING_MYNUMBER_JA
    # a host the run never came to because an earlier wave stopped
    if host["status"] == "not_reached" and host.get("not_run"):
        return NOT_RUN_JA
    return ACTION_JA.get(host["status"], "—")


SEGMENT_COLUMNS = [
    "接続系",
    "対象",
    "到達",
    "未到達",
    "適用済",
    "未適用あり",
    "適用失敗",
    "再起動待ち",
    "適用率",
    "最古の未適用",
]
HOST_COLUMNS = [
    "状態",
    "接続系",
    "ホスト",
    "適用順",
    "未適用の KB",
    "失敗した KB（エラー）",
    "最古の未適用",
    "確認日時",
    "対応",
]


def day_ja(value) -> str:
    return wareki_date(dt.date.fromisoformat(str(value)[:10])) if value else "—"


def percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


HOST_LIMIT = 100  # above this many hosts, Markdown and HTML list only those needing action


def age(days, release=None, status=None) -> str:
    if status == "not_reached":
        return "不明"
    if days is None:
        return "なし"
    return f"{days} 日（{day_ja(release)}公開）" if release else f"{days} 日"


def failed_text(host: dict, sep: str = "、") -> str:
    """The failed KBs grouped by their error: KB5071001、KB890830（0x80240022：what it means）."""
    by_code: dict = {}
    for entry in host["failed"]:
        by_code.setdefault((entry["hresult"], entry["hint_ja"]), []).append(entry["kb"])
    # a failed package has no result code: the run's own error stands for it
    return (
        sep.join(
            f"{'、'.join(kbs)}（{code}{'：' + hint if hint else ''}）" if code else "、".join(kbs)
            for (code, hint), kbs in by_code.items()
        )
        or "—"
    )


def when_ja(moment: str) -> str:
    return wareki_datetime(dt.datetime.fromisoformat(moment).astimezone(TZ).replace(tzinfo=None))


def kb_columns(record: dict) -> list[str]:
    return [k["kb"] for k in sorted(record["kbs"], key=lambda k: k["kb"])]


def mark(host: dict, kb: str) -> str:
    if host["status"] == "not_reached":
        return "？"
    entry = host["kbs"].get(kb)
    return KB_MARK[entry["state"]] if entry else "—"


def _env():
    env = environment(
        day_ja=day_ja,
        percent=percent,
        when_ja=when_ja,
        segment_ja=lambda s: SEGMENT_JA.get(s, s),
        ring_ja=lambda r: RING_JA.get(r, r),
        failed_text=failed_text,
    )
    env.globals.update(age=age, mark=mark)
    return env


def _context(record: dict) -> dict:
    titles = {k["kb"]: k.get("title") for k in record["kbs"]}
    return {
        "r": record,
        "title": TITLE,
        "when": day_ja(record["as_of"]),
        "verdict_ja": VERDICT_JA[record["verdict"]],
        "todo": [h for h in record["hosts"] if h["status"] != "compliant"],
        "action": action_ja,
        "kb_columns": kb_columns(record),
        "shown": record["hosts"]
        if len(record["hosts"]) <= HOST_LIMIT
        else [h for h in record["hosts"] if h["status"] != "compliant"],
        "late": lambda days: days is not None and days >= record["late_days"],
        "kb_names": lambda kbs: "、".join(f"{kb}（{titles[kb]}）" if titles.get(kb) else kb for kb in kbs),
    }


def render(record: dict, fmt: str) -> str:
    return _env().get_template(f"patch_status.{fmt}.j2").render(**_context(record))


def _segment_row(seg: dict, name: str) -> list:
    return [
        name,
        wx.Num(seg["hosts"], wx.HOSTS_FMT),
        wx.Num(seg["reached"], wx.HOSTS_FMT),
        wx.Num(seg["not_reached"], wx.HOSTS_FMT),
        wx.Num(seg["compliant"], wx.HOSTS_FMT),
        wx.Num(seg["missing"], wx.HOSTS_FMT),
        wx.Num(seg["failed"], wx.HOSTS_FMT),
        wx.Num(seg["pending_reboot"], wx.HOSTS_FMT),
        wx.Num(seg["compliance_percent"] / 100, "0.0%") if seg["compliance_percent"] is not None else "—",
        age(seg["oldest_missing_days"], seg["oldest_missing_release"])
        + (f"\n{seg['oldest_missing_host']}" if seg["oldest_missing_host"] else ""),
    ]


def workbook(record: dict):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    info = wb.active
    info.title = "概要"
    total = record["total"]
    pairs = [
        ("報告書", TITLE),
        ("基準日", wx.Num(dt.date.fromisoformat(record["as_of"]), wx.DATE_FMT)),
        ("総合判定", VERDICT_JA[record["verdict"]]),
        (
            "適用率（適用済 ÷ 到達）",
            wx.Num(total["compliance_percent"] / 100, "0.0%")
            if total["compliance_percent"] is not None
            else "—",
        ),
        ("対象台数", wx.Num(total["hosts"], wx.HOSTS_FMT)),
        ("未到達（適用率に含めない）", wx.Num(total["not_reached"], wx.HOSTS_FMT)),
        (
            "最古の未適用",
            age(total["oldest_missing_days"], total["oldest_missing_release"])
            + (f"（{total['oldest_missing_host']}）" if total["oldest_missing_host"] else ""),
        ),
        ("対象インベントリ", record.get("inventory") or "—"),
        ("根拠条項", "、".join(record.get("clauses") or [])),
    ]
    end = wx._kv(info, pairs)
    fill = {"critical": "FFD9D6", "warning": "FFF4E5"}.get(record["verdict"], "E3F1E5")
    wx._put(info, 4, 2, VERDICT_JA[record["verdict"]], bold=True, fill=fill)
    rows = [_segment_row(s, s["segment_ja"]) for s in record["segments"]] + [_segment_row(total, "合計")]
    start = end + 1
    wx._table(info, start, SEGMENT_COLUMNS, rows)
    last = start + len(rows)
    for col in range(1, len(SEGMENT_COLUMNS) + 1):
        info.cell(last, col).font = Font(bold=True)
    # the key-value rows span the segment table's width, so both share one set of columns
    for r in range(1, end):
        info.merge_cells(start_row=r, start_column=2, end_row=r, end_column=len(SEGMENT_COLUMNS))
    for col, width in enumerate([26, 10, 9, 9, 9, 12, 11, 12, 9, 38], 1):
        info.column_dimensions[get_column_letter(col)].width = width
    wx._fit_rows(info)
    for r in range(2, end):
        info.row_dimensions[r].height = None
    wx._print_setup(info)

    hosts = wb.create_sheet("ホスト別")
    host_rows, fills = [], []
    for h in record["hosts"]:
        host_rows.append(
            [
                h["status_ja"],
                SEGMENT_JA[h["segment"]],
                h["host"],
                RING_JA[h["ring"]],
                "\n".join(h["missing"]) or "—",
                failed_text(h, "\n"),
                age(h["oldest_missing_days"], h["oldest_missing_release"], h["status"]),
                wx.Num(
                    dt.datetime.fromisoformat(h["checked_at"]).astimezone(TZ).replace(tzinfo=None),
                    wx.DATETIME_FMT,
                ),
                action_ja(h),
            ]
        )
        fills.append(STATUS_FILL.get(h["status"]))
    wx._table(hosts, 1, HOST_COLUMNS, host_rows, [12, 20, 14, 10, 14, 50, 26, 28, 40], fills)
    hosts.auto_filter.ref = hosts.dimensions

    kbs = wb.create_sheet("KB 別")
    columns = kb_columns(record)
    kb_rows, fills = [], []
    for h in record["hosts"]:
        kb_rows.append(
            [h["host"], SEGMENT_JA[h["segment"]], h["status_ja"], *[mark(h, kb) for kb in columns]]
        )
        fills.append(STATUS_FILL.get(h["status"]))
    end = wx._table(
        kbs, 1, ["ホスト", "接続系", "状態", *columns], kb_rows, [14, 24, 12] + [12] * len(columns), fills
    )
    for row in kbs.iter_rows(min_row=1, max_row=end - 1, min_col=4, max_col=3 + len(columns)):
        for cell in row:
            cell.alignment = Alignment(horizontal="center", vertical="top")
    counts = {k["kb"]: k for k in record["kbs"]}
    for label, key in (("適用済（台）", "installed"), ("未適用（台）", "missing"), ("失敗（台）", "failed")):
        wx._put(kbs, end, 1, label, bold=True, fill=wx.HEAD_FILL)
        for col, kb in enumerate(columns, 4):
            wx._put(kbs, end, col, wx.Num(counts[kb][key], wx.HOSTS_FMT), bold=True)
        end += 1
    wx._put(
        kbs, end + 1, 1, "○ 適用済　× 未適用　失敗 適用失敗　？ 未到達（確認できず）　— 対象外", wrap=False
    )
    row = end + 3
    wx._put(kbs, row, 1, "KB", bold=True, fill=wx.HEAD_FILL)
    wx._put(kbs, row, 2, "更新プログラム", bold=True, fill=wx.HEAD_FILL)
    kbs.merge_cells(start_row=row, start_column=2, end_row=row, end_column=max(3 + len(columns), 3))
    for kb in columns:
        row += 1
        wx._put(kbs, row, 1, kb)
        wx._put(kbs, row, 2, counts[kb].get("title") or "—", wrap=False)
        kbs.merge_cells(start_row=row, start_column=2, end_row=row, end_column=max(3 + len(columns), 3))
    kbs.auto_filter.ref = f"A1:{kbs.cell(len(kb_rows) + 1, 3 + len(columns)).coordinate}"
    wb.active = 0
    return wb


def write(record: dict, report_dir: str, formats=("md", "html", "xlsx", "json")) -> dict:
    """Writes the chosen formats into report_dir (created if missing); returns format -> path."""
    return write_formats(record, report_dir, FILES, render, workbook, formats)
