"""The execution environment and the AWX and Semaphore definitions cover the whole repository.

AWX and Semaphore cannot run here; what can be proven without them is: every playbook of playbooks/
becomes an operation with its templates (the discovery in awx/tasks/operations.yml runs for real),
the Semaphore backup is the one the generator writes today and its references resolve the way
Semaphore's restore resolves them, every extra var a playbook needs is declared as an input that the
plan surveys ask and the apply is given again, every Python import of the code and every collection
the YAML uses is in the execution environment, the approval record parses the survey's own example
window, and `ansible-builder create` accepts execution-environment.yml."""

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PLAYBOOKS = sorted(ROOT.glob("playbooks/*.yml"))
CODE_DIRS = [
    "library",
    "plugins",
    "filter_plugins",
    "jichitai_ops",
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("roles/*/library")),
]
OWN_PACKAGES = {"ansible", "ansible_collections", "jichitai_ops"}  # ansible-core, collections, ours
SKIP_DIRS = {".venv", ".git", "work", "run", "node_modules", ".pytest_cache", ".ruff_cache"}
# extra vars a plan and its apply differ in by design, and the approval's override reason: the
# window survey, the apply's plan id and the workflow survey ask them, not an operation's inputs
FLOW_VARS = {"workplan_id", "workplan_window_start", "workplan_window_end", "workplan_override_reason"}


class Loader(yaml.SafeLoader):
    pass


Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))
Loader.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load((ROOT / path).read_text(), Loader=Loader)  # noqa: S506 - SafeLoader subclass


def ansible_playbook(*args, tmp_path):
    env = os.environ | {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_NOCOLOR": "1",
        "JICHITAI_WORKPLAN_DIR": str(tmp_path / "plans"),  # the workplan callback records this run here
    }
    out = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def debug_msg(stdout, task):
    """The msg of a debug task in json result format."""
    text = stdout.split(f"TASK [{task}]", 1)[1]
    data, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
    return data["msg"]


def has_guard(playbook: Path) -> bool:
    for play in load(playbook.relative_to(ROOT)):
        for task in play.get("pre_tasks", []):
            role = task.get("ansible.builtin.import_role") or task.get("ansible.builtin.include_role") or {}
            if role.get("name") == "workplan":
                return True
    return False


def _empty(value):
    return value is None or value == "" or value == [] or value == {}


def _role_defaults(role):
    path = ROOT / "roles" / role / "defaults" / "main.yml"
    return (load(path.relative_to(ROOT)) or {}) if path.is_file() else {}


def _set_by_inventory(name):
    pattern = re.compile(rf"^{re.escape(name)}:", re.M)
    return any(
        pattern.search(path.read_text())
        for path in ROOT.glob("inventories/*/*_vars/**/*.yml")
        if path.is_file()
    )


def required_extra_vars(playbook: Path) -> tuple[set, set]:
    """The extra vars a playbook cannot run without, and every one it tells to give with -e.

    Required: a variable its own pre_tasks assert given (`X | default('') | length > 0`,
    `X is defined`), or a required option of a role it runs that neither the playbook, nor the
    role's defaults (other than empty), nor an inventory sets. Told: `-e X=` in its usage comment or
    in its refusals. `ansible-playbook --syntax-check` sees neither."""
    text = playbook.read_text()
    told = set(re.findall(r"-e (\w+)=", text))
    required = set()
    given_forms = (r"(\w+) is defined", r"(\w+) \| default\([^)]*\) \| length > 0")
    for play in load(playbook.relative_to(ROOT)):
        play_vars = set(play.get("vars") or {})
        roles = [
            (r["role"] if isinstance(r, dict) else r, "main", set(r) if isinstance(r, dict) else set())
            for r in play.get("roles") or []
        ]
        for task in play.get("pre_tasks") or []:
            check = task.get("ansible.builtin.assert") or {}
            that = check.get("that") or []
            for cond in [that] if isinstance(that, str) else that:
                for form in given_forms:
                    match = re.fullmatch(form, cond.strip())
                    if match:
                        required.add(match[1])
        for task in [t for k in ("pre_tasks", "tasks", "post_tasks") for t in play.get(k) or []]:
            for key in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
                if key in task:
                    entry = task[key].get("tasks_from", "main")
                    roles.append((task[key]["name"], entry, set(task.get("vars") or {})))
        for role, entry, params in roles:
            spec_path = ROOT / "roles" / role / "meta" / "argument_specs.yml"
            if not spec_path.is_file():
                continue
            options = load(spec_path.relative_to(ROOT))["argument_specs"][entry].get("options", {})
            defaults = _role_defaults(role)
            for name, option in options.items():
                if not option.get("required") or name in play_vars or name in params:
                    continue
                if not _empty(defaults.get(name)) or _set_by_inventory(name):
                    continue
                required.add(name)
    return required - FLOW_VARS, told - FLOW_VARS


