"""Every task that changes or checks something carries its Japanese label for the city's documents
(task var workplan_label, literal text): the plan and the report show it in place of the English name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# tasks that neither change nor check anything the city reads about
SILENT = {
    "set_fact",
    "debug",
    # not include_tasks: an include that check mode skips shows in the plan, so it needs its label too
    "import_tasks",
    "include_role",  # its vars become the role's parameters (and its tasks carry their own labels)
    "import_role",
    "meta",
    "set_stats",
    "validate_argument_spec",
    "include_vars",
    "fail",
    "add_host",
    "group_by",
    "pause",
}
KEYWORDS = {
    "name", "vars", "when", "loop", "loop_control", "register", "tags", "delegate_to", "run_once", "no_log",
    "check_mode", "changed_when", "failed_when", "until", "retries", "delay", "become", "become_user",
    "environment", "any_errors_fatal", "ignore_errors", "notify", "listen", "throttle", "args", "connection",
    "timeout", "delegate_facts", "module_defaults", "ignore_unreachable", "diff", "with_items", "with_dict",
    "block", "rescue", "always",
}  # fmt: skip
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _action(task: dict) -> str | None:
    return next((k for k in task if k not in KEYWORDS), None)


def _walk(tasks, where, out):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for section in ("block", "rescue", "always"):
            _walk(task.get(section), where, out)
        action = _action(task)
        if "block" in task or action is None or action.rsplit(".", 1)[-1] in SILENT:
            continue
        out.append((where, task.get("name", "?"), (task.get("vars") or {}).get("workplan_label")))


def tasks():
    out = []
    for path in sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("roles/*/handlers/*.yml")):
        _walk(yaml.safe_load(path.read_text(encoding="utf-8")), path.relative_to(ROOT), out)
    for path in sorted(ROOT.glob("playbooks/*.yml")):
        for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                _walk(play.get(section), path.relative_to(ROOT), out)
    return out


def test_the_walk_finds_the_tasks_that_change_something():
    names = {name for _, name, _ in tasks()}
    assert "Make each scope's reservations on both peers match the ledger" in names
    assert not any(name.startswith("Build the scrape targets") for name in names)  # set_fact is silent


@pytest.mark.parametrize("where,name,label", tasks(), ids=lambda v: str(v)[:60])
def test_each_task_that_changes_or_checks_has_a_japanese_label(where, name, label):
    assert label, f"{where}: task {name!r} has no workplan_label (its Japanese name in the plan and report)"
    assert JAPANESE.search(str(label)), f"{where}: workplan_label of {name!r} is not Japanese: {label!r}"
    assert "{{" not in str(label), f"{where}: workplan_label of {name!r} must be literal text: {label!r}"


def test_the_city_s_documents_show_the_label_and_the_json_keeps_the_name():
    from jichitai_ops.workplan import documents

    plan = {
        "tasks": [
            {"task": "dhcp_sync : Make each scope's reservations", "title_ja": "DHCP 予約を台帳に合わせる"}
        ],
        "estimate": {
            "schedule": [{"task": "dhcp_sync : Make each scope's reservations", "title_ja": "DHCP 予約"}]
        },
    }
    view = documents.in_japanese(plan)
    assert view["tasks"][0]["task"] == "DHCP 予約を台帳に合わせる"
    assert view["tasks"][0]["task_en"] == "dhcp_sync : Make each scope's reservations"
    assert view["estimate"]["schedule"][0]["task"] == "DHCP 予約"
    assert (
        plan["tasks"][0]["task"] == "dhcp_sync : Make each scope's reservations"
    )
