# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The item of the daily check (one line of 日次点検報告) and what every decision layer shares."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

OK, WARNING, CRITICAL, UNKNOWN, SKIPPED = "ok", "warning", "critical", "unknown", "skipped"
STATE_JA = {OK: "正常", WARNING: "注意", CRITICAL: "異常", UNKNOWN: "不明", SKIPPED: "対象外"}
# report order: 異常 first, then 注意 and 不明 (both need a look), then the rest
SEVERITY = {CRITICAL: 0, WARNING: 1, UNKNOWN: 2, OK: 3, SKIPPED: 4}
NAGIOS = {"OK": OK, "WARNING": WARNING, "CRITICAL": CRITICAL, "UNKNOWN": UNKNOWN}
CATEGORY_JA = {
    "server": "サーバ・機器の死活",
    "service": "サービスの応答",
    "site": "拠点ネットワーク",
    "transfer": "ファイル転送システム",
    "disk": "ディスク容量",
    "eventlog": "イベントログ",
    "backup": "バックアップ",
    "antivirus": "ウイルス対策",
    "ups": "無停電電源装置（UPS）",
    "dhcp": "DHCP",
    "certificate": "証明書の有効期限",
    "pc": "端末（PC）",
}
CATEGORIES = tuple(CATEGORY_JA)  # the report's fixed order of categories
FIELDS = ("category", "host", "label", "check", "state", "detail", "action")


class DailyInputError(ValueError):
    """An input the daily check cannot read; the message names the host or entry."""


def item(category, host, label, check, state, detail, action="", value=None, threshold=None):
    if category not in CATEGORY_JA:
        raise DailyInputError(f"{host}: unknown category {category!r}")
    if state not in STATE_JA:
        raise DailyInputError(f"{host}: unknown state {state!r}")
    out = {
        "category": category,
        "host": str(host),
        "label": str(label or host),
        "check": check,
        "state": state,
        "detail": detail,
        "action": "" if state == OK else action,
    }
    if value is not None:
        out["value"] = value
    if threshold is not None:
        out["threshold"] = threshold
    return out


def worst(states):
    states = list(states)
    return min(states, key=SEVERITY.__getitem__) if states else UNKNOWN


def label_of(hostvars, host):
    """The host's jichitai_description, else its name."""
    # Ansible's hostvars answers an unknown name with an undefined value, not None: ask first
    if not isinstance(hostvars, Mapping) or host not in hostvars:
        return str(host)
    return str(hostvars[host].get("jichitai_description") or host)


def nagios_state(value, where):
    state = NAGIOS.get(str(value).upper()) if value is not None else None
    if state is None:
        raise DailyInputError(f"{where}: state {value!r} is not one of OK, WARNING, CRITICAL, UNKNOWN")
    return state


def results_of(value, what):
    """The entries of a registered result: a loop's results, a list, or one result."""
    if isinstance(value, Mapping):
        if isinstance(value.get("results"), list):
            return list(value["results"])
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise DailyInputError(f"{what}: expected a registered result or a list, got {type(value).__name__}")


def loop_name(entry, *fallbacks):
    """The host a loop entry is about: its item (a name, or a dict's host/name/system), else fallbacks."""
    found = entry.get("item")
    if isinstance(found, Mapping):
        found = found.get("host") or found.get("name") or found.get("system")
    for candidate in (found, *fallbacks):
        if candidate:
            return str(candidate)
    return None


def number(value, where, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DailyInputError(f"{where}: {what} {value!r} is not a number") from None


_OFFSET = re.compile(r"^(.*?)([+-]\d{2}):?(\d{2})$")


def parse_moment(value, where, what="time"):
    """An ISO 8601 time (a date alone is midnight; no zone is the controller's zone), as aware datetime."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value or "").strip().replace("Z", "+00:00")
        if not text:
            raise DailyInputError(f"{where}: no {what}")
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise DailyInputError(f"{where}: {what} {value!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.astimezone()


def gb(size_bytes):
    size = float(size_bytes)
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"


def names_text(names, limit=10):
    names = list(names)
    shown = "、".join(names[:limit])
    return f"{shown} ほか {len(names) - limit} 台" if len(names) > limit else shown
