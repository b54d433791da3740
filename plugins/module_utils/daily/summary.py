# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict of a daily check and the order of its lines."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CATEGORIES,
    CRITICAL,
    FIELDS,
    OK,
    SEVERITY,
    STATE_JA,
    UNKNOWN,
    WARNING,
    DailyInputError,
)

VERDICT_JA = {CRITICAL: "異常", WARNING: "注意", OK: "正常"}


def check_items(items):
    """Every item has the fields, a known category and state; the first bad one is named."""
    if not isinstance(items, list):
        raise DailyInputError("items: expected a list")
    for index, entry in enumerate(items):
        if not isinstance(entry, Mapping):
            raise DailyInputError(f"item #{index + 1}: not a mapping")
        missing = [f for f in FIELDS if f not in entry]
        where = entry.get("host") or f"item #{index + 1}"
        if missing:
            raise DailyInputError(f"{where}: item without {', '.join(missing)}")
        if entry["category"] not in CATEGORIES:
            raise DailyInputError(f"{where}: unknown category {entry['category']!r}")
        if entry["state"] not in STATE_JA:
            raise DailyInputError(f"{where}: unknown state {entry['state']!r}")
    return items


def sort_items(items):
    """異常 first, then 注意, 不明, 正常, 対象外; within a state by category (fixed order), then host."""
    def key(entry):
        order = CATEGORIES.index(entry["category"])
        return SEVERITY[entry["state"]], order, str(entry["host"]), str(entry["check"])

    return sorted(check_items(items), key=key)


def summary(items):
    check_items(items)
    counts = {state: 0 for state in STATE_JA}
    for entry in items:
        counts[entry["state"]] += 1
    verdict = CRITICAL if counts[CRITICAL] else WARNING if counts[WARNING] or counts[UNKNOWN] else OK
    return {
        "verdict": verdict,
        "verdict_ja": VERDICT_JA[verdict],
        "counts": counts,
        "counts_ja": {STATE_JA[s]: n for s, n in counts.items()},
        "total": len(items),
        "critical": [dict(i) for i in sort_items(items) if i["state"] == CRITICAL],
    }
