"""The registers: one YAML file per record, RECORDS/<kind>s/<ID>.yml, in the Japanese field names the
city reads (FIELDS: internal name -> 見出し), written atomically under a folder lock.

  incident  SEC-INC §6-3(1)②③④  INC-2027-0001  overview (when, where, what), cause, interim action,
                                                recovery outlook, measures against recurrence
  fault     MNT-FAULT §5-1, §5-3  FLT-2027-0001  device, symptom, isolation, repair/replace; the fault
                                                report due 3 working days after detection
  issue     PM-ISSUES §3-2(5)     ISS-2027-0001  content, impact, priority, raised, owner, status,
                                                action, result, resolved

A record is validated whole on every write and every read; a problem names the file and every bad field.
Every change appends a line to 経過 (history): when, who, what.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jichitai_ops.workplan import model

from . import workdays


class RegisterError(ValueError):
    """A record or a request that cannot be used; the message names every problem."""


class NotFoundError(RegisterError):
    pass


@dataclass(frozen=True)
class Field:
    name: str
    ja: str
    kind: str = "text"  # text, time, date, list, choice
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""


STATUS_INCIDENT = (("open", "対応中"), ("recovered", "復旧済"), ("closed", "完了"))
SEVERITY = (("critical", "重大"), ("warning", "警告"))
PRIORITY = (("high", "高"), ("medium", "中"), ("low", "低"))
STATUS_ISSUE = (("open", "未着手"), ("in_progress", "対応中"), ("resolved", "解決"))
SOURCE = (("engineer", "担当者"), ("alert", "監視アラート"))

COMMON_HEAD = (Field("id", "番号"),)
HISTORY = Field("history", "経過", "history")

KINDS: dict[str, dict] = {
    "incident": {
        "prefix": "INC",
        "ja": "インシデント",
        "clause": "SEC-INC §6-3(1)②③④",
        "fields": (
            *COMMON_HEAD,
            Field("title", "件名", required=True, help="a short title"),
            Field("status", "状態", "choice", True, STATUS_INCIDENT),
            Field("severity", "重要度", "choice", True, SEVERITY),
            Field("source", "起票元", "choice", True, SOURCE),
            Field("detected_at", "検知日時", "time", True, help="when it was detected (ISO 8601)"),
            Field("first_report_at", "第一報日時", "time", help="when the city was first told"),
            Field("where", "発生場所", required=True, help="where (site, segment, system)"),
            Field("what", "事象", required=True, help="what happened"),
            Field("hosts", "対象機器", "list", help="affected hosts (repeatable)"),
            Field("owner", "担当者", help="who handles it"),
            Field("cause", "原因", help="the cause"),
            Field("interim_action", "暫定対応", help="the interim action taken"),
            Field("recovery_outlook", "復旧見込み", help="the recovery outlook"),
            Field("recovered_at", "復旧日時", "time", help="when service was restored"),
            Field("measures", "再発防止策", help="measures against recurrence"),
            Field("closed_at", "完了日時", "time"),
            Field("alerts", "関連アラート", "list", help="alert record ids (repeatable)"),
            Field("faults", "関連障害", "list", help="fault ids (repeatable)"),
            HISTORY,
        ),
    },
    "fault": {
        "prefix": "FLT",
        "ja": "障害",
        "clause": "MNT-FAULT §5-1, §5-3",
        "fields": (
            *COMMON_HEAD,
            Field("title", "件名", required=True, help="a short title"),
            Field("status", "状態", "choice", True, STATUS_INCIDENT),
            Field("device", "機器", required=True, help="the device (host name or asset number)"),
            Field("detected_at", "発生日時", "time", True, help="when the fault was found (ISO 8601)"),
            Field("report_due", "報告期限", "date", help="computed: 3 working days after detection"),
            Field("symptom", "症状", required=True, help="what does not work"),
            Field("isolation", "切り分け", help="how the fault was isolated"),
            Field("action", "対処", help="repair, replacement or setting change"),
            Field("owner", "担当者", help="who handles it"),
            Field("cause", "原因", help="the cause"),
            Field("measures", "再発防止策", help="measures against recurrence"),
            Field("recovered_at", "復旧日時", "time", help="when the device works again"),
            Field("reported_at", "報告日", "date", help="when the fault report was handed to the city"),
            Field("closed_at", "完了日時", "time"),
            Field("incident", "関連インシデント", help="incident id"),
            HISTORY,
        ),
    },
    "issue": {
        "prefix": "ISS",
        "ja": "課題",
        "clause": "PM-ISSUES §3-2(5)",
        "fields": (
            *COMMON_HEAD,
            Field("content", "内容", required=True, help="the issue"),
            Field("impact", "影響", required=True, help="its impact"),
            Field("priority", "優先度", "choice", True, PRIORITY),
            Field("raised_on", "起票日", "date", True, help="the day it was raised (YYYY-MM-DD)"),
            Field("owner", "担当者", required=True, help="who owns it"),
            Field("status", "状態", "choice", True, STATUS_ISSUE),
            Field("action", "対応", help="what is being done"),
            Field("result", "結果", help="the result"),
            Field("resolved_on", "解決日", "date", help="the day it was resolved"),
            HISTORY,
        ),
    },
}
HISTORY_KEYS = ("日時", "記入者", "内容")
ID_RE = re.compile(r"^(INC|FLT|ISS)-(\d{4})-(\d{4})$")


def fields(kind: str) -> tuple[Field, ...]:
    return KINDS[kind]["fields"]


def choice_ja(kind: str, name: str, value: str | None) -> str:
    for fld in fields(kind):
        if fld.name == name:
            return dict(fld.choices).get(value, value or "")
    return value or ""


def folder(records: str | Path, kind: str) -> Path:
    return Path(records) / f"{kind}s"


def kind_of(record_id: str) -> str:
    match = ID_RE.match(record_id or "")
    if not match:
        raise NotFoundError(f"not a record id (want e.g. INC-2027-0001, FLT-…, ISS-…): {record_id!r}")
    return {"INC": "incident", "FLT": "fault", "ISS": "issue"}[match.group(1)]


def path_of(records: str | Path, record_id: str) -> Path:
    return folder(records, kind_of(record_id)) / f"{record_id}.yml"


# ---- values ---------------------------------------------------------------------------------------------


def _time(value) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise ValueError(f"a date without a time: {value!r}")
    return model.iso(model.parse_time(value))


def _date(value) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(model.TZ).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise ValueError(f"not a date (want YYYY-MM-DD): {value!r}") from exc


def normalize(kind: str, record: dict) -> tuple[dict, list[str]]:
    """The record with every value in its canonical form, and the problems (naming the 見出し)."""
    out, problems = {}, []
    known = {f.name for f in fields(kind)}
    for key in record:
        if key not in known:
            problems.append(f"unknown field {key!r}")
    for fld in fields(kind):
        value = record.get(fld.name)
        label = f"{fld.ja} ({fld.name})"
        if value in (None, "", []):
            out[fld.name] = [] if fld.kind in ("list", "history") else None
            if fld.required:
                problems.append(f"{label}: missing")
            continue
        try:
            if fld.kind == "time":
                out[fld.name] = _time(value)
            elif fld.kind == "date":
                out[fld.name] = _date(value)
            elif fld.kind == "choice":
                codes = dict(fld.choices)
                by_ja = {ja: code for code, ja in fld.choices}
                if value in codes:
                    out[fld.name] = value
                elif value in by_ja:
                    out[fld.name] = by_ja[value]
                else:
                    allowed = ", ".join(f"{c} ({j})" for c, j in fld.choices)
                    raise ValueError(f"{value!r} is not one of {allowed}")
            elif fld.kind == "list":
                items = value if isinstance(value, list) else [value]
                if not all(isinstance(i, str | int) for i in items):
                    raise ValueError("a list of texts")
                out[fld.name] = [str(i) for i in items]
            elif fld.kind == "history":
                if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
                    raise ValueError("a list of entries {日時, 記入者, 内容}")
                out[fld.name] = [
                    {
                        "at": _time(e.get("at", e.get("日時"))),
                        "by": str(e.get("by", e.get("記入者")) or ""),
                        "text": str(e.get("text", e.get("内容")) or ""),
                    }
                    for e in value
                ]
            else:
                if not isinstance(value, str | int | float):
                    raise ValueError("a text")
                out[fld.name] = str(value).strip()
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
    problems.extend(_rules(kind, out))
    return out, problems


def _rules(kind: str, r: dict) -> list[str]:
    problems = []
    if r.get("id") and not ID_RE.match(r["id"]):
        problems.append(f"番号 (id): not an id: {r['id']!r}")
    if kind in ("incident", "fault"):
        if r.get("status") == "closed":
            for name in ("cause", "measures", "closed_at"):
                if not r.get(name):
                    ja = next(f.ja for f in fields(kind) if f.name == name)
                    problems.append(f"{ja} ({name}): required to close")
        if r.get("status") in ("recovered", "closed") and not r.get("recovered_at"):
            problems.append("復旧日時 (recovered_at): required once recovered")
        for name in ("recovered_at", "closed_at", "first_report_at"):
            late = r.get(name) and r.get("detected_at")
            if late and model.parse_time(r[name]) < model.parse_time(r["detected_at"]):
                problems.append(f"{name}: before the detection ({r[name]} < {r['detected_at']})")
    if kind == "issue" and r.get("status") == "resolved":
        for name, ja in (("result", "結果"), ("resolved_on", "解決日")):
            if not r.get(name):
                problems.append(f"{ja} ({name}): required to resolve")
    if kind == "issue" and r.get("resolved_on") and r.get("raised_on") and r["resolved_on"] < r["raised_on"]:
        problems.append(f"resolved_on: before raised_on ({r['resolved_on']} < {r['raised_on']})")
    return problems


def to_file(kind: str, record: dict) -> dict:
    """The record as the file holds it: Japanese 見出し, Japanese choice values, history entries."""
    out = {}
    for fld in fields(kind):
        value = record.get(fld.name)
        if fld.kind == "choice" and value is not None:
            value = dict(fld.choices)[value]
        if fld.kind == "history":
            value = [{"日時": e["at"], "記入者": e["by"], "内容": e["text"]} for e in value or []]
        out[fld.ja] = value
    return out


def from_file(kind: str, data: dict) -> dict:
    by_ja = {f.ja: f.name for f in fields(kind)}
    return {by_ja.get(key, key): value for key, value in data.items()}


# ---- files ----------------------------------------------------------------------------------------------


def _dump(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)


def load(path: str | Path, kind: str | None = None) -> dict:
    import yaml

    path = Path(path)
    kind = kind or kind_of(path.stem)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegisterError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise RegisterError(f"{path}: not a mapping of 見出し: 値")
    record, problems = normalize(kind, from_file(kind, data))
    if record.get("id") != path.stem:
        problems.append(f"番号 (id) {record.get('id')!r} is not the file's name {path.stem!r}")
    if problems:
        raise RegisterError(f"{path}: " + "; ".join(problems))
    return record | {"kind": kind}


def _write(path: Path, kind: str, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = f"# {KINDS[kind]['ja']}記録 ({KINDS[kind]['clause']}): jichitai-ops {kind} で更新\n"
    body += _dump(to_file(kind, record))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".yml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Locked:
    def __init__(self, records, kind):
        self.dir = folder(records, kind)

    def __enter__(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.dir / ".lock", "a")  # noqa: SIM115 (held for the with block)
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.fh.close()


def list_records(records: str | Path, kind: str) -> tuple[list[dict], list[str]]:
    """Every sound record of the kind, by id, and the problems of the files that could not be read."""
    found, problems = [], []
    for path in sorted(folder(records, kind).glob("*.yml")):
        if path.name.startswith("."):
            continue
        try:
            found.append(load(path, kind))
        except RegisterError as exc:
            problems.append(str(exc))
    return found, problems


def get(records: str | Path, record_id: str) -> dict:
    path = path_of(records, record_id)
    if not path.is_file():
        raise NotFoundError(f"no such record: {record_id} ({path})")
    return load(path)


def _next_id(records, kind: str, year: int) -> str:
    prefix = f"{KINDS[kind]['prefix']}-{year}-"
    taken = [int(p.stem[-4:]) for p in folder(records, kind).glob(f"{prefix}*.yml") if ID_RE.match(p.stem)]
    return f"{prefix}{max(taken, default=0) + 1:04d}"


def _entry(at: dt.datetime, by: str, text: str) -> dict:
    return {"at": model.iso(at), "by": by, "text": text}


def _with_derived(kind: str, record: dict, root: str | None) -> dict:
    if kind == "fault" and record.get("detected_at"):
        calendar = workdays.load_calendar(root or os.getcwd())
        due = workdays.fault_report_due(model.parse_time(record["detected_at"]), calendar)
        record["report_due"] = due["due"]
    return record


def create(
    records,
    kind: str,
    values: dict,
    by: str,
    at: dt.datetime | None = None,
    root: str | None = None,
    note: str = "起票",
) -> dict:
    """A new record of KIND from VALUES (internal names); RegisterError naming every problem, nothing
    written."""
    at = at or model.now()
    defaults = {
        "incident": {"status": "open", "severity": "warning", "source": "engineer"},
        "fault": {"status": "open"},
        "issue": {"status": "open", "priority": "medium", "raised_on": at.date().isoformat()},
    }[kind]
    with _Locked(records, kind):
        record_id = _next_id(records, kind, at.year)
        draft = {**defaults, **{k: v for k, v in values.items() if v not in (None, "", [])}}
        draft["id"] = record_id
        draft["history"] = [_entry(at, by, note)]
        record, problems = normalize(kind, _with_derived(kind, draft, root))
        if problems:
            raise RegisterError(f"{kind} not opened: " + "; ".join(problems))
        _write(path_of(records, record_id), kind, record)
    return record | {"kind": kind}


def change(
    records,
    record_id: str,
    values: dict,
    by: str,
    note: str,
    at: dt.datetime | None = None,
    root: str | None = None,
    append: tuple[str, ...] = (),
) -> dict:
    """The record after VALUES are set (list fields named in APPEND are extended); RegisterError naming
    every problem, nothing written."""
    at = at or model.now()
    kind = kind_of(record_id)
    with _Locked(records, kind):
        current = get(records, record_id)
        current.pop("kind", None)
        draft = dict(current)
        changed = []
        for key, value in values.items():
            if value in (None, "", []):
                continue
            if key in append:
                value = current.get(key, []) + [v for v in value if v not in current.get(key, [])]
            if draft.get(key) != value:
                changed.append(next(f.ja for f in fields(kind) if f.name == key))
            draft[key] = value
        text = note or ("、".join(changed) + " を更新" if changed else "")
        if not text:
            raise RegisterError(f"{record_id}: nothing to change (give a field or --note)")
        draft["history"] = [*current["history"], _entry(at, by, text)]
        record, problems = normalize(kind, _with_derived(kind, draft, root))
        if problems:
            raise RegisterError(f"{record_id} not changed: " + "; ".join(problems))
        _write(path_of(records, record_id), kind, record)
    return record | {"kind": kind}


def close(
    records,
    record_id: str,
    by: str,
    at: dt.datetime | None = None,
    values: dict | None = None,
    root: str | None = None,
) -> dict:
    """Closes an incident or fault (cause and measures required) or resolves an issue (result)."""
    at = at or model.now()
    kind = kind_of(record_id)
    values = dict(values or {})
    if kind == "issue":
        values.setdefault("resolved_on", at.date().isoformat())
        values["status"] = "resolved"
        note = "解決"
    else:
        values["closed_at"] = model.iso(at)
        values["status"] = "closed"
        current = get(records, record_id)
        if not current.get("recovered_at") and not values.get("recovered_at"):
            values["recovered_at"] = model.iso(at)
        note = "完了"
    return change(records, record_id, values, by, note, at, root)


# ---- from the monitoring --------------------------------------------------------------------------------


def alert_ref(alert: dict) -> str:
    """The id an incident uses for an alert record: its file name without .json."""
    detected = model.parse_time(alert["detected_at"])
    return f"{detected:%Y%m%dT%H%M%S.%f}-{alert['fingerprint']}"


def incident_for_alert(records, alert: dict) -> str | None:
    ref = alert_ref(alert)
    for path in folder(records, "incident").glob("INC-*.yml"):
        try:
            if ref in load(path, "incident")["alerts"]:
                return path.stem
        except RegisterError:
            continue
    return None


def open_from_alert(records, alert: dict, at: dt.datetime | None = None) -> dict | None:
    """Opens an incident for a firing critical alert record that has none: its detection, host and
    summary from the alert, 起票元 監視アラート; marks an open one 復旧済 when its alert resolves.
    Returns the incident written, or None."""
    if alert.get("severity") != "critical":
        return None
    existing = incident_for_alert(records, alert)
    if alert.get("status") != "firing":
        if existing and alert.get("resolved_at"):
            current = get(records, existing)
            if current["status"] == "open":
                return change(
                    records,
                    existing,
                    {"recovered_at": alert["resolved_at"], "status": "recovered"},
                    "監視（自動記録）",
                    "監視アラートが復旧",
                    at=at,
                )
        return None
    if existing:
        return None
    labels, notes = alert.get("labels", {}), alert.get("annotations", {})
    host = labels.get("jichitai_host") or labels.get("instance") or ""
    summary = notes.get("summary_ja") or notes.get("summary") or alert.get("alertname", "")
    values = {
        "title": f"{alert.get('alertname', '')} {host}".strip(),
        "severity": "critical",
        "source": "alert",
        "detected_at": alert["detected_at"],
        "first_report_at": alert.get("notified_at"),
        "where": " / ".join(
            v for v in (labels.get("jichitai_site"), labels.get("jichitai_segment"), host) if v
        )
        or host
        or "不明",
        "what": summary,
        "hosts": [host] if host else [],
        "alerts": [alert_ref(alert)],
    }
    return create(records, "incident", values, "監視（自動起票）", at=at, note="監視アラートから自動起票")
