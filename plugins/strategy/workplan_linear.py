# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Strategy plugin: linear, refusing a guarded play that could run without its workplan guard."""

from __future__ import annotations

DOCUMENTATION = r"""
name: workplan_linear
short_description: The linear strategy, refusing any way to run a play's changes around the workplan guard
description:
  - Runs plays exactly as C(ansible.builtin.linear). Before the first task of a play that includes
    the C(workplan) guard it refuses, with the reasons in Japanese and English and nothing changed,
    a run that could change the estate without the guard passing first - C(--start-at-task),
    C(--step), C(--skip-tags) naming the guard's tags, a requested strategy other than linear
    (C(ANSIBLE_STRATEGY=free)), the C(workplan) callback not running, module, plugin, role or
    collection paths overridden from the environment or the command line (C(ANSIBLE_LIBRARY),
    C(ANSIBLE_ACTION_PLUGINS), C(-M) ...), and work-plan variables given with C(-e).
  - Guarded plays name it as their C(strategy) keyword, which no environment variable overrides.
    Other plays and ad-hoc commands keep C(linear).
  - Plays without the guard run as with C(linear); the workplan callback reports their changes as
    unplanned.
  - Like any strategy outside C(ansible.builtin), it is not lockstep to the C(ansible.posix.json)
    callback, which then lists each host's result of a task as its own entry (same task id).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
"""

import os

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleError
from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule
from ansible.utils.vars import load_extra_vars

try:
    from jichitai_ops.workplan import basis as basis_mod
    from jichitai_ops.workplan import gate, model
except ImportError as exc:  # reported when a guarded play runs
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None

GUARD_ACTIONS = {"workplan_guard", "ansible.legacy.workplan_guard"}
# AWX points the collections and roles paths at the project's own requirements (installed from its
# requirements.yml), followed by Ansible's default locations
AWX_REQUIREMENTS = "/runner/requirements_"
DEFAULT_LOCATIONS = ("~/.ansible/", "/usr/share/ansible/", "/etc/ansible/")


def _tasks(blocks):
    for block in blocks:
        for item in (*block.block, *block.rescue, *block.always):
            if hasattr(item, "block"):
                yield from _tasks([item])
            else:
                yield item


def _guard_tags(blocks) -> set[str] | None:
    """The tags of the play's workplan guard task, or None when the play has no guard."""
    for task in _tasks(blocks):
        if task.action in GUARD_ACTIONS:
            return set(task.tags or [])
    return None


def _awx_requirements(paths) -> bool:
    """AWX's own setting: its requirements directory first, then only Ansible's default locations."""
    paths = [str(p) for p in paths or []]
    allowed = (AWX_REQUIREMENTS, *DEFAULT_LOCATIONS, *(os.path.expanduser(d) for d in DEFAULT_LOCATIONS))
    return bool(paths) and paths[0].startswith(AWX_REQUIREMENTS) and all(p.startswith(allowed) for p in paths)


def _overridden(root: str) -> dict[str, str]:
    project_cfg = os.path.join(root, "ansible.cfg")
    out = {}
    for setting in gate.PINNED_SETTINGS:
        value, origin = C.config.get_config_value_and_origin(setting)
        if origin in ("default", project_cfg):
            continue
        if setting in ("COLLECTIONS_PATHS", "DEFAULT_ROLES_PATH") and _awx_requirements(value):
            continue
        out[setting] = origin
    if context.CLIARGS.get("module_path"):
        out["DEFAULT_MODULE_PATH"] = "command line: -M / --module-path"
    return out


class StrategyModule(LinearStrategyModule):
    def run(self, iterator, play_context):  # type: ignore[override]
        play = iterator._play
        # the play's own blocks, before --tags/--skip-tags filter them (import_role is static, so the
        # guard's task is in pre_tasks); compiling the play again here would give the run new tasks
        tags = _guard_tags([*play.pre_tasks, *play.tasks, *play.post_tasks])
        if tags is not None:
            if ENGINE_IMPORT_ERROR:
                raise AnsibleError(
                    f"workplan_linear: the jichitai_ops engine is not installed: {ENGINE_IMPORT_ERROR}"
                )
            playbooks = context.CLIARGS.get("args") or [os.getcwd()]
            root = basis_mod.project_root(os.path.dirname(os.path.abspath(playbooks[0])))
            reasons = gate.refusals(
                cliargs=dict(context.CLIARGS),
                requested_strategy=C.config.get_config_value("DEFAULT_STRATEGY"),
                overridden=_overridden(root),
                extra_var_names=set(load_extra_vars(self._loader)),
                callback_running=bool(os.environ.get(model.RUN_ENV)),
                guard_tags=tags,
            )
            if reasons:
                raise AnsibleError(
                    f"作業を開始できません（変更は行っていません） / refused before the first task of "
                    f"play {play.get_name()!r}, nothing was changed:\n" + model.format_reasons(reasons)
                )
        return super().run(iterator, play_context)
