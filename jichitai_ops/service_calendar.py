"""The city's service calendar as rules: off-hours municipal services and contract working rules.

Interprets ``jichitai_service_calendar`` (group_vars/all/service_calendar.yml) for a work window
and answers which off-hours services (REQUIREMENTS §2, spec §4-3(3)) and which working rules
(spec §9-2(6): work that stops a system only on closed days or at night; §5-2(2)①: other
maintenance inside the support-desk hours) the window runs into.

Japanese public holidays come from the ``holidays`` library; the city's own closed days (年末年始)
are data. Every time is Asia/Tokyo unless the calendar names another zone; a window given without
an offset (a naive datetime or ISO text) is read in that zone, never in the controller's.

Rule language of a ``when`` (a mapping, or a list of mappings of which any may match):
  months: [1..12]            weekdays: [mon..sun]
  nth_weekday: [1..5, -1]    n-th occurrence of that weekday in the month (-1 = last)
  nth_week: [1..6]           「第n週」: ambiguous, see below
  days: any|open|closed|holiday   open = weekday that is neither a public holiday nor a closure
  except: [holiday, closure, closed]
  dates: [YYYY-MM-DD]        explicit dates (an empty list with ``date_required`` warns)
  days_of_month: [first, last]   e.g. [2, 8]: the Sunday right after the first Saturday
A slot's ``time`` is "HH:MM-HH:MM" or a list of them; an end at or before the start runs past midnight.

「第n週」 has three plausible readings (WEEK_READINGS): the n-th calendar row with weeks starting on
Sunday, the n-th row with weeks starting on Monday, and the n-th occurrence of the weekday (days
7n-6..7n). Until the city confirms one for a rule (``week_reading: {confirmed, confirmed_by,
confirmed_at}`` on the slot), the rule covers the UNION of the readings, and every finding that
exists under some readings only is marked assumed and names the readings it rests on.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from .workplan.wareki import clock, wareki_datetime

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS_JA = ("月", "火", "水", "木", "金", "土", "日")
DEFAULT_TZ = "Asia/Tokyo"
WEEK_READINGS = ("row_sun", "row_mon", "nth_weekday")
WEEK_READINGS_JA = {
    "row_sun": "日曜始まりの週",
    "row_mon": "月曜始まりの週",
    "nth_weekday": "その曜日の第n回",
}


class CalendarError(ValueError):
    """The calendar data is malformed; the message names every bad rule."""


@lru_cache(maxsize=16)
def _holidays_for(country: str, year: int) -> dict:
    if country == "JP":
        from .holidays_jp import FIRST_YEAR, HOLIDAYS, LAST_YEAR

        if FIRST_YEAR <= year <= LAST_YEAR:
            return {dt.date(*key): name for key, name in HOLIDAYS.items() if key[0] == year}
    import holidays  # imported lazily, and only for a year or country outside the table

    return dict(holidays.country_holidays(country, years=year, language="ja"))


def public_holiday(day: dt.date, country: str = "JP") -> str | None:
    """Name of the public holiday on ``day`` (Japanese), or None."""
    return _holidays_for(country, day.year).get(day)


def _parse_mmdd(text: str) -> tuple[int, int]:
    month, day = str(text).split("-")
    return int(month), int(day)


def closure_on(day: dt.date, closures: list) -> str | None:
    """Name of the city closure (e.g. 年末年始 12-29..01-03) covering ``day``, or None."""
    key = (day.month, day.day)
    for closure in closures or []:
        start, end = _parse_mmdd(closure["from"]), _parse_mmdd(closure["to"])
        inside = start <= key <= end if start <= end else (key >= start or key <= end)
        if inside:
            return closure.get("name", "closure")
    return None


def day_info(day: dt.date, calendar: dict) -> dict:
    """Kind of day: open (開庁日) or closed (閉庁日), with the holiday or closure that makes it so."""
    holiday = public_holiday(day, calendar.get("public_holidays", "JP"))
    closure = closure_on(day, calendar.get("closures", []))
    weekend = day.weekday() >= 5
    return {
        "date": day.isoformat(),
        "weekday": WEEKDAYS[day.weekday()],
        "weekday_ja": WEEKDAYS_JA[day.weekday()],
        "holiday": holiday,
        "closure": closure,
        "open": not (weekend or holiday or closure),
    }


def _week_row(day: dt.date, week_starts_on: str) -> int:
    start = WEEKDAYS.index(week_starts_on)
    first = day.replace(day=1)
    offset = (first.weekday() - start) % 7
    return (day.day - 1 + offset) // 7 + 1


def _nth_weekday(day: dt.date) -> tuple[int, bool]:
    nxt = day + dt.timedelta(days=7)
    return (day.day - 1) // 7 + 1, nxt.month != day.month


def week_number(day: dt.date, reading: str) -> int:
    """「第n週」 of ``day`` under one reading (row_sun, row_mon or nth_weekday)."""
    if reading == "row_sun":
        return _week_row(day, "sun")
    if reading == "row_mon":
        return _week_row(day, "mon")
    if reading == "nth_weekday":
        return _nth_weekday(day)[0]
    raise CalendarError(f"unknown reading of 第n週 '{reading}' (want one of {', '.join(WEEK_READINGS)})")


def week_readings(rule: dict) -> tuple[tuple[str, ...], bool]:
    """The readings of 「第n週」 in force for ``rule`` and whether the city confirmed the one used."""
    confirmed = (rule.get("week_reading") or {}).get("confirmed")
    if confirmed:
        return (str(confirmed),), True
    return WEEK_READINGS, False


def _day_matches(cond: dict, day: dt.date, info: dict, readings=WEEK_READINGS):
    """False, True (whatever 「第n週」 means) or the non-empty set of readings under which ``day`` matches."""
    if "dates" in cond and day.isoformat() not in {str(d) for d in cond["dates"] or []}:
        return False
    if "months" in cond and day.month not in cond["months"]:
        return False
    if "weekdays" in cond and info["weekday"] not in cond["weekdays"]:
        return False
    if "days_of_month" in cond and not cond["days_of_month"][0] <= day.day <= cond["days_of_month"][1]:
        return False
    if "nth_weekday" in cond:
        nth, last = _nth_weekday(day)
        wanted = set(cond["nth_weekday"])
        if nth not in wanted and not (last and -1 in wanted):
            return False
    via = None
    if "nth_week" in cond:
        via = frozenset(r for r in readings if week_number(day, r) in cond["nth_week"])
        if not via:
            return False
    kind = cond.get("days", "any")
    if kind == "open" and not info["open"]:
        return False
    if kind == "closed" and info["open"]:
        return False
    if kind == "holiday" and not info["holiday"]:
        return False
    for excluded in cond.get("except", []):
        if excluded == "holiday" and info["holiday"]:
            return False
        if excluded == "closure" and info["closure"]:
            return False
        if excluded == "closed" and not info["open"]:
            return False
    return True if via is None else via


def _conditions(rule: dict) -> list[dict]:
    when = rule.get("when", {})
    return when if isinstance(when, list) else [when]


def _times(rule: dict) -> list[tuple[dt.time, dt.time, bool]]:
    spec = rule.get("time", "00:00-24:00")
    out = []
    for item in spec if isinstance(spec, list) else [spec]:
        start_s, end_s = str(item).split("-")
        start = dt.time.fromisoformat(start_s.strip())
        end_txt = end_s.strip()
        to_midnight = end_txt == "24:00"
        end = dt.time(0, 0) if to_midnight else dt.time.fromisoformat(end_txt)
        out.append((start, end, to_midnight or end <= start))
    return out


def day_match(rule: dict, day: dt.date, info: dict):
    """Whether ``rule`` applies on ``day``: (matches, readings) where readings is None when the answer
    does not depend on the reading of 「第n週」, else the readings under which it applies."""
    readings, _confirmed = week_readings(rule)
    via: set = set()
    for cond in _conditions(rule):
        hit = _day_matches(cond, day, info, readings)
        if hit is True:
            return True, None
        if hit:
            via |= hit
    if not via:
        return False, None
    if via == set(readings):
        return True, None
    return True, frozenset(via)


def _intervals(rule: dict, day: dt.date, tz: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    intervals = []
    for start, end, next_day in _times(rule):
        begin = dt.datetime.combine(day, start, tz)
        finish = dt.datetime.combine(day + dt.timedelta(days=1) if next_day else day, end, tz)
        intervals.append((begin, finish))
    return intervals


def occurrences(
    rule: dict, day: dt.date, calendar: dict, tz: ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The intervals ``rule`` occupies that begin on ``day`` (under any reading of 「第n週」)."""
    matches, _via = day_match(rule, day, day_info(day, calendar))
    return _intervals(rule, day, tz) if matches else []


