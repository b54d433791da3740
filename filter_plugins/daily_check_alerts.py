# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The daily check's 異常 lines as Alertmanager alerts, and as one line of text each.

{{ items | selectattr('state', 'eq', 'critical') | daily_check_alerts(report_dir) }}  -> POST /api/v2/alerts
{{ item | daily_check_line }}  -> 'dhcp02 LGWAN系 DHCP サーバ（2号機）: 死活 — 応答なし'
"""

from __future__ import annotations

from collections.abc import Mapping

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

ALERT_NAME = "JichitaiDailyCheck"


def _item(item, index):
    if not isinstance(item, Mapping) or not item.get("host"):
        raise AnsibleFilterError(f"daily check item #{index + 1} has no host: {item!r}")
    return item


def daily_check_line(item):
    item = _item(item, 0)
    text = f"{item['host']} {item.get('label') or ''}: {item.get('check') or ''} — {item.get('detail') or ''}"
    action = item.get("action")
    return f"{text}（対処: {action}）" if action else text


def daily_check_alerts(items, report_dir=""):
    """One Alertmanager v2 alert per item, labelled as every rule of the monitoring labels its alerts."""
    if not isinstance(items, list):
        raise AnsibleFilterError("daily_check_alerts expects the list of 異常 items")
    alerts = []
    for index, raw in enumerate(items):
        item = _item(raw, index)
        alerts.append({
            "labels": {
                "alertname": ALERT_NAME,
                "severity": "critical",
                "jichitai_host": str(item["host"]),
                "jichitai_check": "daily_check",
                "jichitai_item": str(item.get("category") or ""),
            },
            "annotations": {
                "summary_ja": f"日次点検で異常: {daily_check_line(item)}",
                "action_ja": str(item.get("action") or "日次点検報告を確認してください"),
                "report": str(report_dir),
            },
        })
    return alerts


class FilterModule:
    def filters(self):
        return {"daily_check_alerts": daily_check_alerts, "daily_check_line": daily_check_line}
