"""AWX and Semaphore definitions of the work-plan flow (they cannot run here: their structure is checked).

AWX: plan job template in check mode with diff -> approval node -> approval record (which schedules
the apply job in the window); the plan id travels by set_stats. Semaphore (its project backup):
plan, approval-record and apply templates. Coverage of every playbook and the execution
environment: tests/unit/test_controller_as_code.py."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load((ROOT / path).read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


@pytest.fixture(scope="module")
def awx():
    play = load("awx/controller.yml")[0]
    tasks = {}
    for task in play["tasks"]:
        module = next((k for k in task if k.startswith("awx.awx.")), None)
        if module:
            tasks.setdefault(module, []).append(task)
    return play, tasks


def templates(tasks, suffix):
    return [
        t["awx.awx.job_template"]
        for t in tasks["awx.awx.job_template"]
        if t["awx.awx.job_template"]["name"].endswith(suffix)
    ]


def survey_vars(spec):
    return [q["variable"] for q in spec["spec"]]


def test_awx_operations_are_playbooks_with_the_guard(awx):
    """awx/operations.yml declares every playbook; each one not read-only gets the plan/approval/apply
    templates (tests/unit/test_controller_as_code.py runs the discovery) and has the guard."""
    declared = load("awx/operations.yml")["jichitai_operations_declared"]
    assert {op["playbook"] for op in declared.values()} == {
        str(p.relative_to(ROOT)) for p in (ROOT / "playbooks").glob("*.yml")
    }
    read_only = {name for name, op in declared.items() if op.get("read_only")}
    books = [p for p in sorted((ROOT / "playbooks").glob("*.yml")) if p.stem not in read_only]
    assert books
    for path in books:
        book = load(path.relative_to(ROOT))
        pre = [t for p in book for t in p.get("pre_tasks", [])]
        assert any(t.get("ansible.builtin.import_role", {}).get("name") == "workplan" for t in pre), path


def test_awx_plan_template_is_check_mode_with_diff_and_asks_the_window(awx):
    play, tasks = awx
    (plan,) = templates(tasks, "| 作業計画")
    assert plan["job_type"] == "check" and plan["diff_mode"] is True and plan["survey_enabled"]
    # the window, then the operation's inputs (tests/unit/test_controller_as_code.py renders them)
    assert plan["survey_spec"] == "{{ jichitai_awx_surveys[item.id].plan }}"
    assert survey_vars(play["vars"]["jichitai_awx_window_survey"]) == [
        "workplan_window_start",
        "workplan_window_end",
    ]
    assert plan["credentials"] == "{{ jichitai_awx_job_credentials }}"
    assert "jichitai_awx_store_credential" in play["vars"]["jichitai_awx_job_credentials"]
    assert play["vars"]["jichitai_awx_store_credential"] == "jichitai-ops 作業計画ストア"


def test_awx_apply_template_runs_with_diff_and_takes_the_plan_id(awx):
    _, tasks = awx
    (apply,) = templates(tasks, "| 作業実施")
    assert (
        apply["job_type"] == "run" and apply["diff_mode"] is True and apply["ask_variables_on_launch"] is True
    )
    assert apply["playbook"] == "{{ item.playbook }}" and apply["credentials"].startswith(
        "{{ jichitai_awx_job_credentials"
    )


def test_awx_workflow_is_plan_then_approval_then_record(awx):
    play, tasks = awx
    (wf,) = [t["awx.awx.workflow_job_template"] for t in tasks["awx.awx.workflow_job_template"]]
    nodes = {n["identifier"]: n for n in wf["workflow_nodes"]}
    assert list(nodes) == ["plan", "approval", "record"]
    assert nodes["plan"]["unified_job_template"] == {
        "name": "{{ item.id }} | 作業計画",
        "type": "job_template",
        "organization": {"name": "{{ jichitai_awx_organization }}"},
    }
    assert nodes["plan"]["related"]["success_nodes"] == [{"identifier": "approval"}]
    assert nodes["approval"]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes["approval"]["related"]["success_nodes"] == [{"identifier": "record"}]
    record = nodes["record"]
    assert record["unified_job_template"]["name"] == "jichitai-ops | 作業計画の承認記録"
    assert record["extra_data"] == {
        "jichitai_awx_apply_template": "{{ item.id }} | 作業実施",
        "jichitai_awx_apply_inputs": "{{ item.inputs | map(attribute='name') }}",
    }
    assert wf["survey_spec"] == "{{ jichitai_awx_surveys[item.id].workflow }}"
    assert "workplan_override_reason" in play["vars"]["jichitai_awx_override_question"]["variable"]
    (record_jt,) = templates(tasks, "作業計画の承認記録")
    assert record_jt["playbook"] == "awx/record_approval.yml" and (ROOT / record_jt["playbook"]).is_file()


def test_awx_store_credential_injects_store_and_callback_path(awx):
    play, tasks = awx
    injectors = play["vars"]["jichitai_awx_store_injectors"]["env"]
    assert injectors["JICHITAI_WORKPLAN_DIR"] == "{{ plan_dir }}"
    callback_dir = injectors["ANSIBLE_CALLBACK_PLUGINS"].removeprefix("/runner/project/")
    assert (ROOT / callback_dir / "workplan.py").is_file()


def test_awx_record_approval_hands_plan_id_to_the_scheduled_apply():
    play = load("awx/record_approval.yml")[0]
    tasks = play["tasks"]
    approve = next(t["workplan_approve"] for t in tasks if "workplan_approve" in t)
    assert approve["plan_id"] == "{{ workplan_id }}" and approve["tool"] == "awx"
    schedule = next(t["awx.awx.schedule"] for t in tasks if "awx.awx.schedule" in t)
    assert schedule["unified_job_template"] == "{{ jichitai_awx_apply_template }}"
    launch = next(t["awx.awx.job_launch"] for t in tasks if "awx.awx.job_launch" in t)
    # workplan_id and the plan's extra vars (the operation's inputs, the override reason)
    assert schedule["extra_data"] == launch["extra_vars"] == "{{ jichitai_awx_apply_extra_vars }}"
    assert play["vars"]["jichitai_awx_apply_extra_vars"].strip().startswith("{{ {'workplan_id': workplan_id}")
    assert "jichitai_awx_window_local" in schedule["rrule"] and "TZID=Asia/Tokyo" in schedule["rrule"]
    assert "workplan_window_start" in play["vars"]["jichitai_awx_window_local"]


def test_set_stats_of_the_guard_carry_what_the_workflow_reads():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "workplan_guard_action", ROOT / "plugins/action/workplan_guard.py"
    )
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    info = {
        "id": "20261201T100000-0a1b2c3d",
        "mode": "plan",
        "basis_digest": "b" * 64,
        "store": "/plans",
        "calendar": {"blocked": False},
        "window": {"start": "2026-12-16T22:00:00+09:00", "end": None},
    }
    data = guard.ActionModule._stats(info)
    needed = {"workplan_id", "workplan_window_start"}  # read by awx/record_approval.yml
    assert needed <= set(data) and data["workplan_id"] == info["id"] and data["workplan_mode"] == "plan"


@pytest.fixture(scope="module")
def semaphore():
    return json.loads((ROOT / "semaphore/jichitai-ops.json").read_text())


REQUIRED = {
    "name",
    "app",
    "playbook",
    "arguments",
    "repository",
    "inventory",
    "environment",
    "survey_vars",
}


def test_semaphore_templates_are_complete(semaphore):
    for tpl in semaphore["templates"]:
        assert set(tpl) >= REQUIRED, tpl["name"]
        assert (ROOT / tpl["playbook"]).is_file(), tpl["playbook"]
        assert isinstance(json.loads(tpl["arguments"]), list)
        for var in tpl["survey_vars"]:
            assert {"name", "title", "type", "required"} <= set(var)
    (environment,) = semaphore["environments"]
    env = json.loads(environment["env"])
    assert env["JICHITAI_WORKPLAN_DIR"].startswith("/")


def test_semaphore_plan_and_apply(semaphore):
    by_kind = {}
    for tpl in semaphore["templates"]:
        kind = (
            "plan"
            if tpl["name"].endswith("| 作業計画")
            else "apply"
            if tpl["name"].endswith("| 作業実施")
            else "run"
            if tpl["name"].endswith("| 実行")
            else "approve"
        )
        by_kind.setdefault(kind, []).append(tpl)
    # then the operation's inputs (tests/unit/test_controller_as_code.py checks them per operation)
    for plan in by_kind["plan"]:
        assert json.loads(plan["arguments"]) == ["--check", "--diff"]
        assert [v["name"] for v in plan["survey_vars"]][:2] == [
            "workplan_window_start",
            "workplan_window_end",
        ]
    for apply in by_kind["apply"]:
        assert json.loads(apply["arguments"]) == ["--diff"]
        assert [v["name"] for v in apply["survey_vars"]][:1] == ["workplan_id"]
    for plan, apply in zip(by_kind["plan"], by_kind["apply"], strict=True):
        assert plan["playbook"] == apply["playbook"]
        assert [v["name"] for v in plan["survey_vars"]][2:] == [v["name"] for v in apply["survey_vars"]][1:]
    assert {p["playbook"] for p in by_kind["plan"]} == {a["playbook"] for a in by_kind["apply"]}
    assert "approve" not in by_kind  # approvals are the approvers' own signatures, made outside Semaphore


@pytest.mark.parametrize(
    "playbook",
    [
        "awx/controller.yml",
        "awx/record_approval.yml",
        "semaphore/project.yml",
    ],
)
def test_definitions_pass_ansible_syntax_check(playbook):
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    out = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", playbook],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
