"""Alert records: one JSON file per alert occurrence (fingerprint + startsAt) under
RECORDS/alerts/YYYY-MM/ (the month of detection, Asia/Tokyo), written atomically (temp file + rename).

A record is built from the webhook notifications Alertmanager sends: the first firing notification sets
notified_at (the receiver's clock, which is when Alertmanager notified), the resolved one resolved_at
(the alert's endsAt). Every time is ISO 8601 with the Asia/Tokyo offset.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

from jichitai_ops.workplan import model

SCHEMA = "jichitai-ops/alert/1"
KEYS = (
    "schema",
    "fingerprint",
    "alertname",
    "severity",
    "status",
    "labels",
    "annotations",
    "detected_at",
    "notified_at",
    "resolved_at",
    "last_notified_at",
    "notifications",
    "generatorURL",
)
STATUSES = ("firing", "resolved")
SEVERITIES = ("critical", "warning")
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{1,64}$")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Alertmanager writes nanoseconds; Python reads at most microseconds.
_FRACTION_RE = re.compile(r"(\.\d{6})\d+")
# Go's zero time: the endsAt of an alert that has not ended.
ZERO_TIME = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


class RecordError(ValueError):
    """A record or a notification that cannot be used; the message says what is wrong."""


def parse_am_time(text, what: str) -> dt.datetime | None:
    """An Alertmanager time (RFC 3339, nanoseconds, Z) as an aware datetime; Go's zero time is None."""
    if not isinstance(text, str) or not text.strip():
        raise RecordError(f"{what}: not a time: {text!r}")
    raw = _FRACTION_RE.sub(r"\1", text.strip())
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise RecordError(f"{what}: not an RFC 3339 time: {text!r}") from exc
    if value.tzinfo is None:
        raise RecordError(f"{what}: time without an offset: {text!r}")
    return None if value <= ZERO_TIME else value.astimezone(model.TZ)


def alerts_dir(records: str | Path) -> Path:
    return Path(records) / "alerts"


def record_path(records: str | Path, fingerprint: str, detected: dt.datetime) -> Path:
    """RECORDS/alerts/2027-04/20270401T093015.123456-<fingerprint>.json: the key in the name, no
    character a file system or a shell would read differently."""
    if not FINGERPRINT_RE.match(fingerprint):
        raise RecordError(f"fingerprint: not lower-case hex: {fingerprint!r}")
    local = detected.astimezone(model.TZ)
    return alerts_dir(records) / f"{local:%Y-%m}" / f"{local:%Y%m%dT%H%M%S.%f}-{fingerprint}.json"


def new_record(alert: dict) -> dict:
    labels = alert["labels"]
    return {
        "schema": SCHEMA,
        "fingerprint": alert["fingerprint"],
        "alertname": labels.get("alertname", ""),
        "severity": labels.get("severity", ""),
        "status": "firing",
        "labels": dict(sorted(labels.items())),
        "annotations": dict(sorted(alert.get("annotations", {}).items())),
        "detected_at": model.iso(alert["detected"]),
        "notified_at": None,
        "resolved_at": None,
        "last_notified_at": None,
        "notifications": 0,
        "generatorURL": alert.get("generatorURL", ""),
    }


def merge(record: dict | None, alert: dict, received: dt.datetime) -> dict:
    """The record after one more notification of its alert (a checked alert of receiver.check_payload)."""
    record = dict(record) if record else new_record(alert)
    record["notifications"] += 1
    record["last_notified_at"] = model.iso(received)
    record["annotations"] = dict(sorted(alert.get("annotations", {}).items()))
    if alert["status"] == "firing":
        if record["notified_at"] is None:
            record["notified_at"] = model.iso(received)
        # Alertmanager fires the same occurrence again when it is re-sent before the resolution expired
        record["status"] = "firing"
        record["resolved_at"] = None
    else:
        record["status"] = "resolved"
        record["resolved_at"] = model.iso(alert["ended"] or received)
    return record


def write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def validate(record) -> list[str]:
    """What is wrong with a record (empty when it is sound)."""
    if not isinstance(record, dict):
        return ["not a JSON object"]
    problems = [f"missing {key}" for key in KEYS if key not in record]
    if problems:
        return problems
    if record["schema"] != SCHEMA:
        problems.append(f"schema {record['schema']!r} is not {SCHEMA}")
    if record["status"] not in STATUSES:
        problems.append(f"status {record['status']!r} is not one of {', '.join(STATUSES)}")
    if not isinstance(record["labels"], dict) or not isinstance(record["annotations"], dict):
        problems.append("labels and annotations must be objects")
    if not isinstance(record["notifications"], int) or record["notifications"] < 1:
        problems.append("notifications must be a positive count")
    for key in ("detected_at", "notified_at", "resolved_at", "last_notified_at"):
        value = record[key]
        if value is None and key != "detected_at":
            continue
        try:
            parsed = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            problems.append(f"{key} is not an ISO 8601 time: {value!r}")
            continue
        if parsed.tzinfo is None:
            problems.append(f"{key} has no offset: {value!r}")
    if record["status"] == "resolved" and record["resolved_at"] is None:
        problems.append("resolved without resolved_at")
    return problems


def load(path: str | Path) -> dict:
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordError(f"{path}: cannot read: {exc}") from exc
    problems = validate(record)
    if problems:
        raise RecordError(f"{path}: {'; '.join(problems)}")
    return record


def list_records(records: str | Path, month: str | None = None) -> tuple[list[dict], list[str]]:
    """Every sound record (of one month, YYYY-MM, when given), oldest detection first, and the problems
    of the files that could not be read."""
    if month is not None and not MONTH_RE.match(month):
        raise RecordError(f"not a month (want YYYY-MM): {month!r}")
    base = alerts_dir(records)
    folders = [base / month] if month else sorted(p for p in base.glob("*") if MONTH_RE.match(p.name))
    found, problems = [], []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            if path.name.startswith("."):
                continue
            try:
                found.append(load(path))
            except RecordError as exc:
                problems.append(str(exc))
    found.sort(key=lambda r: (model.parse_time(r["detected_at"]), r["fingerprint"]))
    return found, problems


def month_of(record: dict) -> str:
    return f"{model.parse_time(record['detected_at']):%Y-%m}"
