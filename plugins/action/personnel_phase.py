"""Action plugin of personnel_phase: a check run plans both phases of a transfer from one read.

A check run (the work plan) runs the prepare task and then the cutover task, with the same arguments but
the phase's own (module_defaults). Each would start the module, parse the inputs and read the directory
and the share again. Here the prepare task's module plans the cutover too, from the same read, and
writes its result to a file in this run's private temporary folder (Ansible's local tmp, removed when
the run ends); the cutover task with the same arguments returns that result, or its failure, without
starting the module. Anything else (an apply, a cutover task whose arguments differ, a cutover planned
alone, a module not run on the controller) runs the module as usual.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# the arguments that differ between the phases' tasks; the rest must be equal for the hand-over
PHASE_ARGS = ("phase", "import_files", "prepared_record", "prepared_digest", "cutover_plan_file")
# left out of the hand-over's name: a secret never goes into a file name, not even hashed
SECRET_WORDS = ("password", "api_key", "secret", "token")


def _without_secrets(value):
    if isinstance(value, dict):
        return {
            k: _without_secrets(v)
            for k, v in value.items()
            if not any(word in str(k).lower() for word in SECRET_WORDS)
        }
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def hand_over_path(args: dict, host: str) -> str:
    """The file the prepare task's plan of the cutover goes to, named by everything both tasks share."""
    shared = {k: v for k, v in args.items() if k not in PHASE_ARGS}
    text = json.dumps([host, _without_secrets(shared)], sort_keys=True, default=str)
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return os.path.join(C.DEFAULT_LOCAL_TMP, f"personnel-cutover-plan-{name}.json")


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        # the module writes the hand-over where it runs: only a module run on the controller can hand over
        planning = self._play_context.check_mode and self._connection.transport == "local"
        path = hand_over_path(args, task_vars.get("inventory_hostname", "")) if planning else ""
        if planning and args.get("phase") == "cutover":
            planned = self._take(path)
            if planned is not None:
                return merge_hash(result, planned)
        if planning and args.get("phase") == "prepare":
            args["cutover_plan_file"] = path
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @staticmethod
    def _take(path: str):
        """The hand-over at PATH, removed as it is read; None when there is none."""
        try:
            with open(path, encoding="utf-8") as handle:
                planned = json.load(handle)
        except FileNotFoundError:
            return None
        finally:
            if os.path.exists(path):
                os.unlink(path)
        return planned
