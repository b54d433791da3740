"""personnel_phase's action plugin: a check run's cutover task takes the plan its prepare task made."""

from __future__ import annotations

import importlib.util
import json
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_plugin():
    spec = importlib.util.spec_from_file_location(
        "personnel_phase_action", ROOT / "plugins/action/personnel_phase.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plugin = load_plugin()

SHARED = {
    "hr_list": "/transfers/2027-04/hr.csv",
    "ldap_url": "ldaps://ad01.example:636",
    "ldap_bind_password": "s3cret-bind",
    "transfer_systems": [{"system": "internet_lgwan", "api_key": "s3cret-key", "hosts": ["xfer01"]}],
}


class Runner(plugin.ActionModule):
    """The plugin with Ansible's task, connection and module run replaced by records of the calls; the
    module run writes the cutover's plan where it is told to, as personnel_phase does."""

    def __init__(self, args, check=True, transport="local", handed=None):
        self._task = types.SimpleNamespace(args=args, async_val=0)
        self._play_context = types.SimpleNamespace(check_mode=check)
        self._connection = types.SimpleNamespace(
            transport=transport, _shell=types.SimpleNamespace(tmpdir=None)
        )
        self.handed = handed or {
            "changed": True,
            "diff": [{"before_header": "u200005", "before": "", "after": "x"}],
        }
        self.calls = []

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **_):
        self.calls.append(module_args)
        if module_args.get("cutover_plan_file"):
            Path(module_args["cutover_plan_file"]).write_text(json.dumps(self.handed), encoding="utf-8")
        return {"changed": False, "ran": module_args["phase"]}

    def _remove_tmp_path(self, tmp_path, force=False):
        return None


@pytest.fixture(autouse=True)
def local_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(plugin.C, "DEFAULT_LOCAL_TMP", str(tmp_path))
    monkeypatch.setattr(plugin.ActionBase, "run", lambda self, tmp=None, task_vars=None: {})
    return tmp_path


def run(args, **kwargs):
    runner = Runner(args, **kwargs)
    return runner, runner.run(task_vars={"inventory_hostname": "ad01"})


def test_the_check_runs_cutover_is_the_plan_its_prepare_task_made(local_tmp):
    prepare, _ = run(dict(SHARED, phase="prepare", import_files=True))
    assert prepare.calls[0]["cutover_plan_file"].startswith(str(local_tmp))
    cutover, result = run(dict(SHARED, phase="cutover", import_files=False))
    assert cutover.calls == [], "the cutover started the module although its plan was handed over"
    assert result["diff"] == prepare.handed["diff"] and result["changed"] is True
    assert list(local_tmp.iterdir()) == [], "the hand-over is left behind"


def test_a_cutover_with_other_arguments_runs_the_module(local_tmp):
    run(dict(SHARED, phase="prepare"))
    cutover, result = run(dict(SHARED, phase="cutover", hr_list="/transfers/2027-10/hr.csv"))
    assert len(cutover.calls) == 1 and result["ran"] == "cutover"


def test_an_apply_and_a_remote_run_never_hand_over(local_tmp):
    for options in ({"check": False}, {"transport": "ssh"}):
        prepare, _ = run(dict(SHARED, phase="prepare"), **options)
        assert "cutover_plan_file" not in prepare.calls[0]
        cutover, result = run(dict(SHARED, phase="cutover"), **options)
        assert len(cutover.calls) == 1 and result["ran"] == "cutover"
    assert list(local_tmp.iterdir()) == []


def test_a_failed_plan_of_the_cutover_fails_the_cutover_task():
    failure = {"failed": True, "msg": "転送システム internet_lgwan の入力に誤りがあります"}
    prepare, result = run(dict(SHARED, phase="prepare"), handed=failure)
    assert not result.get("failed")
    _, result = run(dict(SHARED, phase="cutover"))
    assert result["failed"] is True and "internet_lgwan" in result["msg"]


def test_no_secret_goes_into_the_hand_overs_name():
    path = plugin.hand_over_path(SHARED, "ad01")
    other_secrets = dict(
        SHARED,
        ldap_bind_password="another",
        transfer_systems=[dict(SHARED["transfer_systems"][0], api_key="another")],
    )
    assert plugin.hand_over_path(other_secrets, "ad01") == path
    assert plugin.hand_over_path(dict(SHARED, ldap_url="ldaps://ad02.example:636"), "ad01") != path
    assert plugin.hand_over_path(SHARED, "ad02") != path