def test_every_extra_var_a_playbook_needs_is_a_declared_input(awx_defines):
    """An operation whose playbook needs an -e variable cannot run from AWX or Semaphore unless the
    plan's survey asks it and the apply is given it again: it must be declared in
    jichitai_operations_inputs (awx/tasks/operations.yml)."""
    ops = {op["id"]: op for op in awx_defines["operations"]}
    for playbook in PLAYBOOKS:
        required, told = required_extra_vars(playbook)
        inputs = ops[playbook.stem]["inputs"]
        declared = {i["name"] for i in inputs}
        assert required <= {i["name"] for i in inputs if i["required"]}, (
            f"{playbook.name} requires {sorted(required - declared)}: declare them in "
            "jichitai_operations_inputs (awx/tasks/operations.yml) as required"
        )
        assert told <= declared, f"{playbook.name} is run with -e {sorted(told - declared)}: declare them"
        for item in inputs:
            assert item["title"] and item["description"] and item["example"], item
            assert item["name"] not in FLOW_VARS
    # the detection sees the personnel transfer's folder, which the playbook refuses to run without
    required, told = required_extra_vars(ROOT / "playbooks/personnel_transfer.yml")
    assert "personnel_transfer_dir" in required and "personnel_transfer_dir" in told
    (transfer_dir,) = ops["personnel_transfer"]["inputs"]
    assert transfer_dir["name"] == "personnel_transfer_dir" and transfer_dir["required"] is True
    example = ROOT / transfer_dir["example"]
    assert (example / "transfer.yml").is_file() and example.parent.name == "transfers"


# ---------------------------------------------------------------------------------------------- AWX


@pytest.fixture(scope="module")
def awx_defines(tmp_path_factory):
    """What awx/controller.yml defines, from its own discovery (--tags operations runs only that)."""
    stdout = ansible_playbook(
        "awx/controller.yml", "--tags", "operations", tmp_path=tmp_path_factory.mktemp("awx")
    )
    return debug_msg(stdout, "What this defines")


@pytest.fixture(scope="module")
def awx_tasks():
    return load("awx/controller.yml")[0]["tasks"]


def test_every_playbook_is_an_operation_and_read_only_means_unguarded(awx_defines):
    ops = awx_defines["operations"]
    assert [op["playbook"] for op in ops] == [f"playbooks/{p.name}" for p in PLAYBOOKS]
    for op, playbook in zip(ops, PLAYBOOKS, strict=True):
        assert op["id"] == playbook.stem and op["title"]
        # a playbook without the guard can be neither planned nor approved: it must be read-only
        assert op["read_only"] is (not has_guard(playbook)), op
    read_only = {op["id"] for op in ops if op["read_only"]}
    assert read_only == {
        "av_definitions", "backup_daily_check", "backup_restore_test", "daily_check", "monthly_report",
        "registers", "transfer_check", "validate_inventory",
    }  # fmt: skip


def test_the_daily_check_runs_on_its_own_before_the_city_opens(awx_defines, awx_tasks, semaphore):
    scheduled = {op["id"]: op["schedule"] for op in awx_defines["operations"] if op["schedule"]}
    # the backups and the antivirus definitions are read first, so the daily check at 07:30 sees this
    # morning's state; on the 1st the registers are read before the monthly report that lists their changes
    assert scheduled == {
        "backup_daily_check": {"at": "06:45"},
        "av_definitions": {"at": "07:00"},
        "daily_check": {"at": "07:30"},
        "registers": {"at": "05:00", "day_of_month": 1},
        "monthly_report": {"at": "06:00", "day_of_month": 1},
        "backup_restore_test": {"at": "10:00", "day_of_month": 10},
    }
    task = next(t["awx.awx.schedule"] for t in awx_tasks if "awx.awx.schedule" in t)
    assert task["unified_job_template"] == "{{ item.id }} | 実行"
    crons = {t["name"]: t["cron"] for t in semaphore["templates"] if t.get("cron")}
    assert crons == {
        "av_definitions | 実行": "0 7 * * *", "backup_daily_check | 実行": "45 6 * * *",
        "backup_restore_test | 実行": "0 10 10 * *", "daily_check | 実行": "30 7 * * *",
        "monthly_report | 実行": "0 6 1 * *", "registers | 実行": "0 5 1 * *",
    }  # fmt: skip