def reading_note(rule: dict, day: dt.date, via) -> str:
    """「第2・4週の解釈: …」: the readings under which ``rule`` applies on ``day``, and the others."""
    wanted = sorted({n for c in _conditions(rule) for n in c.get("nth_week", [])})
    nums = "・".join(str(n) for n in wanted)

    def name(reading):
        if reading == "nth_weekday":
            n = week_number(day, reading)
            return f"その曜日の第{n}回（{7 * n - 6}〜{7 * n}日）"
        return f"{WEEK_READINGS_JA[reading]}の第{week_number(day, reading)}週"

    yes = "・".join(name(r) for r in WEEK_READINGS if r in via)
    no = "・".join(name(r) for r in WEEK_READINGS if r not in via)
    return f"第{nums}週の解釈: {yes}として該当、{no}では対象外。市の確認待ち"


def validate(calendar: dict) -> None:
    """Raise CalendarError naming every malformed rule (bad weekday, month, time or key)."""
    problems = []
    known = {"months", "weekdays", "nth_weekday", "nth_week", "days", "except", "dates", "days_of_month"}
    rules = [("business_hours", calendar.get("working_rules", {}).get("business_hours", {}))]
    rules += [
        (s.get("id", f"service_slots[{i}]"), s) for i, s in enumerate(calendar.get("service_slots", []))
    ]
    for name, rule in rules:
        for cond in _conditions(rule):
            if not isinstance(cond, dict):
                problems.append(f"{name}: 'when' must be a mapping or a list of mappings")
                continue
            for key in set(cond) - known:
                problems.append(f"{name}: unknown condition '{key}'")
            for wd in cond.get("weekdays", []):
                if wd not in WEEKDAYS:
                    problems.append(f"{name}: unknown weekday '{wd}'")
            for m in cond.get("months", []):
                if not (isinstance(m, int) and 1 <= m <= 12):
                    problems.append(f"{name}: bad month '{m}'")
            span = cond.get("days_of_month", [1, 31])
            if not (
                isinstance(span, list)
                and len(span) == 2
                and all(isinstance(d, int) and 1 <= d <= 31 for d in span)
                and span[0] <= span[1]
            ):
                problems.append(f"{name}: bad days_of_month '{span}' (want [first, last], 1-31)")
            if cond.get("days", "any") not in ("any", "open", "closed", "holiday"):
                problems.append(f"{name}: bad days '{cond.get('days')}'")
        try:
            _times(rule)
        except (ValueError, AttributeError):
            problems.append(f"{name}: bad time '{rule.get('time')}' (want HH:MM-HH:MM)")
        if rule.get("hours_unstated") not in (None, "warn", "block"):
            problems.append(
                f"{name}: hours_unstated must be warn or block, not '{rule.get('hours_unstated')}'"
            )
        try:
            _times({"time": _span(rule)})
        except (ValueError, AttributeError):
            problems.append(f"{name}: bad unstated_span '{rule.get('unstated_span')}' (want HH:MM-HH:MM)")
    for i, slot in enumerate(calendar.get("service_slots", [])):
        if not isinstance(slot.get("site"), str) or not slot.get("site"):
            problems.append(
                f"{slot.get('id', f'service_slots[{i}]')}: site is required (the site id where the service is"
                " given, e.g. cityhall)"
            )
    for i, closure in enumerate(calendar.get("closures", [])):
        try:
            _parse_mmdd(closure["from"]), _parse_mmdd(closure["to"])
        except (KeyError, ValueError):
            problems.append(f"closures[{i}]: want from/to as MM-DD")
    if "week_starts_on" in calendar:
        problems.append(
            "week_starts_on: no longer read; 「第n週」 is confirmed per rule (week_reading: confirmed,"
            " confirmed_by, confirmed_at) and covers every plausible reading until then"
        )
    for name, rule in rules:
        confirmation = rule.get("week_reading")
        if confirmation is None:
            continue
        if not isinstance(confirmation, dict):
            problems.append(f"{name}: week_reading must be a mapping (confirmed, confirmed_by, confirmed_at)")
            continue
        for key in set(confirmation) - {"confirmed", "confirmed_by", "confirmed_at"}:
            problems.append(f"{name}: week_reading: unknown key '{key}'")
        reading = confirmation.get("confirmed")
        if not reading:
            continue
        if reading not in WEEK_READINGS:
            problems.append(
                f"{name}: week_reading: unknown reading '{reading}' (want one of {', '.join(WEEK_READINGS)})"
            )
        if not confirmation.get("confirmed_by"):
            problems.append(f"{name}: week_reading: a confirmed reading needs confirmed_by (who at the city)")
        try:
            dt.date.fromisoformat(str(confirmation.get("confirmed_at"))[:10])
        except ValueError:
            problems.append(f"{name}: week_reading: a confirmed reading needs confirmed_at (YYYY-MM-DD)")
    if problems:
        raise CalendarError("service calendar: " + "; ".join(problems))


