"""The work-plan plugins as Ansible sees them: documentation renders, the role's contract, secret handling."""

import importlib.util
import json
import os
import subprocess
import types
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def ansible_doc(*args):
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    out = subprocess.run(
        [str(VENV_BIN / "ansible-doc"), "--json", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def load_plugin(path, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_callback_documentation_renders():
    doc = ansible_doc("-t", "callback", "workplan")["workplan"]["doc"]
    assert doc["type"] == "notification" and any(
        "作業報告書" in d or "計画外" in d for d in doc["description"]
    )


@pytest.mark.parametrize(
    "name, options",
    [
        (
            "workplan_guard",
            {"title", "clause", "kind", "disruptive", "rollback", "contingency", "plan_id", "now"},
        ),
        (
            "workplan_approve",
            {"plan_id", "approver", "expected_digest", "override_calendar", "override_reason"},
        ),
    ],
)
def test_action_documentation_renders(name, options):
    doc = ansible_doc("-t", "module", name)[name]  # library/<name>.py, the action's doc-only module
    assert options <= set(doc["doc"]["options"]) and doc["examples"] and doc["return"]


def test_action_argument_specs_match_their_documentation():
    for path, name in (
        ("plugins/action/workplan_guard.py", "g"),
        ("plugins/action/workplan_approve.py", "a"),
    ):
        module = load_plugin(path, f"workplan_doc_{name}")
        docs = load_plugin(path.replace("plugins/action/", "library/"), f"workplan_docs_only_{name}")
        documented = yaml.safe_load(docs.DOCUMENTATION)["options"]
        assert set(documented) == set(module.ARGSPEC), path
        for option, spec in module.ARGSPEC.items():
            assert documented[option]["type"] == spec["type"], option
            assert documented[option].get("required", False) == spec.get("required", False), option


def test_role_contract_is_the_guard_contract():
    role = ansible_doc("-t", "role", "-r", "roles", "workplan")["workplan"]["entry_points"]["main"]["options"]
    tasks = yaml.safe_load((ROOT / "roles/workplan/tasks/main.yml").read_text())
    passed = tasks[0]["workplan_guard"]
    guard = load_plugin("plugins/action/workplan_guard.py", "workplan_guard_contract")
    assert set(passed) == set(guard.ARGSPEC)
    required = {k for k, v in role.items() if v.get("required")}
    assert required == {
        "workplan_title",
        "workplan_clause",
        "workplan_kind",
        "workplan_disruptive",
        "workplan_rollback",
        "workplan_contingency",
    }
    assert role["workplan_kind"]["choices"] == list(guard.ARGSPEC["kind"]["choices"])
    assert tasks[0]["run_once"] and tasks[0]["any_errors_fatal"] and tasks[0]["tags"] == ["always"]


def test_secret_extra_vars_are_never_digested():
    guard = load_plugin("plugins/action/workplan_guard.py", "workplan_guard_secrets")

    class Loader:
        pass

    values = {
        "transfer_csv": "a.csv",
        "ad_bind_password": "S3cret!",
        "kea_api_token": "t",
        "snmp_community": "c",
    }
    guard.load_extra_vars = lambda loader: dict(values)
    out = guard._extra_vars(Loader())
    assert out == {
        "transfer_csv": "a.csv",
        "ad_bind_password": "(secret)",
        "kea_api_token": "(secret)",
        "snmp_community": "(secret)",
    }


def test_callback_hides_diffs_of_content_built_from_secrets():
    callback = load_plugin("plugins/callback/workplan.py", "workplan_callback_secrets")
    task = types.SimpleNamespace
    assert callback._sensitive(task(args={"content": "pw={{ vault_lab_kea_api_password }}\n"}))
    assert callback._sensitive(task(args={"line": "community {{ snmp_rw_community }}"}))
    assert not callback._sensitive(task(args={"content": "listen = {{ ansible_host }}\n"}))
    assert not callback._sensitive(
        task(args={"password": "{{ vault_x }}", "name": "svc"})
    )  # module hides no_log params

    class EncryptedString(str):
        pass

    assert callback._sensitive(task(args={"content": EncryptedString("x")}))