@pytest.mark.parametrize(("schedule", "rrule", "cron"), [
    ({"at": "07:30"}, "DTSTART;TZID=Asia/Tokyo:20270101T073000 RRULE:FREQ=DAILY;INTERVAL=1", "30 7 * * *"),
    ({"at": "06:05", "day_of_month": 1},
     "DTSTART;TZID=Asia/Tokyo:20270101T060500 RRULE:FREQ=MONTHLY;BYMONTHDAY=1;INTERVAL=1", "5 6 1 * *"),
])
def test_a_schedule_is_daily_or_on_a_day_of_every_month(awx_tasks, schedule, rrule, cron):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    rrule_template = next(t["awx.awx.schedule"] for t in awx_tasks if "awx.awx.schedule" in t)["rrule"]
    generator = yaml.safe_load((ROOT / "semaphore" / "project.yml").read_text(encoding="utf-8"))
    cron_template = next(iter(find_key(generator, "cron")))

    def render(template, item):
        return Templar(loader=DataLoader(), variables={"item": item}).template(trust_as_template(template))

    assert render(rrule_template, {"schedule": schedule}) == rrule
    assert render(cron_template, {"schedule": schedule}) == cron
    assert render(cron_template, {"schedule": None}) is None


def find_key(node, key):
    """Every value of `key` anywhere in a YAML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from find_key(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from find_key(v, key)


def expand(tasks, module, selector):
    """Names of the objects a looped task defines, for each operation its loop selects."""
    names = []
    for task in tasks:
        if module not in task or "loop" not in task:
            continue
        loop = task["loop"].replace(" ", "")
        if loop != "{{jichitai_operations|" + selector + "('read_only')}}":
            continue
        names.append(task[module]["name"])
    return names


def test_awx_has_plan_apply_and_workflow_for_every_state_changing_playbook_and_a_run_for_read_only(
    awx_defines, awx_tasks
):
    ops = awx_defines["operations"]
    changing = [op["id"] for op in ops if not op["read_only"]]
    read_only = [op["id"] for op in ops if op["read_only"]]
    assert changing and read_only
    changing_jobs = expand(awx_tasks, "awx.awx.job_template", "rejectattr")
    assert sorted(changing_jobs) == ["{{ item.id }} | 作業実施", "{{ item.id }} | 作業計画"]
    assert expand(awx_tasks, "awx.awx.workflow_job_template", "rejectattr") == [
        "{{ item.id }} | 作業計画と承認"
    ]
    assert expand(awx_tasks, "awx.awx.job_template", "selectattr") == ["{{ item.id }} | 実行"]
    defined = {
        name.replace("{{ item.id }}", op)
        for selector, ids in (("rejectattr", changing), ("selectattr", read_only))
        for module in ("awx.awx.job_template", "awx.awx.workflow_job_template")
        for name in expand(awx_tasks, module, selector)
        for op in ids
    }
    for playbook in PLAYBOOKS:
        wanted = (
            {f"{playbook.stem} | 実行"}
            if playbook.stem in read_only
            else {f"{playbook.stem} | {kind}" for kind in ("作業計画", "作業実施", "作業計画と承認")}
        )
        assert wanted <= defined, playbook.name
    by_name = {t[m]["name"]: t[m] for t in awx_tasks for m in t if m.startswith("awx.awx.")}
    assert by_name["{{ item.id }} | 作業計画"]["job_type"] == "check"
    assert by_name["{{ item.id }} | 作業実施"]["job_type"] == "run"
    assert by_name["{{ item.id }} | 実行"]["job_type"] == "run"
    for name in ("{{ item.id }} | 作業計画", "{{ item.id }} | 実行"):
        assert by_name[name]["playbook"] == "{{ item.playbook }}"
        assert by_name[name]["credentials"] == "{{ jichitai_awx_job_credentials }}"
    apply = by_name["{{ item.id }} | 作業実施"]
    assert apply["playbook"] == "{{ item.playbook }}"
    assert apply["credentials"] == "{{ jichitai_awx_job_credentials + [jichitai_awx_controller_credential] }}"


WINDOW = ["workplan_window_start", "workplan_window_end"]


def test_awx_plan_and_workflow_surveys_ask_each_operations_inputs(awx_defines, awx_tasks):
    """The surveys AWX gets, as the definitions compute them for each operation: the plan template's
    asks the window and the inputs, the workflow's also the override reason (the workflow's answers
    reach every node: the plan job, and the approval record that hands them on to the apply)."""
    by_name = {t[m]["name"]: t[m] for t in awx_tasks for m in t if m.startswith("awx.awx.")}
    assert by_name["{{ item.id }} | 作業計画"]["survey_spec"] == ("{{ jichitai_awx_surveys[item.id].plan }}")
    workflow = by_name["{{ item.id }} | 作業計画と承認"]
    assert workflow["survey_spec"] == "{{ jichitai_awx_surveys[item.id].workflow }}"
    (record,) = [n for n in workflow["workflow_nodes"] if n["identifier"] == "record"]
    assert record["extra_data"]["jichitai_awx_apply_inputs"] == "{{ item.inputs | map(attribute='name') }}"
    surveys = awx_defines["surveys"]
    changing = [op for op in awx_defines["operations"] if not op["read_only"]]
    asking = [op for op in awx_defines["operations"] if op["read_only"] and op["inputs"]]
    assert set(surveys) == {op["id"] for op in changing + asking}
    # a read-only operation's run template asks its inputs, all optional when it runs on a schedule
    run_survey = by_name["{{ item.id }} | 実行"]["survey_spec"]
    assert run_survey == "{{ jichitai_awx_surveys[item.id].run | default(omit) }}"
    for op in asking:
        run = surveys[op["id"]]["run"]["spec"]
        assert [q["variable"] for q in run] == [i["name"] for i in op["inputs"]], op["id"]
        assert not (op["schedule"] and any(q["required"] for q in run)), op["id"]
    for op in changing:
        names = [i["name"] for i in op["inputs"]]
        plan, flow = surveys[op["id"]]["plan"]["spec"], surveys[op["id"]]["workflow"]["spec"]
        assert [q["variable"] for q in plan] == WINDOW + names, op["id"]
        assert [q["variable"] for q in flow] == WINDOW + names + ["workplan_override_reason"], op["id"]
        for item in op["inputs"]:
            for question in (q for q in plan + flow if q["variable"] == item["name"]):
                assert question["required"] is item["required"] and question["question_name"] == item["title"]
                assert item["example"] in question["question_description"] and question["type"] == "text"
    assert [q["variable"] for q in surveys["personnel_transfer"]["plan"]["spec"]] == [
        *WINDOW,
        "personnel_transfer_dir",
    ]


def record_approval_probes(tmp_path, cases):
    """The approval record's own vars and checks, run for real once per case (the extra vars the
    workflow hands it, as a list of dicts): what the schedule and the launch hand the apply job, and
    whether it refuses for a missing input. One play per case in one ansible-playbook run; a case's
    values sit beside the record's own vars as extra vars would (no other source sets them)."""
    record = load("awx/record_approval.yml")[0]
    module = {m: t[m] for t in record["tasks"] for m in t if m.startswith("awx.awx.")}
    check = next(
        t["ansible.builtin.assert"]
        for t in record["tasks"]
        if "jichitai_awx_apply_inputs" in str(t.get("ansible.builtin.assert", ""))
    )
    probe = [
        {
            "name": f"Probe {number}",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": record["vars"] | {k: v for extra in case for k, v in extra.items()},
            "tasks": [
                {
                    "name": f"Apply {number}",
                    "ansible.builtin.debug": {
                        "msg": {
                            "schedule": module["awx.awx.schedule"]["extra_data"],
                            "launch": module["awx.awx.job_launch"]["extra_vars"],
                            "complete": "{{ (" + " and ".join(check["that"]) + ") | bool }}",
                        }
                    },
                }
            ],
        }
        for number, case in enumerate(cases)
    ]
    (tmp_path / "probe.yml").write_text(yaml.safe_dump(probe, allow_unicode=True))
    said = ansible_playbook(str(tmp_path / "probe.yml"), "-e", "workplan_id=20270325T180000-0a1b2c3d",
                            tmp_path=tmp_path)  # fmt: skip
    return [debug_msg(said, f"Apply {number}") for number in range(len(cases))]


