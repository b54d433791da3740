"""The records the monthly report (月次報告書) is derived from, each read as it is written elsewhere:

  alerts, incidents, faults, issues   the records folder (alerts/, incidents/, faults/, issues/)
  work plans, approvals, reports      the plan store (work/plans/<id>/plan.json, approval.json, reports/)
  runs                                ARA (jichitai_ops.records.runs)
  daily checks                        work/daily_check/*/daily_check.json
  patch status                        work/patch*/**/patch_status.json (the month's latest)
  backups and restore tests           work/backup*/**/*.json (each file's own status fields)
  availability                        Prometheus (monthly_availability)

A source that is absent is reported as 記録なし, never as zero; a file that cannot be read is named in
problems (the report shows them), never skipped silently.
"""

from __future__ import annotations

import datetime as dt
import glob
import json
import os

from jichitai_ops.alerts import records as alert_records
from jichitai_ops.alerts import sla
from jichitai_ops.records import registers as reg
from jichitai_ops.workplan import store as plan_store
from jichitai_ops.workplan.model import TZ, parse_time

START_LIMIT_MINUTES = 120  # 連絡から作業開始まで 2 時間以内
RECOVERY_LIMIT_MINUTES = 360  # 検知から復旧まで 6 時間以内
AUTOMATIC = ("監視（自動起票）", "監視（自動記録）")


def in_month(value, start: dt.datetime, end: dt.datetime) -> bool:
    if not value:
        return False
    try:
        moment = parse_time(value)
    except ValueError:
        return False
    return start <= moment < end


def _minutes(a, b) -> float:
    return round((parse_time(b) - parse_time(a)).total_seconds() / 60, 1)


def alerts(records_dir: str, month: str, now: dt.datetime) -> dict:
    every, problems = alert_records.list_records(records_dir)
    figures = sla.month_report(every, month, now)
    start, end = sla.month_bounds(month)
    by_ref = {}
    for record in every:
        if start <= parse_time(record["detected_at"]) < end:
            by_ref[reg.alert_ref(record)] = record
    rows = []
    for entry in figures["alerts"]:
        ref = next(
            ref
            for ref, r in by_ref.items()
            if r["fingerprint"] == entry["fingerprint"] and r["detected_at"] == entry["detected_at"]
        )
        record = by_ref[ref]
        rows.append(
            entry
            | {
                "ref": ref,
                "category": entry["jichitai_check"] or record["alertname"],
                "summary_ja": record["annotations"].get("summary_ja", ""),
                "status": record["status"],
            }
        )
    return {"figures": figures, "rows": rows, "problems": problems}


def registers(records_dir: str, month: str) -> dict:
    start, end = sla.month_bounds(month)
    out, problems = {}, []
    for kind in ("incident", "fault", "issue"):
        found, bad = reg.list_records(records_dir, kind)
        problems.extend(bad)
        if kind == "issue":
            chosen = [
                r
                for r in found
                if r["raised_on"] < end.date().isoformat()
                and (r["status"] != "resolved" or (r["resolved_on"] or "") >= start.date().isoformat())
            ]
        else:
            chosen = [
                r
                for r in found
                if parse_time(r["detected_at"]) < end
                and (r["status"] != "closed" or parse_time(r["closed_at"]) >= start)
            ]
        out[kind] = chosen
        out[f"{kind}_changes"] = [
            {"id": r["id"], "at": e["at"], "by": e["by"], "text": e["text"]}
            for r in found
            for e in r["history"]
            if in_month(e["at"], start, end)
        ]
    out["problems"] = problems
    return out


def incident_times(incident: dict, now: dt.datetime) -> dict:
    """Per incident: minutes detection -> first report, call -> start of work, detection -> recovery."""
    call = incident.get("first_report_at") or incident["detected_at"]
    people = [e for e in incident["history"] if e["by"] not in AUTOMATIC]
    if incident["source"] == "engineer" and people:
        started = people[0]["at"]
    else:
        later = [e for e in people if parse_time(e["at"]) >= parse_time(call)]
        started = later[0]["at"] if later else None
    recovered = incident.get("recovered_at")
    return {
        "report_minutes": _minutes(incident["detected_at"], incident["first_report_at"])
        if incident.get("first_report_at")
        else None,
        "start_minutes": _minutes(call, started) if started else None,
        "recovery_minutes": _minutes(incident["detected_at"], recovered) if recovered else None,
        "open_minutes": None if recovered else _minutes(incident["detected_at"], now.isoformat()),
    }


def upcoming(store_dir: str, month: str) -> list[dict]:
    """Plans whose work window starts in the month after MONTH (the meeting's schedule, 予定)."""
    _, end = sla.month_bounds(month)
    following = f"{end:%Y-%m}"
    _, after = sla.month_bounds(following)
    out = []
    for plan_id in plan_store.list_plans(store_dir):
        path = os.path.join(plan_store.plan_dir(store_dir, plan_id), "plan.json")
        try:
            with open(path, encoding="utf-8") as fh:
                plan = json.load(fh)
        except (OSError, ValueError):
            continue  # a run without a plan, or a plan plans() already names as unreadable
        window = plan.get("window") or {}
        if in_month(window.get("start"), end, after):
            approval = plan_store.load_approval(store_dir, plan_id)
            out.append(
                {
                    "id": plan_id,
                    "title": plan.get("title", ""),
                    "clause": plan.get("clause", ""),
                    "window": window,
                    "approved": bool(approval),
                }
            )
    return sorted(out, key=lambda p: p["window"]["start"])


