# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Items from ups_info (library/ups_info.py): on battery is 異常, a low charge or runtime 注意 (below
half the minimum 異常)."""

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
    loop_name,
    number,
    results_of,
    worst,
)

STATUS = {
    "online": (OK, "商用電源で運転中"),
    "on_battery": (CRITICAL, "バッテリーで運転中（停電または入力電源の異常）"),
    "low_battery": (CRITICAL, "バッテリー残量低下"),
    "forced_shutdown": (CRITICAL, "強制停止の処理中"),
    "off": (CRITICAL, "出力停止中"),
    "bypass": (WARNING, "バイパス運転中（停電時に給電されません）"),
    "unknown": (UNKNOWN, "状態不明"),
}
CHECK = "UPS の状態（電源・バッテリー）"


def _level(value, minimum):
    if value is None or not minimum:
        return OK
    return CRITICAL if value < minimum / 2 else WARNING if value < minimum else OK


def _ups_item(name, ups, hostvars, min_charge, min_runtime_s):
    status = ups.get("status")
    if status not in STATUS:
        raise DailyInputError(f"{name}: UPS status {status!r} is not one of {', '.join(STATUS)}")
    state, text = STATUS[status]
    charge, runtime = (number(ups[k], name, k) if ups.get(k) is not None else None
                       for k in ("battery_charge", "runtime"))
    parts = [text]
    if charge is not None:
        parts.append(f"充電 {charge:.0f} %")
    if runtime is not None:
        parts.append(f"運転可能時間 {runtime / 60:.0f} 分")
    if ups.get("load") is not None:
        parts.append(f"負荷 {number(ups['load'], name, 'load'):.0f} %")
    state = worst([state, _level(charge, min_charge), _level(runtime, min_runtime_s)])
    if status != "online":
        action = "電源の状況を確認し、停電が続く場合は計画に沿ってサーバを停止する"
    elif state != OK:
        action = (f"充電を待って再確認し、充電 {min_charge:.0f} %・運転可能時間 {min_runtime_s / 60:.0f} 分を"
                  "下回ったままならバッテリー交換を保守業者へ依頼する")
    else:
        action = ""
    if status == "unknown":
        action = "UPS の管理画面で状態を確認する"
    return item("ups", name, label_of(hostvars, name), CHECK, state, "・".join(parts), action,
                value=charge, threshold=min_charge)


def ups_items(ups_info_results, min_charge=80, min_runtime_s=600, hostvars=None):
    out = []
    for index, entry in enumerate(results_of(ups_info_results, "ups_info_results")):
        if not isinstance(entry, Mapping):
            raise DailyInputError(f"ups_info result #{index + 1}: not a mapping")
        ups = entry.get("ups") if isinstance(entry.get("ups"), Mapping) else None
        name = loop_name(entry, (ups or {}).get("name"))
        if not name:
            raise DailyInputError(f"ups_info result #{index + 1}: no UPS name (loop item or ups.name)")
        if entry.get("failed") or entry.get("unreachable") or ups is None:
            reason = entry.get("msg") or "ups_info の結果がありません"
            out.append(item("ups", name, label_of(hostvars, name), CHECK, UNKNOWN,
                            f"UPS の状態を読めません（{reason}）",
                            "UPS の管理インターフェース（ネットワークカード）への接続を確認する"))
            continue
        out.append(_ups_item(name, ups, hostvars, float(min_charge), float(min_runtime_s)))
    return out
