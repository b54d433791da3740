"""インシデント報告書 (SEC-INC §6-3(1)②③④) from an incident record: the first report (第一報), the
interim report (中間報告) and the final written report (最終報告) with overview (when, where, what), cause,
interim action and recovery outlook, and measures against recurrence. Markdown, HTML and the record
as JSON, written into a folder.

A stage that lacks what it must say is refused (ReportRefused naming every missing field): the final
report without cause or measures, the interim one without interim action or recovery outlook.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan.model import TZ, parse_time
from jichitai_ops.workplan.wareki import wareki_datetime

STAGES = {
    "first": {"ja": "第一報", "requires": ("detected_at", "where", "what")},
    "interim": {
        "ja": "中間報告",
        "requires": ("detected_at", "where", "what", "interim_action", "recovery_outlook"),
    },
    "final": {
        "ja": "最終報告",
        "requires": ("detected_at", "where", "what", "interim_action", "cause", "measures", "recovered_at"),
    },
}
LABELS = {
    "detected_at": "検知日時",
    "where": "発生場所",
    "what": "事象",
    "interim_action": "暫定対応",
    "recovery_outlook": "復旧見込み",
    "cause": "原因",
    "measures": "再発防止策",
    "recovered_at": "復旧日時",
}
STATUS_JA = {"open": "対応中", "recovered": "復旧済", "closed": "完了"}
SEVERITY_JA = {"critical": "重大", "warning": "警告"}
SOURCE_JA = {"engineer": "担当者", "alert": "監視アラート"}


class ReportRefused(ValueError):
    """The record lacks what the report must say; the message names every missing field."""


def missing(record: dict, stage: str) -> list[str]:
    return [f"{LABELS[name]} ({name})" for name in STAGES[stage]["requires"] if not record.get(name)]


def when_ja(value) -> str:
    if not value:
        return "—"
    return wareki_datetime(parse_time(value).astimezone(TZ).replace(tzinfo=None))


def _env():
    return environment(when_ja=when_ja)


def context(record: dict, stage: str, alerts: list[dict] | None = None) -> dict:
    lacking = missing(record, stage)
    if lacking:
        raise ReportRefused(
            f"{record['id']}: the {STAGES[stage]['ja']} ({stage}) needs " + ", ".join(lacking)
        )
    return {
        "r": record,
        "stage": stage,
        "stage_ja": STAGES[stage]["ja"],
        "title": f"インシデント報告書（{STAGES[stage]['ja']}）",
        "status_ja": STATUS_JA.get(record["status"], record["status"]),
        "severity_ja": SEVERITY_JA.get(record["severity"], record["severity"]),
        "source_ja": SOURCE_JA.get(record["source"], record["source"]),
        "alerts": alerts or [],
        "written_at": wareki_datetime(dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)),
    }


def render(record: dict, fmt: str, stage: str = "first", alerts=None) -> str:
    return _env().get_template(f"incident_report.{fmt}.j2").render(**context(record, stage, alerts))


def linked_alerts(record: dict, records_dir: str | None) -> list[dict]:
    """The alert records the incident names (those found), for the report's evidence table."""
    if not records_dir:
        return []
    from jichitai_ops.alerts import records as alert_records

    found = []
    for ref in record.get("alerts", []):
        month = f"{ref[:4]}-{ref[4:6]}"
        path = alert_records.alerts_dir(records_dir) / month / f"{ref}.json"
        if path.is_file():
            try:
                found.append(alert_records.load(path) | {"ref": ref})
            except alert_records.RecordError:
                continue
    return found


def write(record: dict, stage: str, report_dir: str, records_dir: str | None = None) -> dict:
    """Writes incident-<ID>-<stage>.{md,html,json} into REPORT_DIR; ReportRefused (nothing written) when
    the stage lacks a field."""
    alerts = linked_alerts(record, records_dir)
    context(record, stage, alerts)  # refuses before anything is written
    names = {fmt: f"incident-{record['id']}-{stage}.{fmt}" for fmt in ("md", "html", "json")}
    return write_formats(
        record | {"stage": stage},
        report_dir,
        names,
        lambda rec, fmt: render(record, fmt, stage, alerts),
        None,
        ("md", "html", "json"),
    )
