"""リストア試験記録 (the monthly restore test, REQUIREMENTS OPS-BACKUP §6-3(6)) from its record: Markdown,
HTML (the work plan's page layout) and the record itself as JSON, which the monthly report reads.

The record (library/backup_restore_test.py): job, snapshot ({id, short_id, time}), source, include,
inventory, started_at, finished_at, files_compared, octets_compared, differences ([{path, kind missing|extra|
changed, kind_ja, detail}]), counts, seconds ({restore, compare, total}), result (ok | differences |
failed), result_ja (the verdict with its count, which the monthly report shows), errors.
"""

from __future__ import annotations

from jichitai_ops.reports.backup_offsite import size, when
from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment

TITLE = "リストア試験記録（バックアップからの復元試験）"
CLAUSE = "§6-3(6) OPS-BACKUP"
FILES = {fmt: f"backup_restore_test.{fmt}" for fmt in ("md", "html", "json")}
RESULT_JA = {"ok": "合格（差異なし）", "differences": "差異あり", "failed": "復元失敗"}
KIND_JA = {"missing": "復元されていない", "extra": "余分", "changed": "内容が異なる"}


class RestoreRecordError(ValueError):
    pass


def check(record: dict) -> None:
    problems = [f"no {k}" for k in ("job", "source", "differences", "seconds", "result") if k not in record]
    if record.get("result") not in RESULT_JA:
        problems.append(f"result {record.get('result')!r}")
    for index, d in enumerate(record.get("differences") or [], 1):
        if d.get("kind") not in KIND_JA:
            problems.append(f"differences[{index}] {d.get('path')}: kind {d.get('kind')!r}")
    if problems:
        raise RestoreRecordError("; ".join(problems))


def result_text(record: dict) -> str:
    """The verdict as the monthly report shows it: 合格（差異なし、293 ファイル） or 差異あり（2 件）."""
    if record["result"] == "ok":
        return f"合格（差異なし、{record['files_compared']:,} ファイル）"
    if record["result"] == "differences":
        return f"差異あり（{len(record['differences']):,} 件）"
    return "復元失敗"


def seconds(value) -> str:
    return "—" if value is None else f"{value:,.1f} 秒"


def render(record: dict, fmt: str) -> str:
    env = environment(when=when, size=size, seconds=seconds)
    return env.get_template(f"backup_restore_test.{fmt}.j2").render(
        r=record, title=TITLE, clause=CLAUSE, result_ja=RESULT_JA[record["result"]], KIND_JA=KIND_JA
    )


def write(record: dict, report_dir: str, formats=("md", "html", "json")) -> dict:
    check(record)
    return write_formats(record, report_dir, FILES, render, None, formats)
