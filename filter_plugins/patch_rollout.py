# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision layer of the update rollout (OS・セキュリティ更新, REQUIREMENTS MNT-PATCH): the waves
the hosts are patched in, what apt would update, and each host's patch record. The decisions live in
plugins/module_utils/patch/ (waves.py, records.py). Documentation for ansible-doc: patch_*.yml and
apt_pending_updates.yml beside this file.
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

from ansible.module_utils.patch import records, waves  # noqa: E402


def patch_server_waves(tiers, hostvars, rings=("pilot", "servers"), max_wave=5):
    try:
        return waves.server_waves(tiers, hostvars, rings=tuple(rings), max_wave=int(max_wave))
    except waves.WavePlanError as exc:
        raise AnsibleFilterError("patch_server_waves:\n  " + "\n  ".join(exc.problems)) from exc


def patch_client_waves(hosts, hostvars, pilot_percent=5, max_wave=100):
    try:
        return waves.client_waves(hosts, hostvars, pilot_percent=pilot_percent, max_wave=int(max_wave))
    except waves.WavePlanError as exc:
        raise AnsibleFilterError("patch_client_waves:\n  " + "\n  ".join(exc.problems)) from exc


def apt_pending_updates(simulation):
    return records.apt_pending(simulation)


def patch_record(outcome, host, hostvars, ring, checked_at):
    """outcome: {kind: linux|windows|not_reached, ...} as the leaf roles set it."""
    hv = hostvars.get(host) or {}
    segment = hv.get("jichitai_segment")
    kind = (outcome or {}).get("kind", "not_reached")
    if kind == "linux":
        return records.linux_record(
            host, segment, ring, checked_at, outcome.get("pending") or [], failed=outcome.get("failed"),
            reboot_required=bool(outcome.get("reboot_required")), rebooted=bool(outcome.get("rebooted")),
        )  # fmt: skip
    if kind == "windows":
        return records.windows_record(
            host, segment, ring, checked_at, outcome.get("win_updates"), failed=outcome.get("failed")
        )
    if kind == "not_reached":
        return records.not_reached(host, segment, ring, checked_at, outcome.get("reason") or "到達できず")
    raise AnsibleFilterError(f"patch_record: {host}: kind は linux/windows/not_reached（{kind!r}）")


def patch_run_records(hosts, hostvars, checked_at, reason="前の波で停止したため未実施"):
    """The record of every planned host: its own (fact patch_waves_record), else not reached."""
    out = []
    for host in hosts:
        hv = hostvars.get(host) or {}
        record = hv.get("patch_waves_record")
        if not record:
            record = records.not_reached(host, hv.get("jichitai_segment"), hv.get("patch_waves_ring"),
                                         checked_at, reason, stopped=True)  # fmt: skip
        out.append(record)
    return out


class FilterModule:
    def filters(self):
        return {
            "patch_server_waves": patch_server_waves,
            "patch_client_waves": patch_client_waves,
            "apt_pending_updates": apt_pending_updates,
            "patch_record": patch_record,
            "patch_run_records": patch_run_records,
        }
