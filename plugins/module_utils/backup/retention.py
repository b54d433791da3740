# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract's retention and the rotating data check, as pure functions.

Retention (OPS-BACKUP §6-3(6)): exactly three generations of the file server. Snapshots are grouped
as restic groups them by default (host and paths); in every group the newest GENERATIONS are kept and
every older one is forgotten, each with its reason in Japanese for the work plan. The plan names the
snapshot ids to forget, so what runs is exactly what the plan showed (`restic forget <id>...`, not a
policy re-evaluated by the engine later).

Rotating data check: `restic check --read-data-subset n/k` reads the packs of one of k subsets
(restic puts every pack in exactly one subset by its id). The subset of a day is its ordinal day
number modulo k, so any k consecutive days read every subset once; with k = 28 every calendar month,
February included, reads the whole repository at least once, and no pack waits more than 28 days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
GENERATIONS = 3
SUBSETS = 28  # the shortest month


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # restic writes nanoseconds; Python reads up to microseconds
    head, dot, tail = text.partition(".")
    if dot:
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:min(digits, 6)] + tail[digits:]
        text = f"{head}.{tail}"
    return datetime.fromisoformat(text)


def japan_time(value) -> str:
    """A snapshot time as the plan shows it: "2026-12-07 03:30 JST"."""
    return _instant(value).astimezone(JST).strftime("%Y-%m-%d %H:%M JST")


def group_key(snapshot: dict) -> tuple[str, tuple[str, ...]]:
    """restic's default grouping: the host and the sorted backed-up paths."""
    return str(snapshot.get("hostname", "")), tuple(sorted(snapshot.get("paths") or []))


def plan(snapshots: list[dict], generations: int = GENERATIONS) -> dict:
    """Keep and forget for restic's `snapshots --json` list.

    Returns {"keep": [...], "forget": [...], "groups": n, "generations": g}; every entry is
    {id, short_id, time, hostname, paths, generation (1 = newest), reason_ja}, newest first within
    its group. Snapshots of the same instant are ordered by id so the plan is stable.
    """
    if not isinstance(generations, int) or generations < 1:
        raise ValueError(f"generations must be a positive whole number, not {generations!r}")
    groups: dict[tuple, list[dict]] = {}
    for snap in snapshots:
        if not snap.get("id") or not snap.get("time"):
            raise ValueError(f"snapshot without id or time: {snap!r}")
        groups.setdefault(group_key(snap), []).append(snap)
    keep, forget = [], []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda s: (_instant(s["time"]), s["id"]), reverse=True)
        for generation, snap in enumerate(ordered, 1):
            entry = {"id": snap["id"], "short_id": snap.get("short_id", snap["id"][:8]),
                     "time": snap["time"], "hostname": key[0], "paths": list(key[1]),
                     "generation": generation}
            if generation <= generations:
                entry["reason_ja"] = f"保持: 最新から{generation}世代目(契約の保持世代数 {generations})"
                keep.append(entry)
            else:
                over = f"契約の保持世代数 {generations} を超える"
                kept = f"保持する最古の世代は {japan_time(ordered[generations - 1]['time'])}"
                entry["reason_ja"] = f"削除: 最新から{generation}世代目。{over}({kept})"
                forget.append(entry)
    return {"keep": keep, "forget": forget, "groups": len(groups), "generations": generations}


def subset_number(day: date, subsets: int = SUBSETS) -> int:
    """n (1 to k) of the subset DAY reads."""
    if not isinstance(subsets, int) or not 1 <= subsets <= 256:
        # restic buckets packs by the first byte of their id, so at most 256 subsets are distinct
        raise ValueError(f"subsets must be between 1 and 256, not {subsets!r}")
    return day.toordinal() % subsets + 1


def subset_for(day: date, subsets: int = SUBSETS) -> str:
    """The `--read-data-subset` argument "n/k" for DAY."""
    return f"{subset_number(day, subsets)}/{subsets}"


def subsets_read(days, subsets: int = SUBSETS) -> set[int]:
    """The subset numbers read on DAYS (the days the check actually ran)."""
    return {subset_number(day, subsets) for day in days}


def unread_subsets(days, subsets: int = SUBSETS) -> list[int]:
    """Subset numbers no run on DAYS read: what a month with missed checks left unread."""
    return sorted(set(range(1, subsets + 1)) - subsets_read(days, subsets))


def month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    return [first + timedelta(days=n) for n in range((after - first).days)]