def test_approval_record_hands_the_plans_inputs_to_the_apply_job(awx_defines, tmp_path):
    """The apply job gets the plan's extra vars again (the guard compares them by name and digest):
    each of the operation's inputs and the override reason when the workflow was given one, beside
    workplan_id, and nothing the plan was not given."""
    plan_id = {"workplan_id": "20270325T180000-0a1b2c3d"}
    cases, expected = [], []
    for op in (op for op in awx_defines["operations"] if op["inputs"]):
        names = [i["name"] for i in op["inputs"]]  # what the workflow's record node hands the job
        answers = {name: f"{op['id']}/{name}" for name in names}
        workflow = {
            "jichitai_awx_apply_inputs": names,
            "workplan_window_start": "2026-12-16T22:00",
            **answers,
        }
        cases += [[workflow], [workflow, {"workplan_override_reason": "年度末"}],
                  [{"jichitai_awx_apply_inputs": names}]]  # fmt: skip
        expected += [
            (op["id"], plan_id | answers, plan_id | answers, True),
            (op["id"], plan_id | answers | {"workplan_override_reason": "年度末"}, None, None),
            (op["id"], plan_id, None, False),
        ]
    cases.append([])  # an operation without inputs
    expected.append(("(no inputs)", plan_id, None, None))
    assert len(expected) > 10
    said = record_approval_probes(tmp_path, cases)
    for msg, (op, schedule, launch, complete) in zip(said, expected, strict=True):
        assert msg["schedule"] == schedule, op
        assert launch is None or msg["launch"] == launch, op
        assert complete is None or msg["complete"] is complete, op


