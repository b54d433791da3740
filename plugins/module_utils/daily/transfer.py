# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Items from transfer_info (library/transfer_info.py): an engine that is down is 異常, any other
finding (queue, idle or failed route) 注意."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    WARNING,
    DailyInputError,
    item,
    label_of,
    loop_name,
    results_of,
)

CHECK = "転送システムの状態（エンジン・処理待ち・経路）"


def transfer_items(transfer_info_results, hostvars=None):
    out = []
    for index, entry in enumerate(results_of(transfer_info_results, "transfer_info_results")):
        if not isinstance(entry, Mapping):
            raise DailyInputError(f"transfer_info result #{index + 1}: not a mapping")
        args = (entry.get("invocation") or {}).get("module_args") or {}
        name = loop_name(entry, args.get("system"), entry.get("system"))
        if not name:
            raise DailyInputError(f"transfer_info result #{index + 1}: no system name (loop item)")
        label = label_of(hostvars, name)
        if entry.get("failed") or not isinstance(entry.get("status"), Mapping):
            out.append(item("transfer", name, label, CHECK, CRITICAL,
                            f"状態を読めません（{entry.get('msg') or 'transfer_info の結果がありません'}）",
                            "転送システムの稼働と管理 API への接続を確認する"))
            continue
        findings = entry.get("findings") or []
        if not isinstance(findings, list):
            raise DailyInputError(f"{name}: findings is not a list")
        engines = entry["status"].get("engines") or {}
        down = [e for e, s in engines.items() if s != "ok"]
        state = CRITICAL if down else WARNING if findings else OK
        queue = entry["status"].get("queue") or 0
        detail = "、".join(findings) if findings else f"エンジン正常・処理待ち {queue} 件"
        action = ("停止したエンジンを再起動し、処理待ちのファイルが流れることを確認する" if down
                  else "処理待ち・失敗した転送の原因を確認し、必要なら利用課へ再送を依頼する")
        out.append(item("transfer", name, label, CHECK, state, detail, action, value=queue))
    return out
