"""SLA figures from the alert records (SLA §4-5 table 3).

障害報告時間: detection (the alert's startsAt) to the notification of the operations desk (the first
firing notification, notified_at) within 30 minutes. A record without notified_at (the receiver only
heard the resolution) cannot show the notification: it counts as a breach, 未確認.

稼働率: per host, the minutes covered by its `jichitai_check=down` alerts (overlaps counted once; one
still firing counts up to now) over the minutes of the month, Asia/Tokyo; goal 99.9 % or more.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.workplan import model

REPORT_LIMIT_MINUTES = 30
AVAILABILITY_GOAL = 99.9
DOWN_CHECK = "down"

VERDICTS_JA = {"ok": "30分以内", "late": "超過", "unknown": "未確認"}


def notification(record: dict) -> dict:
    """Minutes from detection to notification and the verdict: ok, late or unknown."""
    detected = model.parse_time(record["detected_at"])
    if not record.get("notified_at"):
        minutes, verdict = None, "unknown"
    else:
        minutes = (model.parse_time(record["notified_at"]) - detected).total_seconds() / 60
        verdict = "ok" if minutes <= REPORT_LIMIT_MINUTES else "late"
    return {
        "fingerprint": record["fingerprint"],
        "alertname": record["alertname"],
        "severity": record["severity"],
        "jichitai_host": record["labels"].get("jichitai_host", ""),
        "jichitai_check": record["labels"].get("jichitai_check", ""),
        "detected_at": record["detected_at"],
        "notified_at": record.get("notified_at"),
        "resolved_at": record.get("resolved_at"),
        "minutes_to_notify": None if minutes is None else round(minutes, 2),
        "within_limit": verdict == "ok",
        "verdict": verdict,
        "verdict_ja": VERDICTS_JA[verdict],
    }


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = (int(part) for part in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=model.TZ)
    end = dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=model.TZ)
    return start, end


def _union_minutes(intervals: list[tuple[dt.datetime, dt.datetime]]) -> float:
    total, span = 0.0, None
    for start, end in sorted(intervals):
        if span and start <= span[1]:
            span = (span[0], max(span[1], end))
            continue
        if span:
            total += (span[1] - span[0]).total_seconds()
        span = (start, end)
    if span:
        total += (span[1] - span[0]).total_seconds()
    return total / 60


def availability(records: list[dict], month: str, now: dt.datetime | None = None) -> list[dict]:
    """Per host with down time in the month: minutes down, availability in %, whether it meets the goal.
    records may hold every month: an outage that began the month before counts from the 1st."""
    start, end = month_bounds(month)
    now = now or dt.datetime.now(model.TZ)
    month_minutes = (end - start).total_seconds() / 60
    per_host: dict[str, list] = {}
    for record in records:
        if record["labels"].get("jichitai_check") != DOWN_CHECK:
            continue
        down_from = model.parse_time(record["detected_at"])
        down_to = model.parse_time(record["resolved_at"]) if record.get("resolved_at") else now
        down_from, down_to = max(down_from, start), min(down_to, end)
        if down_to > down_from:
            host = record["labels"].get("jichitai_host", "")
            per_host.setdefault(host, []).append((down_from, down_to))
    rows = []
    for host, intervals in sorted(per_host.items()):
        down = _union_minutes(intervals)
        percent = 100 * (1 - down / month_minutes)
        rows.append(
            {
                "jichitai_host": host,
                "down_minutes": round(down, 2),
                "month_minutes": int(month_minutes),
                "availability_percent": round(percent, 4),
                "meets_goal": percent >= AVAILABILITY_GOAL,
            }
        )
    return rows


def month_report(records: list[dict], month: str, now: dt.datetime | None = None) -> dict:
    """The month's figures: every alert detected in it with its notification time, the counts, and
    availability per host. records may hold every month."""
    start, end = month_bounds(month)
    in_month = [r for r in records if start <= model.parse_time(r["detected_at"]) < end]
    alerts = [notification(r) for r in in_month]
    hosts = availability(records, month, now)
    late = sum(1 for a in alerts if a["verdict"] == "late")
    unknown = sum(1 for a in alerts if a["verdict"] == "unknown")
    below = [h["jichitai_host"] for h in hosts if not h["meets_goal"]]
    return {
        "month": month,
        "report_limit_minutes": REPORT_LIMIT_MINUTES,
        "availability_goal_percent": AVAILABILITY_GOAL,
        "count": len(alerts),
        "within_limit": sum(1 for a in alerts if a["within_limit"]),
        "breaches": late + unknown,
        "late": late,
        "unknown": unknown,
        "alerts": alerts,
        "availability": hosts,
        "hosts_below_goal": below,
        "breach": bool(late or unknown or below),
    }
