"""What the workplan_linear strategy refuses before a guarded play's first task (the e2e flow tests
drive each route through ansible-playbook; these cover the decision and the playbooks' wiring)."""

from pathlib import Path

import pytest
import yaml

from jichitai_ops.workplan import gate

ROOT = Path(__file__).resolve().parents[2]
CLEAN = {
    "cliargs": {"start_at_task": None, "step": False, "skip_tags": ()},
    "requested_strategy": "workplan_linear",
    "overridden": {},
    "extra_var_names": {"workplan_id", "workplan_now", "fixture_dir"},
    "callback_running": True,
    "guard_tags": {"always"},
}


def codes(**changes):
    return [r["code"] for r in gate.refusals(**{**CLEAN, **changes})]


def test_a_clean_run_passes():
    assert codes() == []
    assert codes(requested_strategy="ansible.builtin.linear") == []


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"cliargs": {"start_at_task": "Service configuration file"}}, "start_at_task"),
        ({"cliargs": {"step": True}}, "step"),
        ({"cliargs": {"skip_tags": ("always",)}}, "skip_tags"),
        ({"cliargs": {"skip_tags": ("guard",)}, "guard_tags": {"always", "guard"}}, "skip_tags"),
        ({"requested_strategy": "free"}, "strategy"),
        ({"requested_strategy": "ansible.builtin.host_pinned"}, "strategy"),
        ({"callback_running": False}, "no_callback"),
        ({"overridden": {"DEFAULT_MODULE_PATH": "env: ANSIBLE_LIBRARY"}}, "plugin_path"),
        ({"overridden": {"COLLECTIONS_PATHS": "env: ANSIBLE_COLLECTIONS_PATH"}}, "plugin_path"),
        ({"extra_var_names": {"workplan_inputs"}}, "workplan_extra_vars"),
        ({"extra_var_names": {"workplan_disruptive", "workplan_id"}}, "workplan_extra_vars"),
    ],
)
def test_each_route_around_the_guard_is_refused(changes, code):
    assert codes(**changes) == [code]


def test_ansible_runner_s_callback_directory_is_not_an_override():
    """ansible-runner (the CLI, AWX) sets ANSIBLE_CALLBACK_PLUGINS; the callback itself must still run."""
    assert codes(overridden={"DEFAULT_CALLBACK_PLUGIN_PATH": "env: ANSIBLE_CALLBACK_PLUGINS"}) == []


def test_every_reason_at_once():
    found = codes(cliargs={"start_at_task": "x", "step": True}, callback_running=False)
    assert found == ["start_at_task", "step", "no_callback"]


def guarded_plays():
    for book in sorted((ROOT / "playbooks").glob("*.yml")):
        for play in yaml.safe_load(book.read_text()) or []:
            text = yaml.safe_dump(play)
            if "name: workplan\n" in text:
                yield book.name, play


def test_every_guarded_play_names_the_strategy():
    """A play's own strategy keyword is the one ANSIBLE_STRATEGY cannot replace."""
    plays = list(guarded_plays())
    assert plays, "no playbook includes the workplan role"
    missing = [f"{book}: {play['name']}" for book, play in plays if play.get("strategy") != gate.STRATEGY]
    assert missing == []
