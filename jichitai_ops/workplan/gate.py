"""What the workplan_linear strategy refuses before the first task of a guarded play: every known way
to run a play's changes without the workplan guard passing in the same run.

The guard is a task; a task can be skipped (--start-at-task, --step, --skip-tags always), its plugin
replaced (ANSIBLE_ACTION_PLUGINS), the modules after it swapped (ANSIBLE_LIBRARY, another collections
path), the callback that records the run left out, or its inputs overridden with -e. A strategy
plugin runs before any task and cannot be skipped by those options, so it checks them here.
"""

from __future__ import annotations

from .model import FLOW_VARS, reason

STRATEGY = "workplan_linear"
# What ansible.cfg may set and the environment or the command line must not override in a guarded run:
# where modules, module_utils and plugins come from, and which collections are used.
PINNED_SETTINGS = {
    "DEFAULT_MODULE_PATH": "ANSIBLE_LIBRARY",
    "DEFAULT_MODULE_UTILS_PATH": "ANSIBLE_MODULE_UTILS",
    "DEFAULT_ACTION_PLUGIN_PATH": "ANSIBLE_ACTION_PLUGINS",
    "DEFAULT_CALLBACK_PLUGIN_PATH": "ANSIBLE_CALLBACK_PLUGINS",
    "DEFAULT_CONNECTION_PLUGIN_PATH": "ANSIBLE_CONNECTION_PLUGINS",
    "DEFAULT_FILTER_PLUGIN_PATH": "ANSIBLE_FILTER_PLUGINS",
    "DEFAULT_LOOKUP_PLUGIN_PATH": "ANSIBLE_LOOKUP_PLUGINS",
    "DEFAULT_STRATEGY_PLUGIN_PATH": "ANSIBLE_STRATEGY_PLUGINS",
    "DEFAULT_TEST_PLUGIN_PATH": "ANSIBLE_TEST_PLUGINS",
    "DEFAULT_VARS_PLUGIN_PATH": "ANSIBLE_VARS_PLUGINS",
    "DEFAULT_INVENTORY_PLUGIN_PATH": "ANSIBLE_INVENTORY_PLUGINS",
    "DEFAULT_ROLES_PATH": "ANSIBLE_ROLES_PATH",
    "DOC_FRAGMENT_PLUGIN_PATH": "ANSIBLE_DOC_FRAGMENT_PLUGINS",
    "COLLECTIONS_PATHS": "ANSIBLE_COLLECTIONS_PATH",
}
# Settings the environment legitimately sets: ansible-runner (the CLI, AWX) puts its own callback
# directory in front of ours, and names ours explicitly; the guard still needs the callback itself.
RUNNER_SETTINGS = {"DEFAULT_CALLBACK_PLUGIN_PATH"}


def refusals(
    *,
    cliargs: dict,
    requested_strategy: str,
    overridden: dict[str, str],
    extra_var_names: set[str],
    callback_running: bool,
    guard_tags: set[str],
) -> list[dict]:
    """Every reason a guarded play must not start. overridden maps a pinned setting to where its value
    came from, for those not set by the project's ansible.cfg (or Ansible's default)."""
    out = []
    if cliargs.get("start_at_task"):
        out.append(
            reason(
                "start_at_task",
                "--start-at-task では作業計画の確認（workplan）を飛ばせるため実行できません",
                "--start-at-task would skip the workplan guard: refused",
            )
        )
    if cliargs.get("step"):
        out.append(
            reason(
                "step",
                "--step では作業計画の確認（workplan）を飛ばせるため実行できません",
                "--step would let the workplan guard be skipped: refused",
            )
        )
    skipped = set(cliargs.get("skip_tags") or ()) & (guard_tags | {"always"})
    if skipped:
        out.append(
            reason(
                "skip_tags",
                f"--skip-tags {','.join(sorted(skipped))} は作業計画の確認を飛ばすため実行できません",
                f"--skip-tags {','.join(sorted(skipped))} would skip the workplan guard: refused",
            )
        )
    strategy = str(requested_strategy or "").rsplit(".", 1)[-1]
    if strategy not in (STRATEGY, "linear"):
        out.append(
            reason(
                "strategy",
                f"実行戦略 {strategy} では作業できません（linear のみ）",
                f"strategy {strategy} is refused: work-plan plays run with the linear strategy only "
                "(a run_once task would run once per host, concurrently); unset ANSIBLE_STRATEGY",
            )
        )
    if not callback_running:
        out.append(
            reason(
                "no_callback",
                "作業計画コールバック（workplan）が有効になっていません（記録されない実行はできません）",
                "the workplan callback is not enabled: a run nobody records is refused "
                "(ansible.cfg: callbacks_enabled = workplan)",
            )
        )
    for setting, origin in sorted(overridden.items()):
        if setting in RUNNER_SETTINGS:
            continue
        name = PINNED_SETTINGS.get(setting, setting)
        out.append(
            reason(
                "plugin_path",
                f"{name} がリポジトリ外の設定で上書きされています（{origin}）",
                f"{name} is overridden ({origin}): modules and plugins come "
                "from the repository and the pinned collections only",
            )
        )
    names = sorted(n for n in extra_var_names if n.startswith("workplan_") and n not in FLOW_VARS)
    if names:
        out.append(
            reason(
                "workplan_extra_vars",
                f"作業計画の変数は -e で指定できません: {', '.join(names)}（playbook が定めます）",
                f"work-plan variables cannot be given with -e: {', '.join(names)} (the playbook sets them)",
            )
        )
    return out
