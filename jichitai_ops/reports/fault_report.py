"""障害報告書 (MNT-FAULT §5-1, §5-3: the fault report within 3 working days of the fault) from a fault
record: device, when, symptom, isolation, action (repair or replacement), cause, measures, recovery,
and the deadline with the non-working days it skips. Markdown, HTML and the record as JSON.

Refused (ReportRefused) without symptom, action, cause or measures: a fault report says what was done
and why it happened.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.records import workdays
from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.incident_report import STATUS_JA, ReportRefused, when_ja
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan.model import TZ, parse_time
from jichitai_ops.workplan.wareki import wareki_date, wareki_datetime

REQUIRED = {
    "device": "機器",
    "detected_at": "発生日時",
    "symptom": "症状",
    "action": "対処",
    "cause": "原因",
    "measures": "再発防止策",
}


def context(record: dict, root: str) -> dict:
    lacking = [f"{ja} ({name})" for name, ja in REQUIRED.items() if not record.get(name)]
    if lacking:
        raise ReportRefused(f"{record['id']}: the fault report (障害報告書) needs " + ", ".join(lacking))
    due = workdays.fault_report_due(parse_time(record["detected_at"]), workdays.load_calendar(root))
    reported = record.get("reported_at")
    return {
        "r": record,
        "title": "障害報告書",
        "status_ja": STATUS_JA.get(record["status"], record["status"]),
        "due": due,
        "due_ja": wareki_date(dt.date.fromisoformat(due["due"])),
        "late": bool(reported and reported > due["due"]),
        "written_at": wareki_datetime(dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)),
    }


def render(record: dict, fmt: str, root: str) -> str:
    env = environment(when_ja=when_ja, date_ja=lambda d: wareki_date(dt.date.fromisoformat(d)) if d else "—")
    return env.get_template(f"fault_report.{fmt}.j2").render(**context(record, root))


def write(record: dict, report_dir: str, root: str) -> dict:
    """Writes fault-<ID>.{md,html,json} into REPORT_DIR; ReportRefused when a required field is missing."""
    context(record, root)
    names = {fmt: f"fault-{record['id']}.{fmt}" for fmt in ("md", "html", "json")}
    return write_formats(
        record, report_dir, names, lambda rec, fmt: render(record, fmt, root), None, ("md", "html", "json")
    )
