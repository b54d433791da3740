# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Items from dhcp_info (library/dhcp_info.py): the HA state of each peer and the use of each pool.

The pool use is dhcp_info's ``subnets`` (pool_size, in_use). A Kea ``stat-lease4-get`` answer
(``arguments.result-set``) is read too, for a DHCP service read without dhcp_info.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    DailyInputError,
    item,
    label_of,
    number,
)

NORMAL_HA = ("hot-standby", "load-balancing", "passive-backup", "backup")
TRANSIENT_HA = ("waiting", "syncing", "ready", "communication-recovery")
HA_CHECK = "DHCP 冗長構成（HA 状態）"
POOL_CHECK = "DHCP 配布範囲の使用率"


def _peer_item(peer, hostvars):
    name = peer.get("name")
    if not name:
        raise DailyInputError("dhcp_info peer without a name")
    label = label_of(hostvars, name)
    if not peer.get("reachable"):
        detail = f"DHCP サービスが応答しません（{peer.get('error') or '不明'}）"
        return item("dhcp", name, label, HA_CHECK, CRITICAL, detail,
                    "DHCP サーバの稼働と Kea のサービスを確認し、片系運転であることを関係者へ伝える")
    ha, partner = peer.get("ha_state"), peer.get("partner_state")
    if not peer.get("ha_mode"):
        return item("dhcp", name, label, HA_CHECK, OK, "応答あり（冗長構成なし）")
    detail = f"自機 {ha}（{peer.get('ha_role') or '役割不明'}）、相手機 {partner or '不明'}"
    if ha in NORMAL_HA:
        return item("dhcp", name, label, HA_CHECK, OK, detail)
    if ha == "partner-down":
        return item("dhcp", name, label, HA_CHECK, WARNING, detail + "：片系で配布中",
                    "相手機の停止理由を確認して復旧させ、両系運転に戻ったことを確認する")
    if ha in TRANSIENT_HA:
        return item("dhcp", name, label, HA_CHECK, WARNING, detail + "：同期中または待機中",
                    "しばらく待って再確認し、続く場合は両機の通信を確認する")
    return item("dhcp", name, label, HA_CHECK, CRITICAL, detail,
                "HA 状態が異常です。保守手順に沿って両機の状態を確認する")


def _kea_stats(answer):
    """Pools from a stat-lease4-get answer: result-set columns and rows."""
    answer = answer[0] if isinstance(answer, list) and answer else answer
    result_set = ((answer or {}).get("arguments") or {}).get("result-set") or {}
    columns, rows = result_set.get("columns") or [], result_set.get("rows") or []
    out = []
    for row in rows:
        record = dict(zip(columns, row, strict=False))
        total = record.get("total-addresses")
        used = (record.get("assigned-addresses") or 0)
        out.append({"subnet": record.get("subnet-id"), "pool_size": total, "in_use": used})
    return out


def _pool_item(subnet, owner, warn_pct, crit_pct, hostvars):
    where = subnet.get("subnet") or subnet.get("id")
    size = number(subnet.get("pool_size"), f"subnet {where}", "pool_size")
    used = number(subnet.get("in_use"), f"subnet {where}", "in_use")
    if size <= 0:
        return item("dhcp", owner, label_of(hostvars, owner), f"{POOL_CHECK}（{where}）", OK,
                    "動的配布範囲なし（予約のみ）")
    pct = round(100.0 * used / size, 1)
    state = CRITICAL if pct >= crit_pct else WARNING if pct >= warn_pct else OK
    detail = f"使用 {used:.0f} / {size:.0f}（{pct} %）"
    action = "配布範囲の拡張か、不要なリースの整理を検討する（IP アドレス台帳の更新も）"
    return item("dhcp", owner, label_of(hostvars, owner), f"{POOL_CHECK}（{where}）", state, detail, action,
                value=pct, threshold=warn_pct)


def dhcp_items(dhcp_info_result, warn_pct=80, crit_pct=95, hostvars=None):
    if not isinstance(dhcp_info_result, (Mapping, list)):
        raise DailyInputError("dhcp_info_result: not a dhcp_info result")
    if isinstance(dhcp_info_result, list) or "arguments" in dhcp_info_result:
        subnets, peers = _kea_stats(dhcp_info_result), []
    else:
        peers = dhcp_info_result.get("peers")
        subnets = dhcp_info_result.get("subnets") or []
        if not isinstance(peers, list):
            msg = dhcp_info_result.get("msg") or "no peers in the result"
            return [item("dhcp", "dhcp", "DHCP サーバ", HA_CHECK, UNKNOWN,
                         f"DHCP の状態を読めません（{msg}）",
                         "DHCP サーバの管理 API（Kea Control Agent）への接続を確認する")]
    out = [_peer_item(p, hostvars) for p in peers]
    owner = next((p["name"] for p in peers if p.get("reachable")), peers[0]["name"] if peers else "dhcp")
    for subnet in subnets:
        out.append(_pool_item(subnet, owner, float(warn_pct), float(crit_pct), hostvars))
    return out
