"""The apply run's journal: modules journal each change before the next, stop when the controller is
gone, and a killed run's report is made from the journal (no Ansible, no lab)."""

import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils.workplan import journal as module_journal

from jichitai_ops import cli
from jichitai_ops.workplan import journal, render
from jichitai_ops.workplan import plan as plan_mod
from jichitai_ops.workplan import store as store_mod

PLAN_ID = "20261201T100000-0000beef"
RUN = "aa11bb22cc33dd44"
KEY_A = "roles/x/tasks/main.yml:1|Create the OUs"
KEY_B = "roles/x/tasks/main.yml:9|Cut over AD"


def test_a_module_journals_each_change_with_secrets_masked(tmp_path):
    path = tmp_path / "journal" / f"{RUN}.changes.jsonl"
    j = module_journal.Journal("ad_personnel", {"path": str(path), "controller_pid": os.getpid(), "run": RUN})
    j.write("add", target="ldaps://dc01", obj="add CN=a", after={"cn": "a", "unicodePwd": b"secret-pw"})
    j.write(
        "modify", target="ldaps://dc01", obj="modify CN=b", after={"title": "課長"}, ok=False, note="busy"
    )
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(x["action"], x["ok"], x["run"]) for x in lines] == [("add", True, RUN), ("modify", False, RUN)]
    assert "secret-pw" not in path.read_text(encoding="utf-8")
    assert lines[0]["after"]["unicodePwd"] == "********"
    assert lines[1]["after"] == {"title": "課長"}


def test_without_a_journal_nothing_is_written(tmp_path):
    j = module_journal.Journal("dhcp_reservations", None)
    j.write("config-set", target="dhcp01", obj="subnet")
    j.check_controller()
    assert j.count == 0 and not list(tmp_path.iterdir())