def in_zone(moment, tz: ZoneInfo) -> dt.datetime:
    """``moment`` (a datetime or ISO 8601 text) in the calendar's zone; a value without an offset is
    read as the calendar's own zone (Asia/Tokyo), never as the controller's."""
    if not isinstance(moment, dt.datetime):
        if isinstance(moment, dt.date):
            raise CalendarError(f"a work window needs a date and a time, not a date: {moment!r}")
        try:
            moment = dt.datetime.fromisoformat(str(moment).strip().replace(" ", "T", 1))
        except ValueError as exc:
            raise CalendarError(f"not a date-time (want e.g. 2026-12-16T22:00): {moment!r}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _days(start: dt.datetime, end: dt.datetime):
    day = start.date() - dt.timedelta(days=1)  # a rule of the previous evening may run past midnight
    while day <= end.date():
        yield day
        day += dt.timedelta(days=1)


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _fmt_ja(moment: dt.datetime) -> str:
    return wareki_datetime(moment)


def _support_desk_rule(desk: dict) -> dict:
    cond = {"weekdays": desk.get("weekdays", list(WEEKDAYS[:5]))}
    if desk.get("except_holidays", True):
        cond["except"] = ["holiday", "closure"]
    return {"when": cond, "time": f"{desk.get('start', '08:30')}-{desk.get('end', '18:00')}"}


def systems_index(calendar: dict) -> dict[str, list[dict]]:
    """The table of §4-3(3) as business systems → departments → slots: for each business system, the
    departments whose off-hours services use it (code, name, slot ids). 収納消込 → 納税課 and 保険収納課."""
    index: dict[str, dict[str, dict]] = {}
    for slot in calendar.get("service_slots", []):
        for system in slot.get("systems", []) or []:
            code = str(slot.get("department"))
            entry = index.setdefault(str(system), {}).setdefault(
                code, {"department": code, "department_name": slot.get("department_name"), "slots": []}
            )
            entry["slots"].append(slot.get("id"))
    return {system: list(departments.values()) for system, departments in sorted(index.items())}


def _selection(calendar: dict, departments, systems, sites=None):
    """(departments, systems, sites) a slot may be selected by; all three None = every slot. Business
    systems and sites name the services a change touches; when either is given, the default
    ``departments: [all]`` gives way. ``all`` in systems or sites selects every slot."""
    deps = {str(d) for d in departments or []}
    names = {str(s) for s in systems or []}
    places = {str(s) for s in sites or []}
    if "all" in names or "all" in places:
        return None, None, None
    if not names and not places:
        return (None if not deps or "all" in deps else deps), None, None
    unknown = sorted(names - set(systems_index(calendar)))
    if unknown:
        raise CalendarError(
            f"unknown business system(s) {', '.join(unknown)} (the calendar knows: "
            f"{', '.join(systems_index(calendar))})"
        )
    return deps - {"all"}, names, places


def _wants(slot: dict, departments: set[str] | None, systems: set[str] | None = None, sites=None) -> bool:
    if departments is None and systems is None and sites is None:
        return True
    if str(slot.get("department")) in (departments or set()):
        return True
    if sites and str(slot.get("site")) in sites:
        return True
    return bool(systems and systems & {str(s) for s in slot.get("systems", []) or []})


def selected_slots(calendar: dict, departments=None, systems=None, sites=None) -> list[dict] | None:
    """The off-hours service slots a change touches (by department code, business system or the site
    where the service is given), or None when it touches every slot (``all``, or nothing named)."""
    wanted = _selection(calendar, departments, systems, sites)
    if all(w is None for w in wanted):
        return None
    return [slot for slot in calendar.get("service_slots", []) if _wants(slot, *wanted)]


def evaluate(
    calendar: dict,
    start: dt.datetime,
    end: dt.datetime,
    *,
    disruptive: bool,
    departments: list[str] | None = None,
    support_desk: dict | None = None,
    systems: list[str] | None = None,
    sites: list[str] | None = None,
) -> list[dict]:
    """Findings for a work window [start, end): each with severity ``block`` or ``warn``.

    Disruptive work (停止を伴う作業) is blocked by the off-hours services of the affected
    departments and by the business hours of open days. The affected services are chosen by
    department codes, or by the business systems the work touches (``systems``: every department's
    slot on those systems, e.g. 収納消込 → 納税課 and 保険収納課), or by the sites where the services are
    given (``sites``: a change to one site's network touches only the services given there), or any of
    them together; ``all`` selects every slot.
    Other work stops no service: it is never
    blocked, only warned about when it runs outside the support-desk hours (§5-2(2)①).
    """
    validate(calendar)
    wanted_departments, wanted_systems, wanted_sites = _selection(calendar, departments, systems, sites)
    tz = ZoneInfo(calendar.get("timezone", DEFAULT_TZ))
    start, end = in_zone(start, tz), in_zone(end, tz)
    if end <= start:
        raise CalendarError("the window ends before it starts")
    findings: list[dict] = []

    def overlap(a: dt.datetime, b: dt.datetime):
        lo, hi = max(a, start), min(b, end)
        return (lo, hi) if lo < hi else None

    rules = calendar.get("working_rules", {})
    hours = rules.get("business_hours")
    if disruptive and hours:
        for day in _days(start, end):
            for a, b in occurrences(hours, day, calendar, tz):
                hit = overlap(a, b)
                if hit:
                    findings.append(
                        {
                            "code": "business_hours",
                            "severity": "block",
                            "rule": "business_hours",
                            "clause": rules.get("clause", "§9-2(6)"),
                            "date": day.isoformat(),
                            "start": hit[0].isoformat(),
                            "end": hit[1].isoformat(),
                            "assumed": bool(hours.get("assumed")),
                            "ja": (
                                f"開庁日の業務時間内（{_fmt_ja(hit[0])}〜{clock(hit[1])}）に停止を伴う作業は実施できません"
                                f"（閉庁日または夜間に実施: {rules.get('clause', '§9-2(6)')}）"
                            ),
                            "en": (
                                "disruptive work inside business hours on an "
                                f"open day ({_fmt(hit[0])}-{hit[1]:%H:%M});"
                                " contract allows it only on closed days or at night"
                            ),
                        }
                    )
            closure = _assumed_closure_skips(hours, day, calendar)
            for a, b in _intervals(hours, day, tz) if closure else []:
                hit = overlap(a, b)
                if hit:
                    findings.append(
                        {
                            "code": "closure_assumed",
                            "severity": "warn",
                            "rule": "business_hours",
                            "clause": rules.get("clause", "§9-2(6)"),
                            "date": day.isoformat(),
                            "start": hit[0].isoformat(),
                            "end": hit[1].isoformat(),
                            "assumed": True,
                            "ja": f"{_closure_text(closure)}を閉庁日と仮定しています。"
                            f"開庁日であれば業務時間内（{_fmt_ja(hit[0])}〜{clock(hit[1])}）に停止を伴う作業は実施できません。"
                            f"時間帯は仮定（{_closure_assumption(closure)}）",
                            "en": f"{_fmt(hit[0])}-{hit[1]:%H:%M} is business hours unless the assumed "
                            f"closure '{closure.get('name')}' holds; confirm it with the city",
                        }
                    )
    if not disruptive and support_desk:
        desk_rule = _support_desk_rule(support_desk)
        inside = []
        for day in _days(start, end):
            inside += [hit for a, b in occurrences(desk_rule, day, calendar, tz) if (hit := overlap(a, b))]
        covered = sum(((b - a) for a, b in inside), dt.timedelta())
        if covered < end - start:
            findings.append(
                {
                    "code": "support_desk",
                    "severity": "warn",
                    "rule": "support_desk",
                    "clause": "§5-2(2)①",
                    "date": start.date().isoformat(),
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "assumed": False,
                    "ja": f"受付窓口の対応時間（平日 {desk_rule['time'].replace('-', '〜')}）外の作業です。"
                    "緊急時以外は原則として対応時間内に実施します（§5-2(2)①）",
                    "en": "non-disruptive maintenance outside the support-"
                    "desk hours (spec §5-2(2)①: within them as a rule)",
                }
            )

    for slot in calendar.get("service_slots", []) if disruptive else []:
        if _wants(slot, wanted_departments, wanted_systems, wanted_sites):
            findings += _slot_findings(slot, calendar, tz, start, end, overlap, wanted_systems)
    findings.sort(key=lambda f: (f["start"], f["severity"] != "block", str(f.get("rule"))))
    return findings


def _closure_entry(day: dt.date, closures: list) -> dict | None:
    for closure in closures or []:
        if closure_on(day, [closure]):
            return closure
    return None


def _closure_text(closure: dict) -> str:
    start, end = _parse_mmdd(closure["from"]), _parse_mmdd(closure["to"])
    return f"{closure.get('name', '閉庁期間')}（{start[0]}/{start[1]}〜{end[0]}/{end[1]}）"


def _closure_assumption(closure: dict) -> str:
    return str(closure.get("assumption") or f"{_closure_text(closure)}は市の確認待ち")


def _assumed_closure_skips(rule: dict, day: dt.date, calendar: dict) -> dict | None:
    """The assumed closure that alone keeps ``rule`` off ``day`` (the rule would apply without it)."""
    closure = _closure_entry(day, calendar.get("closures", []))
    if not closure or not closure.get("assumed"):
        return None
    info = day_info(day, calendar)
    if day_match(rule, day, info)[0]:
        return None
    without = dict(info, closure=None, open=not (day.weekday() >= 5 or info["holiday"]))
    return closure if day_match(rule, day, without)[0] else None


def _span(rule: dict) -> str:
    return str(rule.get("unstated_span") or "00:00-24:00")


def _subtract(piece: tuple, cuts: list) -> list[tuple]:
    """``piece`` minus every interval of ``cuts``, as a list of intervals."""
    out = [piece]
    for c0, c1 in cuts:
        nxt = []
        for a, b in out:
            if c1 <= a or c0 >= b:
                nxt.append((a, b))
                continue
            if a < c0:
                nxt.append((a, c0))
            if c1 < b:
                nxt.append((c1, b))
        out = nxt
    return out


def _slot_findings(
    slot: dict, calendar: dict, tz: ZoneInfo, start: dt.datetime, end: dt.datetime, overlap, systems=None
):
    """Findings of one service slot for the window: blocks in its hours, warnings wherever its hours or
    its days rest on an assumption (unstated hours, an unregistered date, an assumed closure)."""
    label = f"{slot.get('department_name', slot.get('department'))} {slot.get('service', '')}".strip()
    touched = [str(s) for s in slot.get("systems", []) or [] if systems and str(s) in systems]
    if touched:  # selected by the business systems the work touches: the plan names them
        label += f"（対象システム: {'・'.join(touched)}）"
    where = slot.get("where", "")
    base = {
        "rule": slot.get("id"),
        "department": slot.get("department"),
        "department_name": slot.get("department_name"),
        "service": slot.get("service"),
        "where": slot.get("where"),
        "clause": slot.get("clause", "§4-3(3)"),
        "systems": touched or [str(s) for s in slot.get("systems", []) or []],
    }
    unstated = slot.get("hours_unstated")
    hours_note = str(slot.get("assumption") or "仕様書に時間の記載なし")
    out = []

    def add(code, severity, day, hit, assumed, ja, en, **extra):
        out.append(
            dict(
                base,
                code=code,
                severity=severity,
                date=day.isoformat(),
                start=hit[0].isoformat(),
                end=hit[1].isoformat(),
                assumed=assumed,
                ja=ja,
                en=en,
                **extra,
            )
        )

    for day in _days(start, end):
        info = day_info(day, calendar)
        if slot.get("date_required"):
            undated = [
                {k: v for k, v in c.items() if k != "dates"} for c in _conditions(slot) if not c.get("dates")
            ]
            if undated and day_match(dict(slot, when=undated), day, info)[0]:
                for a, b in _intervals(slot, day, tz):
                    if hit := overlap(a, b):
                        add(
                            "date_unregistered",
                            "warn",
                            day,
                            hit,
                            True,
                            f"{label}（{where}、{clock(a)}〜{clock(b)}）の実施日が未登録です。"
                            f"{_fmt_ja(hit[0])}〜{clock(hit[1])} が該当しないか市に日付を確認してください",
                            f"the date of '{slot.get('id')}' is not registered; confirm it with the city",
                        )
        matches, via = day_match(slot, day, info)
        if not matches:
            closure = _assumed_closure_skips(slot, day, calendar)
            for a, b in _intervals(slot, day, tz) if closure else []:
                if hit := overlap(a, b):
                    add(
                        "closure_assumed",
                        "warn",
                        day,
                        hit,
                        True,
                        f"{label}（{where}）は{_closure_text(closure)}に休止と仮定しています。"
                        f"実施している場合は {_fmt_ja(a)}〜{clock(b)} と重なります。"
                        f"時間帯は仮定（{_closure_assumption(closure)}）",
                        f"'{slot.get('id')}' is assumed closed for '{closure.get('name')}' "
                        f"{_fmt(a)}-{b:%H:%M}; confirm with the city",
                    )
            continue
        reasons = []
        if slot.get("assumed") or unstated:
            reasons.append(hours_note)
        if via:
            reasons.append(reading_note(slot, day, via))
        note = f"。時間帯は仮定（{'; '.join(reasons)}）" if reasons else ""
        hours = _intervals(slot, day, tz)
        blocking = _intervals({"time": _span(slot)}, day, tz) if unstated == "block" else hours
        for a, b in blocking:
            if hit := overlap(a, b):
                add(
                    "service_slot",
                    "block",
                    day,
                    hit,
                    bool(reasons),
                    f"{label}（{where}）の時間外業務 {_fmt_ja(a)}〜{clock(b)} と重なります{note}",
                    f"overlaps the off-hours service '{slot.get('id')}' {_fmt(a)}-{b:%H:%M}"
                    + (f" (第n週 read as {', '.join(sorted(via))} only; unconfirmed)" if via else ""),
                    readings=sorted(via) if via else None,
                )
        if unstated != "warn":
            continue
        for span in _intervals({"time": _span(slot)}, day, tz):
            for piece in _subtract(span, hours):
                if hit := overlap(*piece):
                    assumed_hours = "・".join(f"{clock(a)}〜{clock(b)}" for a, b in hours)
                    add(
                        "hours_unstated",
                        "warn",
                        day,
                        hit,
                        True,
                        f"{label}（{where}）の実施日です。{_fmt_ja(hit[0])}〜{clock(hit[1])} は仮定した時間帯"
                        f"（{assumed_hours}）の外ですが、業務中の可能性があります。"
                        f"時間帯は仮定（{'; '.join(reasons)}）",
                        f"'{slot.get('id')}' runs on {day} at hours the specification does not state "
                        f"(assumed {assumed_hours}); {_fmt(hit[0])}-{hit[1]:%H:%M} may still be in service",
                        readings=sorted(via) if via else None,
                    )
    return out


def blocked(findings: list[dict]) -> bool:
    return any(f["severity"] == "block" for f in findings)


def window_days(calendar: dict, start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Day kinds of every date the window touches, for the plan (e.g. 2026-12-13(日) 閉庁日)."""
    tz = ZoneInfo(calendar.get("timezone", DEFAULT_TZ))
    start, end = in_zone(start, tz), in_zone(end, tz)
    out, day = [], start.date()
    last = (end - dt.timedelta(microseconds=1)).date()
    while day <= last:
        out.append(day_info(day, calendar))
        day += dt.timedelta(days=1)
    return out
