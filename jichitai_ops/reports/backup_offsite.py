"""遠隔地保管記録 (the monthly off-site medium, REQUIREMENTS OPS-BACKUP §6-3(6)④) from its courier record:
Markdown, HTML (the work plan's page layout), Excel and the record itself as JSON.

The record (plugins/module_utils/backup/offsite.py writes it, one per bag): bag, media_id, medium,
algorithm, inventory, sources ([{job, snapshot {id, short_id, time}, paths, root, files, octets}]),
written ({at, files, octets, oxum, seconds}), verifications ([{phase write|return, at, ok, files, octets,
seconds, problems [{path, problem, problem_ja, detail}]}]), handover ({handed_by, handed_at, courier,
slip_no, kept_at, return_due}), returned ({returned_at, received_by}), replaced, status, status_ja.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan import xlsx as wx
from jichitai_ops.workplan.model import TZ
from jichitai_ops.workplan.wareki import wareki_date, wareki_datetime

TITLE = "遠隔地保管記録（バックアップ媒体のセキュリティ便による遠隔地保管）"
CLAUSE = "§6-3(6)④ OPS-BACKUP"
FILES = {fmt: f"backup_offsite.{fmt}" for fmt in ("md", "html", "xlsx", "json")}
PHASE_JA = {"write": "書込み後（引渡し前）", "return": "返却後"}
HANDOVER_ROWS = [
    ("handed_by", "引渡者"),
    ("handed_at", "引渡日時"),
    ("courier", "運送者"),
    ("slip_no", "送り状番号"),
    ("kept_at", "保管場所"),
    ("return_due", "返却予定日"),
]
RETURN_ROWS = [("returned_at", "返却日時"), ("received_by", "受領者")]


class OffsiteRecordError(ValueError):
    pass


def check(record: dict) -> None:
    problems = [
        f"no {key}" for key in ("bag", "media_id", "sources", "verifications", "status") if key not in record
    ]
    for index, v in enumerate(record.get("verifications") or [], 1):
        if v.get("phase") not in PHASE_JA:
            problems.append(f"verifications[{index}]: phase {v.get('phase')!r}")
    if problems:
        raise OffsiteRecordError("; ".join(problems))


def when(value) -> str:
    """An ISO 8601 time (or date) in the Japanese era, Tokyo time; — when empty."""
    if not value:
        return "—"
    text = str(value)
    if len(text) == 10:
        return wareki_date(dt.date.fromisoformat(text))
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(TZ).replace(tzinfo=None)
    return wareki_datetime(moment)


def size(octets) -> str:
    if octets is None:
        return "—"
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if octets >= factor:
            return f"{octets / factor:,.1f} {unit}（{octets:,} バイト）"
    return f"{octets:,} バイト"


def verdict(v: dict) -> str:
    return "異常なし" if v["ok"] else f"異常 {len(v['problems'])} 件"


def _context(record: dict) -> dict:
    return {
        "r": record,
        "title": TITLE,
        "clause": CLAUSE,
        "HANDOVER_ROWS": HANDOVER_ROWS,
        "RETURN_ROWS": RETURN_ROWS,
        "PHASE_JA": PHASE_JA,
    }


def render(record: dict, fmt: str) -> str:
    env = environment(when=when, size=size, verdict=verdict)
    return env.get_template(f"backup_offsite.{fmt}.j2").render(**_context(record))


def workbook(record: dict):
    from openpyxl import Workbook

    wb = Workbook()
    info = wb.active
    info.title = "遠隔地保管記録"
    handover = record.get("handover") or {}
    returned = record.get("returned") or {}
    written = record.get("written") or {}
    pairs = [
        ("記録", TITLE),
        ("状態", record["status_ja"]),
        ("媒体番号", record["media_id"]),
        ("バッグ（媒体上のフォルダ）", record["bag"]),
        ("書込み日時", wx._when(written.get("at"), "—")),
        ("ファイル数", wx.Num(written.get("files") or 0, wx.COUNT_FMT)),
        ("容量（バイト）", wx.Num(written.get("octets") or 0, "#,##0")),
        ("Payload-Oxum", written.get("oxum") or "—"),
    ]
    for key, label in HANDOVER_ROWS:
        value = handover.get(key)
        pairs.append(
            (
                label,
                wx._when(value, "—")
                if key == "handed_at"
                else wx._day(value)
                if key == "return_due"
                else value or "—",
            )
        )
    for key, label in RETURN_ROWS:
        value = returned.get(key)
        pairs.append((label, wx._when(value, "—") if key == "returned_at" else value or "—"))
    pairs += [("対象インベントリ", record.get("inventory") or "—"), ("根拠条項", CLAUSE)]
    wx._kv(info, pairs)

    sources = wb.create_sheet("対象世代")
    wx._table(
        sources,
        1,
        ["ジョブ", "世代（スナップショット）", "取得日時", "元のフォルダ", "ファイル数", "容量（バイト）"],
        [
            [
                s["job"],
                s["snapshot"]["id"],
                wx._when(s["snapshot"]["time"]),
                s.get("root", ""),
                wx.Num(s["files"], wx.COUNT_FMT),
                wx.Num(s["octets"], "#,##0"),
            ]
            for s in record["sources"]
        ],
        [16, 66, 28, 40, 12, 16],
    )

    checks = wb.create_sheet("照合結果")
    rows, fills = [], []
    for v in record["verifications"]:
        rows.append(
            [
                PHASE_JA[v["phase"]],
                wx._when(v["at"]),
                verdict(v),
                wx.Num(v["files"], wx.COUNT_FMT),
                wx.Num(v["octets"], "#,##0"),
                v["seconds"],
                "\n".join(f"{p['path']}: {p['problem_ja']}" for p in v["problems"]) or "—",
            ]
        )
        fills.append(None if v["ok"] else wx.RED_FILL)
    wx._table(
        checks,
        1,
        ["照合", "日時", "結果", "照合ファイル数", "読み取り（バイト）", "所要秒", "異常のあったファイル"],
        rows,
        [18, 28, 12, 14, 16, 10, 70],
        fills,
    )
    wb.active = 0
    return wb


def write(record: dict, report_dir: str, formats=("md", "html", "xlsx", "json")) -> dict:
    check(record)
    return write_formats(record, report_dir, FILES, render, workbook, formats)
