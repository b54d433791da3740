# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change journal of a state-changing module run under an approved work plan.

The work-plan guard gives every task of an apply run the fact ``workplan_journal``
(path, controller_pid, controller_start, run); a module that takes it as its ``journal`` option
appends one JSON line per change it makes, flushed and fsynced before the next change, to
``<plan store>/<plan id>/journal/<run>.changes.jsonl``. The report of a run that was killed is made
from these lines (``jichitai-ops report <plan id>``), and the next run under the same plan reports
them beside its own changes.

``check_controller()`` before each change stops the module when the ansible-playbook process that
started it is gone (killed): a change nobody will report is not made. The module runs on the
controller (it reaches its appliance or directory over the network), so the process is local.
"""

from __future__ import annotations

import datetime
import json
import os

JOURNAL_ARGUMENT_SPEC = {
    "journal": {
        "type": "dict",
        "options": {
            "path": {"type": "path", "required": True},
            "controller_pid": {"type": "int"},
            "controller_start": {"type": "str"},
            "run": {"type": "str"},
        },
    }
}
SECRET_KEYS = ("unicodepwd", "userpassword", "password", "secret")


class ControllerGone(Exception):
    """The ansible-playbook process of this run no longer exists."""


def _stat(pid):
    """Fields 3.. of /proc/<pid>/stat (state, ppid, ...), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def process_start(pid):
    """Start time of PID in clock ticks since boot (field 22 of /proc/<pid>/stat), or None."""
    fields = _stat(pid)
    return fields[19] if fields else None


def controller_alive(pid, start):
    if not pid:
        return True
    if os.path.isdir("/proc"):
        fields = _stat(pid)
        if fields is None or fields[0] in ("Z", "X"):  # a killed process not yet reaped is a zombie
            return False
        return not start or fields[19] == str(start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def redact(value):
    """Values of password attributes never reach the journal."""
    if isinstance(value, dict):
        return {
            k: ("********" if any(s in str(k).lower() for s in SECRET_KEYS) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class Journal:
    """Append-only change journal; every method is a no-op when the module got no journal."""

    def __init__(self, module_name, spec=None):
        spec = spec or {}
        self.module_name = module_name
        self.path = spec.get("path")
        self.pid = spec.get("controller_pid")
        self.start = spec.get("controller_start")
        self.run = spec.get("run")
        self.count = 0

    @classmethod
    def from_module(cls, module, module_name):
        return cls(module_name, module.params.get("journal"))

    def check_controller(self):
        if self.path and not controller_alive(self.pid, self.start):
            self.write(
                "abandoned",
                target="",
                obj="",
                ok=False,
                note="ansible-playbook が終了したため、以降の変更を行わずに停止しました / "
                "the controller process is gone: no further change is made",
            )
            raise ControllerGone(f"controller process {self.pid} is gone")

    def write(self, action, *, target, obj, before=None, after=None, ok=True, note=""):
        """One change (or a failed attempt at one), on disk before the next change starts."""
        if not self.path:
            return
        line = {
            "at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "run": self.run,
            "module": self.module_name,
            "pid": os.getpid(),
            "action": action,
            "target": target,
            "object": obj,
            "before": redact(before),
            "after": redact(after),
            "ok": ok,
            "note": note,
        }
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        data = (json.dumps(line, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.count += 1
