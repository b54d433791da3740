"""The backup run's decisions (library/backup_run.py): the job's problems named, the plan's diff (the
generations, the new one without an id, each forgotten one with its reason), the ids read back from the
work plan, and an apply that forgets exactly the plan's ids, never after a failed backup, and takes no
second generation under the same plan."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import ansible.module_utils
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "plugins" / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "plugins" / "module_utils"))
_spec = importlib.util.spec_from_file_location("backup_run_module", REPO / "library" / "backup_run.py")
br = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(br)

JOB = {
    "name": "fs01-share",
    "repository": "/srv/backup/repos/fs01-share",
    "paths": ["/srv/share"],
    "source_host": "fs01",
    "run_record": "/srv/backup/records/fs01-share.json",
}


def snap(n, host="fs01", paths=("/srv/share",), tags=()):
    return {
        "id": f"{n:02d}" + "a" * 62,
        "short_id": f"{n:02d}aaaaaa",
        "time": f"2026-12-0{n}T18:30:00Z",
        "hostname": host,
        "paths": list(paths),
        "tags": list(tags),
    }


def test_every_problem_of_a_job_is_named():
    problems = br.job_problems({"name": "Bad Name", "paths": ["relative/x", "/ok"]})
    assert "job 'Bad Name': name must be [a-z0-9-]+" in problems
    assert {
        "job 'Bad Name': repository is required",
        "job 'Bad Name': source_host is required",
        "job 'Bad Name': run_record is required",
        "job 'Bad Name': path 'relative/x' is not absolute",
    } <= set(problems)
    assert br.job_problems(JOB) == []


def test_three_generations_and_a_new_one_forget_the_oldest_with_its_reason():
    snaps = [snap(1), snap(2), snap(3)]
    plan, before, after = br.planned(snaps, JOB, 3, "2026-12-04T18:30:00Z")
    assert [e["id"] for e in plan["forget"]] == [snaps[0]["id"]]
    assert before[0].startswith(
        "01aaaaaa  2026-12-02 03:30 JST  削除: 最新から4世代目。契約の保持世代数 3 を超える"
    )
    assert after == [br.NEW_LINE, "02aaaaaa  2026-12-03 03:30 JST", "03aaaaaa  2026-12-04 03:30 JST"]
    assert before[1:] == after[1:]  # the kept generations are unchanged lines


def test_two_generations_and_a_new_one_forget_nothing_and_other_hosts_are_left_alone():
    snaps = [snap(1, host="other"), snap(2, host="other"), snap(3, host="other"), snap(4), snap(5)]
    plan, before, after = br.planned(snaps, JOB, 3, "2026-12-06T18:30:00Z")
    assert plan["forget"] == []
    assert before == ["04aaaaaa  2026-12-05 03:30 JST", "05aaaaaa  2026-12-06 03:30 JST"]
    assert after[0] == br.NEW_LINE


def test_the_plan_taken_already_adds_no_new_generation():
    snaps = [snap(2), snap(3), snap(4, tags=["workplan-p1"])]
    plan, before, after = br.planned(snaps, JOB, 3, "2026-12-06T18:30:00Z", taken=True)
    assert plan["forget"] == [] and before == after


def write_plan(tmp_path, before, after, job="fs01-share"):
    folder = tmp_path / "plans" / "20261207T000000-abcd"
    (folder / "journal").mkdir(parents=True)
    diff = {"before": before, "after": after, "header": f"backup_run [{job}] /srv/backup/repos/{job}"}
    tasks = [
        {
            "host": "localhost",
            "key": "roles/backup_run/tasks/main.yml:31|backup",
            "entries": [{"label": job, "state": "changed", "diffs": [diff]}],
        }
    ]
    (folder / "plan.json").write_text(json.dumps({"tasks": tasks}), encoding="utf-8")
    return str(folder / "journal" / "run1.changes.jsonl")


def test_the_ids_the_plan_removed_are_read_back_for_that_job_only(tmp_path):
    journal = write_plan(tmp_path, "01aaaaaa  t  削除: ...\n02aaaaaa  t\n", f"{br.NEW_LINE}\n02aaaaaa  t\n")
    assert br.plan_forget_ids(journal, "fs01-share") == ["01aaaaaa"]
    assert br.plan_forget_ids(journal, "other-job") is None
    assert br.plan_forget_ids(str(tmp_path / "nowhere" / "journal" / "x"), "fs01-share") is None


class Module:
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.failed = None

    def fail_json(self, **kwargs):
        self.failed = kwargs
        raise SystemExit(1)


class Engine:
    def __init__(self, snaps, result="success"):
        self.snaps = list(snaps)
        self.result = result
        self.calls = []

    def snapshots(self):
        return list(self.snaps)

    def backup(self, paths, host=None, tags=None):
        self.calls.append(("backup", tags))
        if self.result == "failed":
            return {"result": "failed", "snapshot_id": None, "errors": ["Fatal: unable to open config file"]}
        self.snaps.append(snap(9, tags=tags or []))
        return {"result": "success", "snapshot_id": "09aaaaaa", "errors": []}

    def forget(self, ids):
        self.calls.append(("forget", list(ids)))
        self.snaps = [s for s in self.snaps if s["id"] not in ids]
        return {"ok": True, "rc": 0, "errors": [], "forgotten": list(ids)}


class Journal:
    def check_controller(self):
        pass

    def write(self, *args, **kwargs):
        pass


def test_check_mode_lists_only():
    eng = Engine([snap(1), snap(2), snap(3)])
    out = br.apply(Module(check_mode=True), eng, JOB, 3, None, Journal(), None)
    assert eng.calls == [] and out["changed"] is True
    assert [e["short_id"] for e in out["retention"]["forget"]] == ["01aaaaaa"]
    assert "新しい世代を取得する（ID は取得時に決まる）" in out["msg"]


def test_the_apply_forgets_exactly_what_the_plan_named_not_what_it_would_compute_now(tmp_path):
    # the plan named 01; a scheduled run came in between (04), so the retention now would forget 01 and 02
    eng = Engine([snap(1), snap(2), snap(3), snap(4)])
    journal = write_plan(
        tmp_path,
        "01aaaaaa  t  削除\n02aaaaaa  t\n03aaaaaa  t\n",
        f"{br.NEW_LINE}\n02aaaaaa  t\n03aaaaaa  t\n",
    )
    out = br.apply(Module(), eng, JOB, 3, "workplan-p1", Journal(), journal)
    assert eng.calls == [("backup", ["workplan-p1"]), ("forget", [snap(1)["id"]])]
    assert out["retention"]["source"] == "plan" and out["forgotten"] == [snap(1)["id"]]


def test_a_second_apply_of_the_same_plan_changes_nothing(tmp_path):
    journal = write_plan(tmp_path, "01aaaaaa  t  削除\n", f"{br.NEW_LINE}\n")
    eng = Engine([snap(2), snap(3), snap(4, tags=["workplan-p1"])])
    out = br.apply(Module(), eng, JOB, 3, "workplan-p1", Journal(), journal)
    assert eng.calls == [] and out["changed"] is False


def test_a_failed_backup_forgets_nothing():
    eng = Engine([snap(1), snap(2), snap(3)], result="failed")
    module = Module()
    with pytest.raises(SystemExit):
        br.apply(module, eng, JOB, 3, None, Journal(), None)
    assert eng.calls == [("backup", None)]
    assert "世代は削除していません" in module.failed["msg"]
