"""日次点検報告 (the pre-business daily check, REQUIREMENTS OPS-DAILY, OPS-MON) from its record: Markdown,
HTML (the work plan's page layout) and Excel (the work plan's conventions: A4 landscape, header row
frozen and repeated, Japanese-era date cells), and the record itself as JSON.

The record: checked_at (ISO 8601), inventory, clauses, items in report order (異常 first), summary.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan import xlsx as wx
from jichitai_ops.workplan.model import TZ
from jichitai_ops.workplan.wareki import wareki_datetime

TITLE = "日次点検報告（業務開始前点検）"
STATE_JA = {"ok": "正常", "warning": "注意", "critical": "異常", "unknown": "不明", "skipped": "対象外"}
STATE_FILL = {"critical": "FFD9D6", "warning": "FFF4E5", "unknown": "FFF4E5"}
FILES = {fmt: f"daily_check.{fmt}" for fmt in ("md", "html", "xlsx", "json")}
CATEGORY_JA = {
    "server": "サーバ・機器", "service": "サービス", "site": "拠点ネットワーク", "transfer": "ファイル転送",
    "disk": "ディスク容量", "eventlog": "イベントログ", "backup": "バックアップ", "antivirus": "ウイルス対策",
    "ups": "UPS", "dhcp": "DHCP", "certificate": "証明書", "pc": "端末（PC）",
}
COLUMNS = ["判定", "区分", "対象", "点検項目", "状況", "対応"]


def _local(moment: str) -> dt.datetime:
    """Tokyo wall time without a zone (Excel cells have none)."""
    return dt.datetime.fromisoformat(moment).astimezone(TZ).replace(tzinfo=None)


def checked_at_ja(record: dict) -> str:
    return wareki_datetime(_local(record["checked_at"]))


def _env():
    return environment(state_ja=lambda s: STATE_JA.get(s, s), category_ja=lambda c: CATEGORY_JA.get(c, c))


def _context(record: dict) -> dict:
    return {"r": record, "title": TITLE, "when": checked_at_ja(record), "STATE_JA": STATE_JA,
            "todo": [i for i in record["items"] if i["state"] in ("critical", "warning", "unknown")]}


def render(record: dict, fmt: str) -> str:
    return _env().get_template(f"daily_check.{fmt}.j2").render(**_context(record))


def _target(entry: dict) -> str:
    return entry["host"] if entry["label"] == entry["host"] else f"{entry['label']}\n（{entry['host']}）"


def workbook(record: dict):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "点検結果"
    rows, fills = [], []
    for entry in record["items"]:
        category = CATEGORY_JA.get(entry["category"], entry["category"])
        rows.append([STATE_JA[entry["state"]], category, _target(entry), entry["check"], entry["detail"],
                     entry["action"] or "—"])
        fills.append(STATE_FILL.get(entry["state"]))
    wx._table(ws, 1, COLUMNS, rows, [8, 16, 36, 30, 50, 50], fills)
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.auto_filter.ref = ws.dimensions

    summary = record["summary"]
    info = wb.create_sheet("概要", 0)
    pairs = [
        ("報告書", TITLE),
        ("点検日時", wx.Num(_local(record["checked_at"]), wx.DATETIME_FMT)),
        ("総合判定", summary["verdict_ja"]),
        *[(f"{STATE_JA[s]}の件数", wx.Num(summary["counts"][s], wx.COUNT_FMT)) for s in STATE_JA],
        ("対象インベントリ", record.get("inventory") or "—"),
        ("根拠条項", "、".join(record.get("clauses") or [])),
    ]
    wx._kv(info, pairs)
    verdict_fill = {"critical": "FFD9D6", "warning": "FFF4E5"}.get(summary["verdict"], "E3F1E5")
    wx._put(info, 4, 2, summary["verdict_ja"], bold=True, fill=verdict_fill)
    wb.active = 0
    return wb


def write(record: dict, report_dir: str, formats=("md", "html", "xlsx", "json")) -> dict:
    """Writes the chosen formats into report_dir (created if missing); returns format -> path."""
    return write_formats(record, report_dir, FILES, render, workbook, formats)