def test_awx_creates_what_its_templates_use(awx_tasks):
    modules = {}
    for task in awx_tasks:
        for key, args in task.items():
            if key.startswith("awx.awx."):
                modules.setdefault(key.removeprefix("awx.awx."), []).append(args)
    for kind in (
        "organization",
        "project",
        "inventory",
        "inventory_source",
        "execution_environment",
        "credential_type",
        "credential",
        "job_template",
        "workflow_job_template",
    ):
        assert kind in modules, kind
    (source,) = modules["inventory_source"]
    assert source["source"] == "scm" and source["source_project"] == "{{ jichitai_awx_project }}"
    assert source["source_path"] == "inventories/{{ jichitai_awx_inventory }}"
    (project,) = modules["project"]
    assert project["scm_type"] == "git" and project["scm_update_on_launch"] is True
    credentials = {c["name"] for c in modules["credential"]}
    play_vars = load("awx/controller.yml")[0]["vars"]
    for name in ("store", "vault", "machine", "controller", "hr_vault"):
        assert "{{ jichitai_awx_" + name + "_credential }}" in credentials, name
    assert "{{ item.name }}" in credentials  # the appliance credentials, one per type
    assert {c["credential_type"] for c in modules["credential"]} >= {"Vault", "Machine"}
    for task in awx_tasks:  # secrets never reach the log
        if (
            "awx.awx.credential" in task
            and task["awx.awx.credential"]["name"] != "{{ jichitai_awx_store_credential }}"
        ):
            assert task.get("no_log") is True, task["name"]
    assert play_vars["jichitai_awx_ee_image"].endswith(":{{ jichitai_awx_engine_version }}")


def test_awx_credentials_inject_every_vault_variable_the_city_inventory_reads():
    play_vars = load("awx/controller.yml")[0]["vars"]
    injected = {k for cred in play_vars["jichitai_awx_appliance_credentials"] for k in cred["extra_vars"]}
    used = set()
    for path in (ROOT / "inventories/moriguchi").rglob("*.yml"):
        used |= set(re.findall(r"\bvault_jichitai_[a-z0-9_]+", path.read_text()))
    assert used and used <= injected, used - injected
    for cred in play_vars["jichitai_awx_appliance_credentials"]:
        fields = {f["id"] for f in cred["fields"]}
        assert set(cred["secrets"]) == fields and set(cred["required"]) <= fields, cred["name"]
        assert all(f.get("secret") for f in cred["fields"]), cred["name"]
        for value in cred["extra_vars"].values():
            assert re.fullmatch(r"\{\{ (\w+) \}\}", value).group(1) in fields


def test_awx_ee_image_is_tagged_with_the_engine_version_the_callback_expects(awx_defines):
    version = re.search(r'^__version__ = "([^"]+)"', (ROOT / "jichitai_ops/__init__.py").read_text(), re.M)[1]
    assert awx_defines["engine_version"] == version
    assert awx_defines["execution_environment_image"].endswith(f"/jichitai-ops-ee:{version}")
    assert load("execution-environment.yml")["options"]["tags"] == [f"jichitai-ops-ee:{version}"]


