"""Work plan model: clock, identifiers, digests, kinds of work and their lead times.

A work plan (作業計画書, MNT-WORKPLAN: spec §5-2(2)②, §6-1(8), table 1 §5) is a JSON document;
its digest is the sha256 of its canonical serialisation, so an approval names exactly one plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from zoneinfo import ZoneInfo

from .wareki import wareki_datetime

TZ = ZoneInfo("Asia/Tokyo")
SCHEMA = "jichitai-ops/workplan/1"
REPORT_SCHEMA = "jichitai-ops/workreport/1"

# Lead time before the work (table 1 §5: operations a week before, emergencies the day before;
# §5-2(2)②: maintenance 3 days before).
KINDS = {
    "operations": {"ja": "運用作業", "lead_days": 7, "clause": "§6-1(8)"},
    "maintenance": {"ja": "保守作業", "lead_days": 3, "clause": "§5-2(2)②"},
    "emergency": {"ja": "緊急作業", "lead_days": 1, "clause": "表1 §5【緊急時】"},
}

PLAN_ID_RE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}(-unplanned)?$")

# Controller environment, not extra vars: AWX/Semaphore users can set extra vars, not this.
LAB_ENV = "JICHITAI_WORKPLAN_LAB"
RUN_ENV = "JICHITAI_WORKPLAN_RUN"
STORE_ENV = "JICHITAI_WORKPLAN_DIR"

# Extra vars that differ between a plan and its apply by design (which plan, its window, the lab clock and
# the lab's unplanned-run switch), and those AWX/Semaphore inject per job: left out when the plan's run
# options are compared with the apply run's. Every other extra var - workplan_inputs, workplan_title and
# the rest of the work-plan role's variables included - is part of the plan's basis.
FLOW_VARS = frozenset(
    {
        "workplan_id",
        "workplan_window_start",
        "workplan_window_end",
        "workplan_now",
        "workplan_unplanned_ok",
        "workplan_unplanned_reason",
    }
)
CONTROL_VAR_PREFIXES = ("awx_", "tower_", "semaphore_")
# Strategies under which a run_once task runs once for the whole play, as the guard and the pair
# modules (one call edits both peers) rely on. free and host_pinned run it once per host, concurrently.
LINEAR_STRATEGIES = frozenset({"workplan_linear", "linear", "debug"})


class WorkplanError(Exception):
    """A refusal: carries every reason, each in Japanese and English."""

    def __init__(self, reasons: list[dict]):
        self.reasons = reasons
        super().__init__(format_reasons(reasons))


def reason(code: str, ja: str, en: str, **detail) -> dict:
    return {"code": code, "ja": ja, "en": en, **({"detail": detail} if detail else {})}


def format_reasons(reasons: list[dict]) -> str:
    return "\n".join(f"- {r['ja']} / {r['en']}" for r in reasons)


def now(injected: str | None = None) -> dt.datetime:
    if injected:
        return parse_time(injected)
    return dt.datetime.now(TZ).replace(microsecond=0)


def parse_time(text) -> dt.datetime:
    """ISO 8601 date-time; a value without an offset is Asia/Tokyo."""
    if isinstance(text, dt.datetime):
        value = text
    else:
        raw = str(text).strip().replace(" ", "T", 1)
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"not a date-time (want e.g. 2026-12-16T22:00): {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(TZ).isoformat() if moment else None


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(obj) -> str:
    return sha256_hex(canonical_json(obj))


def make_plan_id(started: dt.datetime, playbook: str, token: str, unplanned: bool = False) -> str:
    """Time the run started and a digest of its token and playbook: the same for every play of a run."""
    short = sha256_hex(f"{token}:{playbook}".encode())[:8]
    return f"{started.astimezone(TZ):%Y%m%dT%H%M%S}-{short}" + ("-unplanned" if unplanned else "")


def check_plan_id(plan_id: str) -> str:
    if not isinstance(plan_id, str) or not PLAN_ID_RE.match(plan_id):
        raise WorkplanError(
            [
                reason(
                    "bad_plan_id",
                    f"作業計画IDの形式が不正です: {plan_id!r}",
                    f"malformed plan id: {plan_id!r} (want YYYYmmddTHHMMSS-xxxxxxxx)",
                )
            ]
        )
    return plan_id


def lead_time(kind: str, created: dt.datetime, window_start: dt.datetime | None) -> dict:
    """Whether the plan was made early enough before its window (calendar days)."""
    required = KINDS[kind]["lead_days"]
    if window_start is None:
        return {"required_days": required, "days_before": None, "ok": None}
    days_before = (window_start.astimezone(TZ).date() - created.astimezone(TZ).date()).days
    return {
        "required_days": required,
        "days_before": days_before,
        "ok": days_before >= required,
        "clause": KINDS[kind]["clause"],
    }


def lab_enabled(environ=None) -> bool:
    return (environ if environ is not None else os.environ).get(LAB_ENV) == "1"


def is_control_var(name: str) -> bool:
    return name in FLOW_VARS or name.startswith(CONTROL_VAR_PREFIXES)


def strategy_name(strategy: str | None) -> str:
    """ansible.builtin.free -> free"""
    return str(strategy or "linear").rsplit(".", 1)[-1]


def fmt_jp(moment) -> str:
    """2026-12-16T22:00+09:00 -> 令和8年12月16日（水）22:00, in Asia/Tokyo (wareki.py: the style)"""
    if not moment:
        return "未定"
    return wareki_datetime(parse_time(moment))


def fmt_minutes(minutes) -> str:
    if minutes is None:
        return "—"
    minutes = int(round(minutes))
    return f"{minutes // 60}時間{minutes % 60:02d}分" if minutes >= 60 else f"{minutes}分"