def test_a_module_stops_when_its_controller_is_gone(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    start = module_journal.process_start(gone.pid)
    gone.wait()
    path = tmp_path / "changes.jsonl"
    alive = module_journal.Journal(
        "m",
        {
            "path": str(path),
            "controller_pid": os.getpid(),
            "controller_start": journal.process_start(os.getpid()),
        },
    )
    alive.check_controller()  # this process is running: no exception
    dead = module_journal.Journal(
        "m", {"path": str(path), "controller_pid": gone.pid, "controller_start": start}
    )
    with pytest.raises(module_journal.ControllerGone):
        dead.check_controller()
    reused = module_journal.Journal(
        "m", {"path": str(path), "controller_pid": os.getpid(), "controller_start": "1"}
    )  # same pid, another start time: a reused pid is not the controller
    with pytest.raises(module_journal.ControllerGone):
        reused.check_controller()
    assert [json.loads(x)["action"] for x in path.read_text().splitlines()] == ["abandoned", "abandoned"]


def _record(key, state, seq, diffs=None, task="t"):
    return {
        "seq": seq,
        "host": "dc01",
        "task": task,
        "key": key,
        "occurrence": 1,
        "action": "ad_personnel",
        "role": "x",
        "handler": False,
        "no_log": False,
        "minutes": None,
        "ran_for_real": False,
        "started": None,
        "ended": None,
        "entries": [{"label": None, "state": state, "note": "", "diffs": diffs or []}],
    }


def _killed_run(folder):
    """A run killed while its second task (the AD cutover) was in flight, after two of its writes."""
    tasks = journal.tasks_path(folder, RUN)
    diff = [{"header": "", "before": "", "after": "OU=新\n"}]
    journal.append(tasks, {"event": "run", "plan_id": PLAN_ID, "started": "2027-03-31T21:00:00+09:00"})
    journal.append(
        tasks,
        {
            "event": "start",
            "host": "dc01",
            "key": KEY_A,
            "task": "Create",
            "action": "ad_personnel",
            "seq": 1,
            "occurrence": 1,
        },
    )
    journal.append(tasks, {"event": "result", "record": _record(KEY_A, "changed", 1, diff, "Create")})
    journal.append(
        tasks,
        {
            "event": "start",
            "host": "dc01",
            "key": KEY_B,
            "task": "Cut over AD",
            "action": "ad_personnel",
            "seq": 2,
            "occurrence": 1,
        },
    )
    with open(tasks, "a", encoding="utf-8") as fh:
        fh.write('{"event": "result", "rec')  # torn by the kill
    changes = journal.changes_path(folder, RUN)
    j = module_journal.Journal("ad_personnel", {"path": changes, "run": RUN})
    j.write("move", target="ldaps://dc01", obj="move CN=a -> OU=190300")
    j.write("modify", target="ldaps://dc01", obj="modify CN=a", after={"title": "主任"})
    return diff


def test_a_killed_run_is_read_back_from_its_journal(tmp_path):
    _killed_run(str(tmp_path))
    run = journal.load_run(str(tmp_path), RUN)
    assert run["interrupted"] and run["plan_id"] == PLAN_ID
    by_key = {r["key"]: r for r in run["records"]}
    assert by_key[KEY_A]["entries"][0]["state"] == "changed"
    cut = by_key[KEY_B]["entries"][-1]
    assert cut["interrupted"] and cut["state"] == "failed" and cut["journal_changes"] == 2
    assert "move CN=a -> OU=190300" in cut["diffs"][0]["prepared"]
    earlier = journal.earlier_changes(journal.runs(str(tmp_path)), "another-run")
    assert set(earlier) == {("dc01", KEY_A, 1, None), ("dc01", KEY_B, 1, None)}
    assert earlier[("dc01", KEY_B, 1, None)][0]["interrupted"]
    assert journal.earlier_changes(journal.runs(str(tmp_path)), RUN) == {}


def test_a_finished_run_is_not_interrupted(tmp_path):
    _killed_run(str(tmp_path))
    journal.append(journal.tasks_path(str(tmp_path), RUN), {"event": "end"})
    assert not journal.load_run(str(tmp_path), RUN)["interrupted"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "plans"
    monkeypatch.setenv("JICHITAI_WORKPLAN_DIR", str(root))
    diff = [{"header": "", "before": "", "after": "OU=新\n"}]
    plan = {
        "id": PLAN_ID,
        "mode": "plan",
        "title": "人事異動",
        "clause": "§6-3(7)",
        "window": {"start": "2027-03-25T18:00:00+09:00", "end": "2027-04-01T08:00:00+09:00"},
        "estimate": {"minutes": 10},
        "tasks": [
            _record(KEY_A, "changed", 1, diff, "Create"),
            _record(KEY_B, "changed", 2, [{"header": "", "before": "a\n", "after": "b\n"}], "Cut over AD"),
        ],
    }
    store_mod.write_plan(str(root), plan)
    _killed_run(store_mod.plan_dir(str(root), PLAN_ID))
    return root


def test_report_command_writes_the_killed_run_s_report_from_its_journal(store, capsys):
    assert cli.main(["report", PLAN_ID]) == cli.EXIT_REVIEW
    out = capsys.readouterr().out
    assert "中断" in out and "中断したタスクで記録された変更 2 件" in out and "jichitai-ops apply" in out
    folder = store / PLAN_ID
    reports = list((folder / "reports").iterdir())
    assert len(reports) == 1 and reports[0].name.endswith("-interrupted")
    report = json.loads((reports[0] / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "review" and report["interrupted"]
    assert {w["code"] for w in report["warnings"]} >= {"interrupted"}
    rows = {r["key"]: r for r in report["rows"]}
    assert rows[KEY_A]["verdict"] == "matched"
    assert rows[KEY_B]["actual"] == "failed"
    assert "modify CN=a" in rows[KEY_B]["actual_diffs"][0]["prepared"]
    assert (folder / "report.json").is_file()
    md = (reports[0] / "report.md").read_text(encoding="utf-8")
    assert "強制終了" in md and "modify CN=a" in md and "move CN=a -> OU=190300" in md
    assert cli.main(["report", PLAN_ID]) == cli.EXIT_REVIEW  # the same folder again, not a second report
    assert len(list((folder / "reports").iterdir())) == 1


def test_the_next_run_s_report_names_the_interrupted_run(store):
    plan, _, _ = store_mod.load_plan(str(store), PLAN_ID)
    guard = {"id": PLAN_ID, "mode": "apply", "store": str(store), "meta": {}}
    report = plan_mod.assemble_report(
        plan,
        guard,
        [],
        {},
        "2027-03-31T22:00:00+09:00",
        "2027-03-31T22:10:00+09:00",
        False,
        run_token="ee55ff66aa77bb88",
    )
    assert [h["run"] for h in report["history"]] == [RUN]
    assert report["history"][0]["interrupted"] and report["history"][0]["journal_changes"] == 2
    assert "earlier_interrupted" in {w["code"] for w in report["warnings"]}


def test_a_rerun_after_the_kill_is_judged_with_the_earlier_run(store):
    """The rerun finds the killed run's finished task done and completes the interrupted one: both are
    changes made as planned, across the two runs - neither 計画した変更なし nor 相違."""
    plan, _, _ = store_mod.load_plan(str(store), PLAN_ID)
    guard = {"id": PLAN_ID, "mode": "apply", "store": str(store), "meta": {}}
    rest = [{"header": "", "before": "a\n", "after": "a2\n"}]  # what the kill left to do
    records = [_record(KEY_A, "ok", 1), _record(KEY_B, "changed", 2, rest)]
    report = plan_mod.assemble_report(
        plan,
        guard,
        records,
        {},
        "2027-03-31T22:00:00+09:00",
        "2027-03-31T22:10:00+09:00",
        False,
        run_token="ee55ff66aa77bb88",
    )
    verdicts = {r["key"]: r["verdict"] for r in report["rows"]}
    assert verdicts == {KEY_A: "done_earlier", KEY_B: "completed_across_runs"}
    assert all(RUN[:6] in r["note"] for r in report["rows"])
    assert report["verdict"] == "ok"
    md = render.render_report(report, "md")
    assert "この計画の実行履歴" in md and "中断（強制終了）" in md and RUN[:6] in md
    # without the journal the same rerun would be two findings
    alone = plan_mod.assemble_report(
        plan,
        {**guard, "store": None},
        records,
        {},
        "2027-03-31T22:00:00+09:00",
        "2027-03-31T22:10:00+09:00",
        False,
        run_token="ee55ff66aa77bb88",
    )
    assert {r["key"]: r["verdict"] for r in alone["rows"]} == {
        KEY_A: "planned_not_changed",
        KEY_B: "diff_differs",
    }