def test_survey_example_window_schedules_the_apply_job(tmp_path):
    """The schedule is computed by the approval record's own vars and rrule expression, for the
    survey's example and for the window as the guard hands it on with set_stats."""
    play_vars = load("awx/controller.yml")[0]["vars"]
    example = re.search(
        r"例 (\S+)", play_vars["jichitai_awx_window_survey"]["spec"][0]["question_description"]
    )[1]
    record = load("awx/record_approval.yml")[0]
    schedule = next(t["awx.awx.schedule"] for t in record["tasks"] if "awx.awx.schedule" in t)
    check = next(
        t["ansible.builtin.assert"]
        for t in record["tasks"]
        if "ansible.builtin.assert" in t and "jichitai_awx_window_rest" in str(t["ansible.builtin.assert"])
    )
    probe = [
        {
            "name": "Probe",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": record["vars"],
            "tasks": [
                {
                    "name": "Rrule",
                    "ansible.builtin.debug": {
                        "msg": {
                            "rrule": schedule["rrule"],
                            "readable": "{{ (" + " and ".join(check["that"]) + ") | bool }}",
                        }
                    },
                }
            ],
        }
    ]
    (tmp_path / "probe.yml").write_text(yaml.safe_dump(probe, allow_unicode=True))
    for window in (example, "2026-12-16T22:00:00+09:00"):
        out = ansible_playbook(
            str(tmp_path / "probe.yml"), "-e", f"workplan_window_start={window}", tmp_path=tmp_path
        )
        msg = debug_msg(out, "Rrule")
        assert msg["readable"] is True, window
        assert msg["rrule"].split() == [
            "DTSTART;TZID=Asia/Tokyo:20261216T220000",
            "RRULE:FREQ=MINUTELY;INTERVAL=1;COUNT=1",
        ], window
    assert example == "2026-12-16T22:00"


def test_approval_lookup_filters_by_fields_an_approval_has():
    """A workflow approval is a unified job: it reaches its workflow job through its node
    (unified_job_node.workflow_job); it has no workflow_job field. The approver is
    summary_fields.approved_or_denied_by."""
    record = load("awx/record_approval.yml")[0]
    query = record["vars"]["jichitai_awx_approval_query"]
    assert query["unified_job_node__workflow_job"] == "{{ awx_workflow_job_id }}"
    assert "workflow_job" not in query and query["status"] == "successful"
    text = (ROOT / "awx/record_approval.yml").read_text()
    assert "summary_fields.approved_or_denied_by" in text and "'workflow_approvals'" in text


# ---------------------------------------------------------------------------------------- Semaphore


@pytest.fixture(scope="module")
def semaphore():
    return json.loads((ROOT / "semaphore/jichitai-ops.json").read_text())


def test_semaphore_backup_is_what_the_generator_writes_today(tmp_path):
    dest = tmp_path / "backup.json"
    ansible_playbook(
        "semaphore/project.yml", "-e", f"jichitai_semaphore_backup_file={dest}", tmp_path=tmp_path
    )
    assert json.loads(dest.read_text()) == json.loads((ROOT / "semaphore/jichitai-ops.json").read_text()), (
        "semaphore/jichitai-ops.json is stale: run `ansible-playbook semaphore/project.yml`"
    )


def test_semaphore_has_plan_and_apply_for_every_state_changing_playbook_and_a_run_for_read_only(semaphore):
    by_name = {t["name"]: t for t in semaphore["templates"]}
    for playbook in PLAYBOOKS:
        path = f"playbooks/{playbook.name}"
        if has_guard(playbook):
            plan, apply = by_name[f"{playbook.stem} | 作業計画"], by_name[f"{playbook.stem} | 作業実施"]
            assert plan["playbook"] == apply["playbook"] == path
            assert json.loads(plan["arguments"]) == ["--check", "--diff"]
            assert [v["name"] for v in plan["survey_vars"]][:2] == WINDOW
            assert json.loads(apply["arguments"]) == ["--diff"]
            assert [v["name"] for v in apply["survey_vars"]][:1] == ["workplan_id"]
        else:
            run = by_name[f"{playbook.stem} | 実行"]
            assert run["playbook"] == path and json.loads(run["arguments"]) == []
            assert f"{playbook.stem} | 作業実施" not in by_name
    operation_books = {
        t["playbook"] for t in semaphore["templates"] if t["playbook"].startswith("playbooks/")
    }
    assert operation_books == {f"playbooks/{p.name}" for p in PLAYBOOKS}
    for tpl in semaphore["templates"]:
        assert (ROOT / tpl["playbook"]).is_file(), tpl["playbook"]