def plans(store_dir: str, month: str) -> tuple[list[dict], list[str]]:
    start, end = sla.month_bounds(month)
    found, problems = [], []
    for plan_id in plan_store.list_plans(store_dir):
        folder = plan_store.plan_dir(store_dir, plan_id)
        unplanned = not os.path.isfile(os.path.join(folder, "plan.json"))
        try:
            if unplanned:  # a run without a plan (未承認の実行): its report stands for the plan
                with open(os.path.join(folder, "report.json"), encoding="utf-8") as fh:
                    plan = json.load(fh)
                plan["created_at"] = plan.get("started")
                approval = None
            else:
                plan, _, _ = plan_store.load_plan(store_dir, plan_id)
                approval = plan_store.load_approval(store_dir, plan_id)
        except (OSError, ValueError) as exc:
            problems.append(f"{plan_id}: {exc}")
            continue
        reports = []
        for path in sorted(
            glob.glob(os.path.join(plan_store.plan_dir(store_dir, plan_id), "reports", "*", "report.json"))
        ):
            try:
                with open(path, encoding="utf-8") as fh:
                    report = json.load(fh)
            except (OSError, ValueError) as exc:
                problems.append(f"{path}: {exc}")
                continue
            reports.append(
                {
                    "stamp": os.path.basename(os.path.dirname(path)),
                    "verdict": report.get("verdict"),
                    "verdict_ja": report.get("verdict_ja", ""),
                    "changes": report.get("changes"),
                    "path": path,
                }
            )
        touched = [plan.get("created_at"), (approval or {}).get("approved_at")]
        if not any(in_month(t, start, end) for t in touched) and not any(
            r["stamp"][:6] == month.replace("-", "") for r in reports
        ):
            continue
        found.append(
            {
                "id": plan_id,
                "title": plan.get("title", ""),
                "clause": plan.get("clause", ""),
                "kind_ja": plan.get("kind_ja", ""),
                "playbook": plan.get("playbook", ""),
                "created_at": plan.get("created_at"),
                "window": plan.get("window"),
                "approver": (approval or {}).get("approver"),
                "approved_at": (approval or {}).get("approved_at"),
                "reports": reports,
                "unplanned": unplanned,
            }
        )
    return found, problems


def _json_files(pattern: str, root: str) -> list[str]:
    return sorted(glob.glob(os.path.join(root, pattern), recursive=True))


def daily_checks(root: str, month: str) -> tuple[list[dict], list[str]] | tuple[None, list[str]]:
    start, end = sla.month_bounds(month)
    paths = _json_files("work/daily_check/*/daily_check.json", root)
    if not paths:
        return None, []
    rows, problems = [], []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                record = json.load(fh)
            if not in_month(record["checked_at"], start, end):
                continue
            summary = record["summary"]
            rows.append(
                {
                    "checked_at": record["checked_at"],
                    "verdict": summary.get("verdict"),
                    "verdict_ja": summary.get("verdict_ja"),
                    "counts": summary.get("counts", {}),
                    "path": os.path.relpath(path, root),
                }
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: {exc}")
    return sorted(rows, key=lambda r: r["checked_at"]), problems


def patch_status(root: str, month: str) -> tuple[dict | None, list[str]]:
    start, end = sla.month_bounds(month)
    best, problems = None, []
    for path in _json_files("work/patch*/**/patch_status.json", root):
        try:
            with open(path, encoding="utf-8") as fh:
                record = json.load(fh)
            day = dt.date.fromisoformat(record["as_of"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if start.date() <= day < end.date() and (best is None or record["as_of"] >= best["as_of"]):
            best = record | {"path": os.path.relpath(path, root)}
    return best, problems


STATUS_KEYS = ("verdict_ja", "status_ja", "result_ja", "verdict", "status", "result", "ok")
TIME_KEYS = (
    "finished_at",
    "ended_at",
    "checked_at",
    "verified_at",
    "started_at",
    "as_of",
    "created_at",
    "at",
)


def backups(root: str, month: str) -> tuple[list[dict] | None, list[str]]:
    """The backup and restore-test records of the month, each with its own status field as written."""
    start, end = sla.month_bounds(month)
    paths = [
        p for p in _json_files("work/backup*/**/*.json", root) if not os.path.basename(p).startswith(".")
    ]
    if not paths:
        return None, []
    rows, problems = [], []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                record = json.load(fh)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if not isinstance(record, dict):
            continue
        when = next((record[k] for k in TIME_KEYS if isinstance(record.get(k), str)), None)
        if when is None:
            when = dt.datetime.fromtimestamp(os.path.getmtime(path), TZ).isoformat()
        if not in_month(when, start, end):
            continue
        status = next((record[k] for k in STATUS_KEYS if k in record), None)
        kind = (
            "restore" if "restore" in path.lower() or "restore" in str(record.get("kind", "")) else "backup"
        )
        rows.append(
            {
                "at": when,
                "kind": kind,
                "status": "—" if status is None else str(status),
                "path": os.path.relpath(path, root),
            }
        )
    return sorted(rows, key=lambda r: r["at"]), problems
