"""Wording and ordering shared by every rendering of a plan or report (Markdown, HTML, Excel)."""

from __future__ import annotations

import datetime as dt
import difflib
import functools

from markupsafe import Markup, escape

from .record import HIDDEN
from .wareki import clock, wareki_date, wareki_datetime

MAX_DIFF_LINES = 400

STATE_JA = {
    "changed": "変更あり",
    "ok": "変更なし",
    "skipped": "対象外",
    "unpredictable": "予測不能",
    "failed": "失敗",
    "unreachable": "到達不能",
    None: "—",
}
SEVERITY_JA = {"block": "不可", "warn": "注意"}


def unified(diff: dict) -> str:
    """One diff entry as unified-diff text (the no_log placeholder for hidden results)."""
    if diff.get("hidden"):
        return HIDDEN
    if "prepared" in diff:
        return _unified_text("", "", "", diff["prepared"])
    return _unified_text(diff.get("header") or "対象", diff.get("before", ""), diff.get("after", ""), None)


# A plan's Markdown, HTML and Excel each show every entry: the text is made once, not three times
# (documents.py clears it after each plan or report, so it never holds more than one document's diffs).
@functools.lru_cache(maxsize=16384)
def _unified_text(header: str, before: str, after: str, prepared: str | None) -> str:
    if prepared is not None:
        text = prepared
    else:
        lines = difflib.unified_diff(
            before.splitlines(True),
            after.splitlines(True),
            fromfile=f"{header}（変更前）",
            tofile=f"{header}（変更後）",
            n=2,
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    lines = text.splitlines()
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [
            f"…（以下 {len(lines) - MAX_DIFF_LINES} 行省略。全文は JSON に記録）"
        ]
    return "\n".join(lines)


def unified_text_done() -> None:
    """Forget the texts of the document just written."""
    _unified_text.cache_clear()


def diff_html(diff: dict) -> Markup:
    """One diff entry as the HTML documents show it: each line a span, added lines green, removed red."""
    spans = []
    for line in unified(diff).splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            kind = "add"
        elif line.startswith("-") and not line.startswith("---"):
            kind = "del"
        else:
            kind = ""
        spans.append(f'<span class="{kind}">{escape(line)}\n</span>')
    return Markup('<pre class="diff">' + "".join(spans) + "</pre>")


def listify(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def ordered_entries(records: list[dict], *states: str) -> list[tuple[dict, dict]]:
    """(record, entry) in the order the tasks ran, hosts by name within a task."""
    first: dict[tuple, int] = {}
    for rec in records:
        task = (rec["key"], rec["occurrence"])
        first[task] = min(first.get(task, rec["seq"]), rec["seq"])
    pairs = [(rec, e, i) for rec in records for i, e in enumerate(rec["entries"]) if e["state"] in states]
    pairs.sort(key=lambda p: (first[(p[0]["key"], p[0]["occurrence"])], p[0]["host"], p[2]))
    return [(rec, e) for rec, e, _ in pairs]


def jp_date(value) -> str:
    """A calendar day ("2026-12-13" or a date) -> 令和8年12月13日（日）; nothing -> —"""
    if not value:
        return "—"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return wareki_date(day)


def at_offset(start, minutes) -> str:
    """The clock time MINUTES after START (ISO 8601): 22:12 on the start's day, else the full date."""
    from .model import parse_time

    begin = parse_time(start)
    moment = begin + dt.timedelta(minutes=minutes or 0)
    return clock(moment) if moment.date() == begin.date() else wareki_datetime(moment)


def jp_until(end, start) -> str:
    """The end of a span that starts at START: only its clock time on the same day (〜23:00)."""
    from .model import fmt_jp, parse_time

    if not end or not start:
        return fmt_jp(end)
    finish = parse_time(end)
    return clock(finish) if finish.date() == parse_time(start).date() else fmt_jp(end)


def service_slots_text(affected: dict) -> str:
    """The off-hours services (§4-3(3)) the work touches, as one line: every slot, the named ones, or none."""
    slots = affected.get("slots")
    if slots is None:
        return "全所属の時間外サービス（業務カレンダーのすべての枠）"
    if not slots:
        return "なし（影響する業務システム・拠点に時間外サービスはありません）"
    # a service kept in two seasons is two slots, one line
    lines = (f"{s['department_name']}「{s['service']}」（{s['where']}）" for s in slots)
    return "、".join(dict.fromkeys(lines))


def impact_basis_text(affected: dict) -> str:
    """How the services were found: declared by the operation, or read from each host's inventory."""
    derived = affected.get("derived") or []
    if not derived:
        return "作業の定義による"
    return "機器の登録内容から判定: " + "、".join(f"{d['host']}＝{d['basis']}" for d in derived)
