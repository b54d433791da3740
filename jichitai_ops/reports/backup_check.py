"""バックアップ点検結果 (the daily verification of the backups, REQUIREMENTS OPS-BACKUP §6-3(6)①) from the
record of library/backup_check.py: Markdown, HTML (the work plan's page layout) and the record as JSON.

The record: kind "backup_check", checked_at (ISO 8601), subset ("n/28", the day's data subset), subsets,
verdict (ok, warning, critical) and verdict_ja, counts, inventory, and jobs - each name, description,
kind, source_host, state, state_ja, reasons_ja, action_ja, last_run ({started, finished, result,
snapshot_id, changed_files, bytes_processed, bytes_added, errors} or null), age_hours, swing_percent,
structure and data ({ok, errors, subset, packs_read, packs_total} or null).
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan.model import TZ
from jichitai_ops.workplan.wareki import wareki_datetime

TITLE = "バックアップ点検結果"
FILES = {fmt: f"backup_check.{fmt}" for fmt in ("md", "html", "json")}
RESULT_JA = {"success": "成功", "partial": "一部読めず", "failed": "失敗"}
KIND_JA = {"file_server": "ファイルサーバ", "server": "業務サーバ"}
CLAUSES = ["REQUIREMENTS OPS-BACKUP", "仕様書 §6-3(6)①"]


class BackupRecordError(ValueError):
    pass


def check(record: dict) -> None:
    problems = []
    if record.get("kind") != "backup_check":
        problems.append("kind is not backup_check")
    for key in ("checked_at", "subset", "verdict", "jobs"):
        if key not in record:
            problems.append(f"no {key}")
    for index, job in enumerate(record.get("jobs") or [], start=1):
        for key in ("name", "state", "state_ja", "reasons_ja"):
            if key not in job:
                problems.append(f"jobs[{index}]: no {key}")
    if problems:
        raise BackupRecordError("; ".join(problems))


def when_ja(value) -> str:
    if not value:
        return "—"
    return wareki_datetime(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(TZ)
                           .replace(tzinfo=None))


def size_ja(octets) -> str:
    if octets is None:
        return "—"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if octets >= scale:
            return f"{octets / scale:.1f} {unit}"
    return f"{octets} B"


def check_ja(check) -> str:
    if check is None:
        return "未実施"
    if not check.get("ok"):
        return "異常"
    if check.get("packs_read") is not None:
        return f"正常（{check['packs_read']}/{check['packs_total']} パック）"
    return "正常"


def _env():
    return environment(when_ja=when_ja, size_ja=size_ja, check_ja=check_ja,
                       result_ja=lambda r: RESULT_JA.get(r, r or "—"),
                       kind_ja=lambda k: KIND_JA.get(k, k or "—"))


def render(record: dict, fmt: str) -> str:
    todo = [job for job in record["jobs"] if job["state"] != "ok"]
    return _env().get_template(f"backup_check.{fmt}.j2").render(
        r=record, title=TITLE, when=when_ja(record["checked_at"]), todo=todo, clauses=CLAUSES)


def write(record: dict, report_dir: str, formats=("md", "html", "json")) -> dict:
    check(record)
    return write_formats(record, report_dir, FILES, render, None, formats)
