# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's patch record (the shape plugins/module_utils/patch/status.py reads) from what its
update run returned: apt's simulation and the apt module on Debian hosts, ansible.windows.win_updates
on Windows hosts, or nothing at all for a host that was not reached.
"""

from __future__ import annotations

import re

# apt-get -s: "Inst name [current] (candidate origin [arch])"; a new dependency has no [current]
_INST = re.compile(r"^Inst (?P<name>\S+)(?: \[(?P<current>[^\]]+)\])? \((?P<candidate>\S+)")


def apt_pending(simulation: str) -> list[dict]:
    """The updates an ``apt-get -s dist-upgrade`` would make: [{name, current, candidate}], by name."""
    found = {}
    for line in (simulation or "").splitlines():
        match = _INST.match(line.strip())
        if match:
            found[match["name"]] = {
                "name": match["name"],
                "current": match["current"],
                "candidate": match["candidate"],
            }
    return [found[n] for n in sorted(found)]


def _base(host, segment, ring, result, updates, checked_at, **extra):
    record = {
        "host": host,
        "segment": segment,
        "ring": ring,
        "result": result,
        "kbs": updates,
        "checked_at": checked_at,
        "oldest_missing_release": None,
    }
    record.update({k: v for k, v in extra.items() if v is not None})
    return record


def not_reached(host, segment, ring, checked_at, reason, stopped=False):
    """A host the run did not reach: off or unreachable, or never come to because an earlier wave
    stopped (stopped=True, so the report asks to clear that failure rather than to check the host)."""
    return _base(host, segment, ring, "not_reached", {}, checked_at, reason_ja=reason,
                 not_run=True if stopped else None)  # fmt: skip


def linux_record(host, segment, ring, checked_at, pending, failed=None, reboot_required=False,
                 rebooted=False):  # fmt: skip
    """pending: apt_pending() before the install; failed: the install's error, if it failed;
    reboot_required: the host still asks for a reboot at the end of its run."""
    if failed:
        updates = {f"{p['name']}={p['candidate']}": "failed" for p in pending}
        result = "failed"
    else:
        updates = {f"{p['name']}={p['candidate']}": "installed" for p in pending}
        result = "pending_reboot" if reboot_required else "installed" if pending else "up_to_date"
    return _base(host, segment, ring, result, updates, checked_at, rebooted=bool(rebooted),
                 error=str(failed) if failed else None)  # fmt: skip


def _hresult(code) -> str | None:
    if code in (None, "", 0):
        return None
    try:
        value = int(code, 0) if isinstance(code, str) else int(code)
    except ValueError:
        return None
    return f"0x{value & 0xFFFFFFFF:08x}"


def _kb_states(win_updates: dict) -> dict:
    states = {}
    for update in (win_updates.get("updates") or {}).values():
        kbs = update.get("kb") or []
        for kb in kbs if isinstance(kbs, list) else [kbs]:
            key = str(kb) if str(kb).upper().startswith("KB") else f"KB{kb}"
            code = _hresult(update.get("failure_hresult_code"))
            states[key] = "installed" if update.get("installed") else f"failed({code})" if code else "missing"
    return states


def windows_record(host, segment, ring, checked_at, win_updates, failed=None):
    """win_updates: what ansible.windows.win_updates returned on an apply (state installed);
    failed: the task's error when it failed before or around the updates."""
    win_updates = win_updates or {}
    updates = _kb_states(win_updates)
    states = set(updates.values())
    error = failed or (win_updates.get("msg") if win_updates.get("failed") else None)
    if error or any(s.startswith("failed") for s in states):
        result = "failed"
    elif "missing" in states:  # found and not installed: the run stopped short
        result, error = "failed", "見つかった更新プログラムの一部がインストールされていません"
    elif win_updates.get("reboot_required") and not win_updates.get("rebooted"):
        result = "pending_reboot"
    else:
        result = "installed" if updates else "up_to_date"
    return _base(host, segment, ring, result, updates, checked_at, rebooted=bool(win_updates.get("rebooted")),
                 error=str(error) if error else None)  # fmt: skip