def test_semaphore_plan_and_apply_ask_each_operations_inputs(semaphore, awx_defines):
    """Semaphore passes a survey's answers as extra vars: the plan and the apply of an operation ask
    its inputs, so the operator gives the apply the plan's values again (the guard compares them)."""
    by_name = {t["name"]: t for t in semaphore["templates"]}
    for op in awx_defines["operations"]:
        names = [i["name"] for i in op["inputs"]]
        if op["read_only"]:
            assert [v["name"] for v in by_name[f"{op['id']} | 実行"]["survey_vars"]] == names, op["id"]
            continue
        plan, apply = by_name[f"{op['id']} | 作業計画"], by_name[f"{op['id']} | 作業実施"]
        assert [v["name"] for v in plan["survey_vars"]] == WINDOW + names, op["id"]
        assert [v["name"] for v in apply["survey_vars"]] == ["workplan_id", *names], op["id"]
        for item in op["inputs"]:
            for var in (v for v in plan["survey_vars"] + apply["survey_vars"] if v["name"] == item["name"]):
                assert var["required"] is item["required"] and item["example"] in var["title"]
                assert var["type"] == "" and var["values"] == []
    transfer = by_name["personnel_transfer | 作業実施"]
    assert "personnel_transfer_dir" in [v["name"] for v in transfer["survey_vars"]]


def test_semaphore_backup_references_resolve_as_its_restore_resolves_them(semaphore):
    """services/project/restore.go: entities are matched by name; a repository needs its ssh_key."""
    keys = {k["name"] for k in semaphore["keys"]}
    assert all(set(k) == {"name", "type"} for k in semaphore["keys"])  # references only, no secret
    assert {k["type"] for k in semaphore["keys"]} <= {"ssh", "login_password", "none", "string"}
    for repo in semaphore["repositories"]:
        assert repo["ssh_key"] in keys
    for inv in semaphore["inventories"]:
        assert inv["type"] == "file" and (ROOT / inv["inventory"]).is_dir()
        assert inv.get("ssh_key", next(iter(keys))) in keys
    names = {
        kind: {e["name"] for e in semaphore[kind]} for kind in ("repositories", "inventories", "environments")
    }
    views = {v["title"] for v in semaphore["views"]}
    assert len({t["name"] for t in semaphore["templates"]}) == len(semaphore["templates"])
    for tpl in semaphore["templates"]:
        assert tpl["app"] == "ansible" and tpl["type"] == ""
        assert tpl["repository"] in names["repositories"]
        assert tpl["inventory"] in names["inventories"] and tpl["environment"] in names["environments"]
        assert tpl["view"] in views
        assert all(v["vault_key"] in keys for v in tpl["vaults"])
        assert isinstance(json.loads(tpl["arguments"]), list)
        for var in tpl["survey_vars"]:
            assert {"name", "title", "type", "required"} <= set(var)
    for env in semaphore["environments"]:
        variables = json.loads(env["env"])
        assert variables["JICHITAI_WORKPLAN_DIR"].startswith("/")
        assert json.loads(env["json"]) == {}
    assert set(semaphore) >= {
        "meta",
        "templates",
        "repositories",
        "keys",
        "views",
        "inventories",
        "environments",
    }
    assert "id" not in json.dumps(semaphore).replace('"', " ").split()  # names, never placeholder ids


# ---------------------------------------------------------------------------- execution environment


@pytest.fixture(scope="module")
def ee():
    return load("execution-environment.yml")


def ee_requirements(ee):
    deps = ee["dependencies"]
    reqs = [Requirement(r) for r in deps["python"]]
    reqs += [Requirement(deps[k]["package_pip"]) for k in ("ansible_core", "ansible_runner")]
    return {canonicalize_name(r.name): r for r in reqs}


