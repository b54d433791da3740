# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Onboarding of new devices (REQUIREMENTS OPS-ONBOARD §6-3(9)): what one device needs, in order, and
the plan's words for it. The decisions live in plugins/module_utils/endpoint/onboard.py.
Documentation for ansible-doc: onboard_*.yml beside this file.
"""

from __future__ import annotations

import os

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

import ansible.module_utils

# the controller imports filter plugins without the configured module_utils on ansible.module_utils'
# path; the project's own module_utils sit beside filter_plugins/
_MODULE_UTILS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "module_utils"
)
if _MODULE_UTILS not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_MODULE_UTILS)

from ansible.module_utils.endpoint import onboard as _onboard  # noqa: E402

UNREAD_JA = "端末に接続できないため、旧ウイルス対策ソフトの有無と手順は実施時に判定（予測不能）"


def onboard_device_steps(installed, entries, removals, joined, domain):
    try:
        return _onboard.device_steps(installed or [], entries or [], removals or [], joined, domain)
    except _onboard.OnboardInputError as exc:
        raise AnsibleFilterError("onboard_device_steps:\n  " + "\n  ".join(exc.problems)) from None


def onboard_without_antivirus(steps):
    return _onboard.without_antivirus(list(steps or []))


def onboard_plan_text(devices, hostvars):
    """One line per device for the work plan: its address and its steps in order."""
    lines = []
    for device in devices:
        name = device["name"]
        found = (hostvars.get(name) or {}).get("endpoint_onboard_steps")
        where = f"{device['ansible_host']}、{device['jichitai_location']}"
        head = f"{device['jichitai_computer_name']}（{where}）"
        if device.get("onboarded"):
            lines.append(f"{head}: 導入済み（台帳に登録済み）")
            continue
        if found is None:
            lines.append(f"{head}: {UNREAD_JA}")
            continue
        steps = [s["title"] for s in found if s["needed"]]
        gap = _onboard.without_antivirus(found)
        reboots = f"再起動 {gap['reboots']} 回まで" if gap["reboots"] else "再起動なし"
        tail = f"（ウイルス対策なしの区間: {reboots}）" if gap["gap"] else ""
        lines.append(f"{head}: " + " → ".join(steps) + tail)
    return "\n".join(f"- {line}" for line in lines)


def pc_restore_plan_text(hosts, hostvars):
    """One line per repaired PC for the work plan: what it gets back, in order."""
    lines = []
    for host in hosts:
        facts = hostvars.get(host) or {}
        name = facts.get("jichitai_computer_name") or host
        steps = facts.get("endpoint_onboard_steps")
        if steps is None:
            lines.append(f"{name}: {UNREAD_JA}")
            continue
        todo = [s["title"] for s in steps if s["needed"] and s["step"] != "verify_services"]
        if not facts.get("pc_restore_licensed", True):
            todo.append("ライセンス認証（KMS）")
        todo += ["更新プログラムの適用（承認済みのもの）", "サービスの確認"]
        lines.append(f"{name}: " + " → ".join(todo))
    return "\n".join(f"- {line}" for line in lines)


def onboard_records(devices, hostvars, check_mode=False):
    """The onboarding record's devices (module endpoint_onboard_report) from the batch and each device's
    facts: endpoint_onboard_steps (what it needed) and endpoint_onboard_done (it came through)."""
    records = []
    for device in devices:
        facts = hostvars.get(device["name"]) or {}
        steps = [s for s in facts.get("endpoint_onboard_steps") or [] if s["needed"]]
        done = bool(facts.get("endpoint_onboard_done")) and not check_mode
        result = "already" if device.get("onboarded") else "done" if done else "failed"
        records.append({
            "computer_name": device["jichitai_computer_name"],
            "asset_no": device["jichitai_asset_no"],
            "address": device["ansible_host"],
            "site": device["jichitai_location"],
            "department": (device.get("row") or {}).get("所属") or device["jichitai_department"],
            "result": result,
            "steps": [{"title": s["title"], "done": done} for s in steps],
            "reboots": sum(1 for s in steps if s["step"] in ("reboot", "join")),
            "without_av": _onboard.without_antivirus(steps),
        })  # fmt: skip
    return records


class FilterModule:
    def filters(self):
        return {
            "onboard_device_steps": onboard_device_steps,
            "onboard_without_antivirus": onboard_without_antivirus,
            "onboard_plan_text": onboard_plan_text,
            "onboard_records": onboard_records,
            "pc_restore_plan_text": pc_restore_plan_text,
        }
