# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows event-log errors since the last check, one item per host, from the JSON of

    Get-WinEvent -FilterHashtable @{LogName='System','Application'; Level=1,2; StartTime=$since} |
      Select-Object TimeCreated,Id,LevelDisplayName,ProviderName,LogName,Message | ConvertTo-Json

ConvertTo-Json writes one event as an object, not a list, and nothing at all for no event; Windows
PowerShell 5.1 writes TimeCreated as "/Date(ms)/", PowerShell 7 as ISO 8601. LevelDisplayName is in
the language of the server (Critical / 重大, Error / エラー).
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    DailyInputError,
    item,
    label_of,
    parse_moment,
)

LEVELS = {"critical": 1, "重大": 1, "error": 2, "エラー": 2}
MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
CHECK = "イベントログ（システム・アプリケーション）"
# DistributedCOM 10016 (permissions of a COM server) is logged by stock Windows all day long
DEFAULT_HARMLESS = (10016,)


def _time(host, value):
    if isinstance(value, Mapping):  # Windows PowerShell 5.1 on a DateTime with its extended properties
        value = value.get("value") or value.get("DateTime")
    match = MS_DATE.match(str(value or "").strip())
    if match:
        return datetime.datetime.fromtimestamp(int(match.group(1)) / 1000, datetime.UTC)
    return parse_moment(value, host, "TimeCreated")


def parse_events(host, raw):
    """The events of one host from ConvertTo-Json output (text or already parsed)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        if not raw.strip():
            return []
        try:
            raw = json.loads(raw.lstrip("\ufeff"))
        except ValueError as exc:
            raise DailyInputError(f"{host}: the Get-WinEvent output is not JSON ({exc})") from None
    events = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(events, list):
        raise DailyInputError(f"{host}: the Get-WinEvent output is neither an event nor a list")
    out = []
    for index, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise DailyInputError(f"{host}: event #{index + 1} is not an object")
        level = event.get("Level")
        if level is None:
            level = LEVELS.get(str(event.get("LevelDisplayName") or "").strip().lower())
        if level is None:
            raise DailyInputError(f"{host}: event #{index + 1} has no known level "
                                  f"({event.get('LevelDisplayName')!r})")
        try:
            event_id = int(event.get("Id"))
        except (TypeError, ValueError):
            raise DailyInputError(f"{host}: event #{index + 1} has no numeric Id") from None
        out.append({
            "time": _time(host, event.get("TimeCreated")),
            "id": event_id,
            "level": int(level),
            "provider": str(event.get("ProviderName") or "不明"),
            "log": str(event.get("LogName") or ""),
            "message": str(event.get("Message") or ""),
        })
    return out


def _host_item(host, events, since, harmless, hostvars):
    label = label_of(hostvars, host)
    if events is None:
        return item("eventlog", host, label, CHECK, UNKNOWN, "イベントログを取得できませんでした",
                    "WinRM での接続とイベントログの読み取り権限を確認する")
    if since is not None:
        events = [e for e in events if e["time"] >= since]
    ignored = [e for e in events if e["id"] in harmless]
    counted = [e for e in events if e["id"] not in harmless]
    critical = [e for e in counted if e["level"] == 1]
    errors = [e for e in counted if e["level"] == 2]
    state = CRITICAL if critical else WARNING if errors else OK
    if counted:
        top = Counter(f"{e['provider']}（ID {e['id']}）" for e in counted).most_common(3)
        detail = f"重大 {len(critical)} 件・エラー {len(errors)} 件（主な発生元: " + "、".join(
            f"{name} {n} 件" for name, n in top) + "）"
    else:
        detail = "重大・エラーのイベントなし"
    if ignored:
        detail += f"（既知の無害なイベント {len(ignored)} 件を除く）"
    action = ("重大イベントの内容を確認し、ハードウェア障害・予期しない再起動であれば保守業者へ連絡する"
              if critical else "エラーの発生元と内容を確認し、業務への影響がないか判断する")
    return item("eventlog", host, label, CHECK, state, detail, action, value=len(counted))


def eventlog_items(events_by_host, since=None, harmless_ids=DEFAULT_HARMLESS, hostvars=None):
    if not isinstance(events_by_host, Mapping):
        raise DailyInputError("events_by_host: expected a mapping of host to Get-WinEvent JSON")
    since = parse_moment(since, "since") if since else None
    harmless = {int(i) for i in harmless_ids or ()}
    return [_host_item(str(host), parse_events(host, raw), since, harmless, hostvars)
            for host, raw in sorted(events_by_host.items())]