def code_imports():
    """Top-level names the code imports (absolute imports), with a file that imports each."""
    found = {}
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def test_every_python_import_of_the_code_is_in_the_ee(ee):
    wanted = ee_requirements(ee)
    distributions = importlib.metadata.packages_distributions()
    third_party = {
        name: where
        for name, where in code_imports().items()
        if name not in sys.stdlib_module_names and name not in OWN_PACKAGES
    }
    assert {"yaml", "ldap3", "openpyxl"} <= set(third_party)  # the scan sees the code
    for name, where in sorted(third_party.items()):
        dists = {canonicalize_name(d) for d in distributions.get(name, [])}
        assert dists, f"{where} imports {name}, which no installed distribution provides"
        assert dists & set(wanted), f"{where} imports {name} ({', '.join(sorted(dists))}): not in the EE"


def test_ee_pins_agree_with_the_toolchain_and_cover_the_engine(ee):
    wanted = ee_requirements(ee)
    for req in wanted.values():
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", str(req)
    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pinned[canonicalize_name(req.name)] = req
    for name, req in wanted.items():
        if name in pinned:
            assert req.specifier == pinned[name].specifier, (
                f"{name}: EE {req.specifier}, venv {pinned[name].specifier}"
            )
    engine = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in engine:
        assert canonicalize_name(Requirement(dep).name) in wanted, dep


def test_ee_installs_the_engine_package(ee):
    files = {(f["src"], f["dest"]) for f in ee["additional_build_files"]}
    assert ("pyproject.toml", "jichitai-ops") in files and (
        "jichitai_ops",
        "jichitai-ops/jichitai_ops",
    ) in files
    steps = ee["additional_build_steps"]["append_final"]
    assert "COPY _build/jichitai-ops /tmp/jichitai-ops" in steps
    assert any(re.match(r"RUN \$PYCMD -m pip install .*/tmp/jichitai-ops", s) for s in steps)


def yaml_files():
    for path in sorted(ROOT.rglob("*.y*ml")):
        rel = path.relative_to(ROOT)
        if SKIP_DIRS & set(rel.parts) or rel.name in {"requirements.yml", "execution-environment.yml"}:
            continue
        yield path


def installed_collections():
    base = Path(importlib.util.find_spec("ansible_collections").submodule_search_locations[0])
    return {f"{ns.name}.{c.name}" for ns in base.iterdir() if ns.is_dir() for c in ns.iterdir() if c.is_dir()}


def used_collections():
    known = installed_collections()
    used = {}

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and re.fullmatch(
                    r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", key
                ):
                    yield key
                yield from keys(value)
        elif isinstance(node, list):
            for value in node:
                yield from keys(value)

    for path in yaml_files():
        text = path.read_text(errors="replace")
        try:
            docs = list(yaml.load_all(text, Loader=Loader))  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError:
            docs = []
        names = set(keys(docs))  # task keywords (modules) even of collections not installed
        names |= {
            m
            for m in re.findall(r"\b[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\b", text)
            if ".".join(m.split(".")[:2]) in known
        }  # lookups, filters, tests, connection plugins
        for name in names:
            collection = ".".join(name.split(".")[:2])
            if collection not in {"ansible.builtin", "ansible.legacy"}:
                used.setdefault(collection, str(path.relative_to(ROOT)))
    return used


def test_requirements_yml_is_exactly_the_collections_the_yaml_uses_and_the_ee_installs_them(ee):
    used = used_collections()
    required = {c["name"] for c in load("requirements.yml")["collections"]}
    assert "ansible.windows" in used and "awx.awx" in used
    missing = {c: where for c, where in used.items() if c not in required}
    assert not missing, f"used but not in requirements.yml: {missing}"
    assert required == set(used), f"in requirements.yml but used nowhere: {required - set(used)}"
    assert ee["dependencies"]["galaxy"] == "requirements.yml"


def test_ansible_builder_creates_the_build_context(tmp_path):
    context = tmp_path / "context"
    out = subprocess.run(
        [
            str(VENV_BIN / "ansible-builder"),
            "create",
            "-f",
            "execution-environment.yml",
            "-c",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    containerfile = (context / "Containerfile").read_text()
    assert (
        "FROM base AS final" in containerfile
        and "pip install --no-cache-dir /tmp/jichitai-ops" in containerfile
    )
    assert (context / "_build/jichitai-ops/jichitai_ops/__init__.py").is_file()
    assert (context / "_build/requirements.yml").read_text() == (ROOT / "requirements.yml").read_text()
    python = (context / "_build/requirements.txt").read_text().split()
    assert "openpyxl==3.1.5" in python
