"""Work plans end to end: plan -> approve -> apply -> report, with real ansible-playbook runs.

Each test works in its own copy of the project (a fresh git repository holding the work-plan code,
the estate policy and the fixture playbook) so that a change to the repository between plan and apply
is made on purpose, not by someone editing the tree. The fixture playbook changes real files of two
controller-run hosts. Time is injected with -e workplan_now (honoured because the controller
environment says JICHITAI_WORKPLAN_LAB=1), so every date below is fixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jichitai_ops.workplan.model import canonical_json

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PLAYBOOK = "tests/e2e/playbooks/fixture_files.yml"  # two hosts, every kind of task
QUICK = "tests/e2e/playbooks/fixture_quick.yml"  # one host, one file: enough for the refusals
SECRET = "Fixture-Secret-7f3a9c"
COPY = [
    "ansible.cfg",
    ".gitignore",
    "plugins/callback/workplan.py",
    "plugins/strategy",
    "library/workplan_guard.py",  # the guard's documentation; ansible-doc and the module loader see it
    "plugins/vars",
    "roles/workplan",
    "filter_plugins/service_calendar.py",
    "group_vars/all",
    "templates/workplan",
    "tests/e2e/playbooks",
    "inventories/lab/.vault-pass.lab",  # ansible.cfg names the lab vault identity
]
INVENTORY = """\
all:
  children:
    fixture_hosts:
      hosts:
        web01: {jichitai_segment: lgwan, jichitai_role: file_server, jichitai_site: cityhall}
        web02: {jichitai_segment: internet, jichitai_role: mail_relay, jichitai_site: cityhall}
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""
# A Wednesday night, planned two weeks ahead: no off-hours service, outside business hours.
WINDOW = ("2026-12-16T22:00", "2026-12-16T23:30")
PLANNED_AT = "2026-12-01T10:00"
INSIDE = "2026-12-16T22:10"
APPROVER = "moriguchi.taro"  # the approver's id in inventory/approvers/allowed_signers


class Project:
    def __init__(self, base: Path):
        self.dir = base / "project"
        self.target = base / "target"
        self.input = base / "input" / "settings.txt"
        for rel in COPY:
            src = ROOT / rel
            if src.is_dir():
                shutil.copytree(src, self.dir / rel, ignore=shutil.ignore_patterns("__pycache__"))
            elif src.exists():
                (self.dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.dir / rel)
        for pattern in ("plugins/action/workplan_*.py",):
            for src in ROOT.glob(pattern):
                (self.dir / src.parent.relative_to(ROOT)).mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.dir / src.relative_to(ROOT))
        (self.dir / "inventory").mkdir()
        (self.dir / "inventory" / "hosts.yml").write_text(INVENTORY)
        self.key = base / "keys" / "approver"
        self.key.parent.mkdir()
        for key in (self.key, self.key.with_name("intruder")):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        (self.dir / "inventory" / "approvers").mkdir()
        public = " ".join(self.key.with_suffix(".pub").read_text().split()[:2])
        (self.dir / "inventory" / "approvers" / "allowed_signers").write_text(
            f'{APPROVER} namespaces="jichitai-ops-approval" {public} 守口 太郎\n'
        )
        self.input.parent.mkdir()
        self.input.write_text("alpha = 1\nbeta = 2\n")
        self.target.mkdir()
        self.git("init", "-q")
        self.commit("project")

    def git(self, *args):
        subprocess.run(
            ["git", "-c", "user.email=ops@example.invalid", "-c", "user.name=ops", *args],
            cwd=self.dir,
            check=True,
            capture_output=True,
        )

    def commit(self, message):
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def env(self, lab=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
        env.update(
            ANSIBLE_CONFIG=str(self.dir / "ansible.cfg"),
            ANSIBLE_CALLBACKS_ENABLED="workplan",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        )
        if lab:
            env["JICHITAI_WORKPLAN_LAB"] = "1"
        return env

    def playbook(self, *args, lab=True, quick=False, book=None, env=None):
        cmd = [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            "inventory",
            book or (QUICK if quick else PLAYBOOK),
            "-e",
            f"fixture_dir={self.target}",
            "-e",
            f"fixture_input={self.input}",
            "-e",
            f"fixture_secret={SECRET}",
            *args,
        ]
        out = subprocess.run(
            cmd, cwd=self.dir, env=self.env(lab) | (env or {}), capture_output=True, text=True, timeout=300
        )
        out.text = out.stdout + out.stderr
        return out

    def plan(self, window=WINDOW, now=PLANNED_AT, quick=False):
        out = self.playbook(
            "--check",
            "--diff",
            "-e",
            f"workplan_window_start={window[0]}",
            "-e",
            f"workplan_window_end={window[1]}",
            "-e",
            f"workplan_now={now}",
            quick=quick,
        )
        assert out.returncode == 0, out.text
        return re.search(r"work plan: (\S+)", out.text).group(1)

    def apply(self, plan_id, now=INSIDE, quick=False, env=None):
        return self.playbook(
            "--diff", "-e", f"workplan_id={plan_id}", "-e", f"workplan_now={now}", quick=quick, env=env
        )

    def untouched(self):
        return not any(self.target.iterdir())

    def cli(self, *args, lab=True):
        out = subprocess.run(
            [str(VENV_BIN / "jichitai-ops"), *args],
            cwd=self.dir,
            env=self.env(lab),
            capture_output=True,
            text=True,
            timeout=300,
        )
        out.text = out.stdout + out.stderr
        return out

    def approve(self, plan_id, *extra):
        out = self.cli("approve", plan_id, *self.signer(), "--digest", self.digest(plan_id), *extra)
        assert out.returncode == 0, out.text
        return out

    def signer(self, key=None) -> list[str]:
        return ["--by", APPROVER, "--key", str(key or self.key)]

    def digest(self, plan_id) -> str:
        """The digest as printed on the plan the approver read."""
        return "sha256:" + (self.folder(plan_id) / "plan.sha256").read_text().split()[0]

    def folder(self, plan_id) -> Path:
        return self.dir / "work" / "plans" / plan_id

    def plan_json(self, plan_id):
        return json.loads((self.folder(plan_id) / "plan.json").read_text())

    def report(self, plan_id):
        return json.loads((self.folder(plan_id) / "report.json").read_text())


@pytest.fixture
def project(tmp_path):
    return Project(tmp_path)


def refused(out, reason):
    """The run stopped in the guard, before any task of the operation, for ``reason``."""
    assert out.returncode != 0, out.text
    assert "実施を中止しました" in out.text and "nothing was changed" in out.text, out.text
    assert reason in out.text, out.text
    return True


def planned_changes(plan):
    return sorted(
        (r["host"], r["task"], e["label"])
        for r in plan["tasks"]
        for e in r["entries"]
        if e["state"] == "changed"
    )


def test_plan_lists_exactly_the_changes_apply_makes(project):
    plan_id = project.plan()
    plan = project.plan_json(plan_id)
    assert project.untouched(), "check mode changed something"
    assert plan["title"] == "検証用設定ファイルの更新" and plan["clause"].startswith("§5-2(2)②")
    assert plan["window"]["start"] == "2026-12-16T22:00:00+09:00" and plan["calendar"]["findings"] == []
    assert plan["lead_time"] == {"required_days": 7, "days_before": 15, "ok": True, "clause": "§6-1(8)"}
    segments = {h["name"]: h["segment_name"] for h in plan["hosts"]}
    assert segments == {"web01": "LGWAN接続系", "web02": "インターネット接続系"}
    unpredictable = sorted(
        (r["host"], r["task"]) for r in plan["tasks"] for e in r["entries"] if e["state"] == "unpredictable"
    )
    assert unpredictable == [("web01", "Reload the service"), ("web02", "Reload the service")]
    for name in ("plan.json", "plan.sha256", "plan.md", "plan.html", "plan.xlsx"):
        assert (project.folder(plan_id) / name).is_file(), name

    project.approve(plan_id)
    out = project.apply(plan_id)
    assert out.returncode == 0, out.text
    report = project.report(plan_id)
    assert report["verdict"] == "ok", report["counts"]
    matched = sorted((r["host"], r["task"], r["item"]) for r in report["rows"] if r["verdict"] == "matched")
    assert matched == planned_changes(plan) and len(matched) == 10
    assert report["counts"]["unplanned"] == 0 and report["counts"]["unpredictable_changed"] == 2
    assert (project.target / "web01" / "settings.conf").read_text() == "alpha = 1\nbeta = 2\n"
    assert (project.target / "web02" / "reloaded").exists()
    for name in ("report.json", "report.md", "report.html", "report.xlsx"):
        assert (project.folder(plan_id) / name).is_file(), name

    # nothing secret in the plan, the approval or the report; the no_log result is 非表示(機密)
    for path in project.folder(plan_id).rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert "非表示(機密)" in (project.folder(plan_id) / "plan.md").read_text()

    import openpyxl

    sheet = openpyxl.load_workbook(project.folder(plan_id) / "report.xlsx")["計画と実績"]
    verdicts = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert verdicts.count("計画どおり変更") == 10


def test_apply_refused_without_approval(project):
    plan_id = project.plan(quick=True)
    assert refused(project.apply(plan_id, quick=True), f"plan {plan_id} has no approval")
    assert project.untouched()
    attempt = json.loads((project.folder(plan_id) / "attempts.jsonl").read_text().splitlines()[-1])
    assert attempt["refused"] and [r["code"] for r in attempt["reasons"]] == ["no_approval"]


def test_apply_refused_after_input_file_changed(project):
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    project.input.write_text("alpha = 1\nbeta = 3\n")
    assert refused(project.apply(plan_id, quick=True), f"input file changed since the plan: {project.input}")
    assert project.untouched()


def test_apply_refused_after_inventory_changed(project):
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    hosts = project.dir / "inventory" / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("jichitai_site: cityhall}", "jichitai_site: dainichi}", 1))
    out = project.apply(plan_id, quick=True)
    assert refused(out, "inventory changed since the plan: inventory")
    assert "uncommitted changes differ from the plan: inventory/hosts.yml" in out.text
    assert project.untouched()


def test_apply_refused_after_repository_changed(project):
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    book = project.dir / QUICK
    book.write_text(book.read_text().replace('mode: "0644"', 'mode: "0640"'))
    project.commit("tighten the mode")
    out = project.apply(plan_id, quick=True)
    assert refused(out, "repository commit changed since the plan")
    assert "playbook differs from the plan" in out.text
    assert project.untouched()


def test_apply_refused_outside_the_window(project):
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    assert refused(project.apply(plan_id, now="2026-12-16T21:59", quick=True), "outside the approved window")
    assert refused(project.apply(plan_id, now="2026-12-16T23:30", quick=True), "outside the approved window")
    assert project.untouched()


@pytest.mark.parametrize(
    "window, now, rule",
    [
        (
            ("2026-12-13T09:30", "2026-12-13T11:00"),
            "2026-12-13T10:00",
            "resident_counter_sundays",
        ),  # 2nd Sunday
        (
            ("2027-04-22T17:30", "2027-04-22T20:00"),
            "2027-04-22T18:00",
            "insurance_evenings_apr_may",
        ),  # 4th week
        (
            ("2027-05-03T10:00", "2027-05-03T12:00"),
            "2027-05-03T10:30",
            "taxation_peak_closed_days",
        ),  # 憲法記念日
    ],
    ids=["second-sunday-morning", "april-4th-week-evening", "national-holiday"],
)
def test_apply_refused_inside_a_blocked_service_slot(project, window, now, rule):
    plan_id = project.plan(window=window, now="2026-11-20T10:00", quick=True)
    plan = project.plan_json(plan_id)
    assert plan["calendar"]["blocked"] and rule in {f["rule"] for f in plan["calendar"]["findings"]}
    out = project.cli("approve", plan_id, *project.signer(), "--digest", project.digest(plan_id))
    assert out.returncode == 3 and "--override-calendar" in out.text, out.text
    # an approval that does not override the calendar, written by hand: the guard still refuses
    digest = (project.folder(plan_id) / "plan.sha256").read_text().split()[0]
    approval = {
        "plan_id": plan_id,
        "plan_digest": digest,
        "approver": "守口 太郎",
        "approved_at": "2026-11-21T10:00:00+09:00",
        "override_calendar": False,
    }
    (project.folder(plan_id) / "approval.json").write_text(json.dumps(approval, ensure_ascii=False))
    out = project.apply(plan_id, now=now, quick=True)
    assert refused(
        out, "the window conflicts with the service calendar and the approval does not override it"
    )
    assert project.untouched()


def test_calendar_override_lets_apply_run(project):
    plan_id = project.plan(
        window=("2026-12-13T09:30", "2026-12-13T11:00"), now="2026-11-20T10:00", quick=True
    )
    project.approve(plan_id, "--override-calendar", "--reason", "市の依頼による緊急の設定変更")
    out = project.apply(plan_id, now="2026-12-13T10:00", quick=True)
    assert out.returncode == 0, out.text
    report = project.report(plan_id)
    assert report["approval"]["override_calendar"] and report["verdict"] == "ok"
    assert "市の依頼による緊急の設定変更" in (project.folder(plan_id) / "report.md").read_text()


def test_change_between_plan_and_apply_is_reported_unplanned(project):
    setup = project.playbook(
        "--diff", "-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=初期化", quick=True
    )
    assert setup.returncode == 0, setup.text
    plan_id = project.plan(quick=True)
    assert planned_changes(project.plan_json(plan_id)) == []  # already in the desired state
    project.approve(plan_id)
    conf = project.target / "web01.conf"
    conf.write_text("alpha = 1\nbeta = 9\n")  # someone edits the host between plan and apply
    out = project.apply(plan_id, quick=True)
    assert out.returncode == 0, out.text
    report = project.report(plan_id)
    assert report["verdict"] == "review"
    assert [(r["host"], r["task"]) for r in report["unplanned"]] == [("web01", "Service configuration file")]
    diff = report["unplanned"][0]["actual_diffs"][0]
    assert "beta = 9" in diff["before"] and "beta = 2" in diff["after"]
    md = (project.folder(plan_id) / "report.md").read_text()
    assert "## 計画外の変更" in md and "### ⚠ web01 — Service configuration file" in md
    import openpyxl

    sheet = openpyxl.load_workbook(project.folder(plan_id) / "report.xlsx")["計画外の変更"]
    assert [row[1:3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("web01", "Service configuration file")
    ]


def test_apply_without_plan_id_is_refused_unless_lab_escape(project):
    assert refused(project.playbook("--diff", quick=True), "no workplan_id given")
    escape = [
        "--diff",
        "-e",
        "workplan_unplanned_ok=true",
        "-e",
        "workplan_unplanned_reason=検証環境の初期化",
    ]
    assert refused(
        project.playbook(*escape, lab=False, quick=True), "workplan_unplanned_ok is for the lab only"
    )
    assert project.untouched()
    out = project.playbook(*escape, quick=True)
    assert out.returncode == 0, out.text
    folder = next((project.dir / "work" / "plans").glob("*-unplanned"))
    report = json.loads((folder / "report.json").read_text())
    assert report["mode"] == "unplanned" and report["verdict"] == "review"
    assert report["counts"]["unplanned"] == 1 and report["unplanned_reason"] == "検証環境の初期化"
    assert "計画・承認なしで実施された記録です" in (folder / "report.md").read_text()


def test_injected_clock_is_refused_outside_the_lab(project):
    out = project.playbook("--check", "--diff", "-e", "workplan_now=2026-12-01T10:00", lab=False, quick=True)
    assert out.returncode != 0 and "workplan_now is for the lab only" in out.text, out.text


def stopped_before_the_first_task(out, reason):
    """The workplan_linear strategy refused the play before any task ran."""
    assert out.returncode != 0, out.text
    assert "refused before the first task" in out.text and "nothing was changed" in out.text, out.text
    assert reason in out.text, out.text
    assert "TASK [" not in out.text, out.text
    return True


@pytest.mark.parametrize("strategy", ["free", "host_pinned"])
def test_a_strategy_other_than_linear_is_refused_at_plan_and_apply(project, strategy):
    """A run_once task runs once per host under free/host_pinned: nothing may run that way."""
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    env = {"ANSIBLE_STRATEGY": strategy}
    out = project.playbook("--check", "--diff", "-e", f"workplan_now={PLANNED_AT}", quick=True, env=env)
    assert stopped_before_the_first_task(out, f"strategy {strategy} is refused")
    assert stopped_before_the_first_task(project.apply(plan_id, quick=True, env=env), f"strategy {strategy}")
    assert project.untouched()


@pytest.mark.parametrize(
    "args, env, reason",
    [
        (
            ["--start-at-task", "Service configuration file"],
            {},
            "--start-at-task would skip the workplan guard",
        ),
        (["--step"], {}, "--step would let the workplan guard be skipped"),
        (["--skip-tags", "always"], {}, "--skip-tags always would skip the workplan guard"),
        (["-M", "/tmp"], {}, "ANSIBLE_LIBRARY is overridden (command line"),
        ([], {"ANSIBLE_LIBRARY": "/tmp"}, "ANSIBLE_LIBRARY is overridden (env: ANSIBLE_LIBRARY)"),
        ([], {"ANSIBLE_ACTION_PLUGINS": "/tmp"}, "ANSIBLE_ACTION_PLUGINS is overridden"),
        ([], {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.timer"}, "the workplan callback is not enabled"),
        (
            ["-e", '{"workplan_inputs": []}'],
            {},
            "work-plan variables cannot be given with -e: workplan_inputs",
        ),
    ],
    ids=[
        "start-at-task",
        "step",
        "skip-tags-always",
        "module-path",
        "library",
        "action-plugins",
        "callback",
        "inputs",
    ],
)
def test_every_route_around_the_guard_is_refused_before_the_first_task(project, args, env, reason):
    """An approved plan, applied inside its window, but in a way that could skip or replace the guard."""
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    out = project.playbook(
        "--diff", "-e", f"workplan_id={plan_id}", "-e", f"workplan_now={INSIDE}", *args, quick=True, env=env
    )
    assert stopped_before_the_first_task(out, reason)
    assert project.untouched()


def test_an_engine_other_than_the_repository_s_is_refused(project):
    """The AWX case: an execution environment built from an older checkout runs a newer project."""
    (project.dir / "jichitai_ops").mkdir()
    (project.dir / "jichitai_ops" / "__init__.py").write_text('__version__ = "0.0.1"\n')
    out = project.playbook("--check", "--diff", quick=True)
    assert out.returncode != 0, out.text
    assert "the installed jichitai_ops engine is" in out.text and "0.0.1" in out.text
    assert not list(project.dir.glob("work/plans/*/plan.json"))
    assert project.untouched()


def test_a_hand_written_approval_is_refused(project):
    """approval.json is evidence only when signed: one written by hand, with the right digest, is not."""
    plan_id = project.plan(quick=True)
    digest = project.digest(plan_id).removeprefix("sha256:")
    approval = {"plan_id": plan_id, "plan_digest": digest, "approver": "守口 太郎", "approver_id": APPROVER}
    (project.folder(plan_id) / "approval.json").write_text(json.dumps(approval, ensure_ascii=False))
    assert refused(project.apply(plan_id, quick=True), "the approval is not signed")
    assert project.untouched()


def test_an_edited_plan_and_approval_are_refused(project):
    """Widen the approved window, rewrite plan.sha256 and the approval's digest and window: the
    signature no longer matches the record."""
    plan_id = project.plan(quick=True)
    project.approve(plan_id)
    folder = project.folder(plan_id)
    plan = json.loads((folder / "plan.json").read_text())
    plan["window"]["end"] = "2026-12-17T06:00:00+09:00"
    (folder / "plan.json").write_text(json.dumps(plan, ensure_ascii=False))
    new_digest = hashlib.sha256(canonical_json(plan)).hexdigest()
    (folder / "plan.sha256").write_text(f"{new_digest}  plan.json\n")
    approval = json.loads((folder / "approval.json").read_text())
    approval.update(plan_digest=new_digest, window=plan["window"])
    (folder / "approval.json").write_text(json.dumps(approval, ensure_ascii=False))
    out = project.apply(plan_id, now="2026-12-17T01:00", quick=True)
    assert refused(out, "signature does not verify for moriguchi.taro")
    assert project.untouched()


def test_only_an_approver_s_own_key_can_approve(project):
    plan_id = project.plan(quick=True)
    intruder = project.key.with_name("intruder")
    out = project.cli("approve", plan_id, *project.signer(intruder), "--digest", project.digest(plan_id))
    assert out.returncode == 3 and "does not verify" in out.text, out.text
    out = project.cli(
        "approve",
        plan_id,
        "--by",
        "someone.else",
        "--key",
        str(intruder),
        "--digest",
        project.digest(plan_id),
    )
    assert out.returncode == 3 and "someone.else is not an approver" in out.text, out.text
    assert not (project.folder(plan_id) / "approval.json").exists()


def test_approve_refuses_a_tampered_plan(project):
    plan_id = project.plan(quick=True)
    path = project.folder(plan_id) / "plan.json"
    plan = json.loads(path.read_text())
    plan["window"]["end"] = "2026-12-17T06:00:00+09:00"
    path.write_text(json.dumps(plan, ensure_ascii=False))
    out = project.cli("approve", plan_id, *project.signer(), "--digest", project.digest(plan_id))
    assert out.returncode == 3 and "plan.json does not match its digest" in out.text, out.text


def test_cli_plan_approve_apply_show_over_ansible_runner(project):
    common = ["-e", f"fixture_dir={project.target}", "-e", f"fixture_input={project.input}"]
    out = project.cli(
        "plan",
        QUICK,
        "-i",
        "inventory",
        "--window-start",
        WINDOW[0],
        "--window-end",
        WINDOW[1],
        *common,
        "-e",
        f"workplan_now={PLANNED_AT}",
    )
    assert out.returncode == 0, out.text
    plan_id = re.search(r"作業計画 (\S+): 検証用設定ファイルの単一変更", out.text).group(1)
    events = [
        json.loads(p.read_text())
        for p in (project.dir / "work" / "runner").glob("artifacts/plan-*/job_events/*")
    ]
    artifact = next(e["event_data"]["artifact_data"] for e in events if e["event"] == "playbook_on_stats")
    assert (
        artifact["workplan_id"] == plan_id and artifact["workplan_mode"] == "plan"
    )  # set_stats, as AWX sees it

    out = project.cli("apply", plan_id, *common[:2])
    assert out.returncode == 3 and "fixture_input" in out.text, out.text  # the plan's -e must be given again
    assert project.cli("approve", plan_id, *project.signer(), "--digest", "0" * 64).returncode == 3
    assert project.cli("approve", plan_id, *project.signer()).returncode == 2  # the digest is required
    assert project.cli("approve", plan_id, *project.signer(), "--digest", "0" * 63).returncode == 2
    assert (
        project.cli("approve", "20261201T100000-0000beef", *project.signer(), "--digest", "0" * 64).returncode
        == 4
    )
    hexdigest = project.digest(plan_id).removeprefix("sha256:")
    project.cli("approve", plan_id, *project.signer(), "--digest", f"{hexdigest.upper()}  plan.json")
    assert json.loads((project.folder(plan_id) / "approval.json").read_text())["plan_digest"] == hexdigest
    out = project.cli("apply", plan_id, *common, "-e", f"workplan_now={INSIDE}")
    assert out.returncode == 0, out.text
    assert "作業報告書: 計画どおり完了" in out.text
    assert (project.target / "web01.conf").read_text() == "alpha = 1\nbeta = 2\n"
    out = project.cli("show", plan_id)
    assert "承認: 守口 太郎" in out.text and "作業報告書: 計画どおり完了" in out.text, out.text
    assert plan_id in project.cli("show").text


def test_playbook_of_two_plays_makes_one_plan_and_one_report(project):
    book = "tests/e2e/playbooks/fixture_two_plays.yml"
    out = project.playbook(
        "--check",
        "--diff",
        "-e",
        f"workplan_window_start={WINDOW[0]}",
        "-e",
        f"workplan_window_end={WINDOW[1]}",
        "-e",
        f"workplan_now={PLANNED_AT}",
        book=book,
    )
    assert out.returncode == 0, out.text
    plan_ids = [p.name for p in (project.dir / "work" / "plans").iterdir()]
    assert len(plan_ids) == 1, plan_ids  # both guards name the same plan
    plan_id = plan_ids[0]
    plan = project.plan_json(plan_id)
    assert planned_changes(plan) == [("web01", "First step file", None), ("web02", "Second step file", None)]
    assert [h["name"] for h in plan["hosts"]] == ["web01", "web02"]
    assert [i["path"] for i in plan["basis"]["inputs"]] == [str(project.input)]
    project.approve(plan_id)
    out = project.playbook(
        "--diff", "-e", f"workplan_id={plan_id}", "-e", f"workplan_now={INSIDE}", book=book
    )
    assert out.returncode == 0, out.text
    report = project.report(plan_id)
    assert report["verdict"] == "ok" and report["counts"]["matched"] == 2


def test_changes_without_the_guard_are_reported_unplanned(project):
    book = "tests/e2e/playbooks/fixture_unguarded.yml"
    out = project.playbook("--check", "--diff", book=book)
    assert out.returncode == 0 and "作業計画書は作成されません" in out.text, out.text
    assert not (project.dir / "work" / "plans").exists()
    out = project.playbook("--diff", book=book)
    assert out.returncode == 0, out.text
    folder = next((project.dir / "work" / "plans").glob("*-unplanned"))
    report = json.loads((folder / "report.json").read_text())
    assert report["mode"] == "unguarded" and [r["verdict"] for r in report["rows"]] == ["unplanned"]
    assert "作業計画ガードを通らずに変更が行われました" in (folder / "report.md").read_text()


def test_a_plan_on_the_collections_systems_shows_both_departments_slots(project):
    """収納消込 serves 納税課 and 保険収納課: naming the system brings both Sunday slots of the 4th Sunday
    into the plan, where naming 納税課 alone would miss 保険収納課's."""
    window = ("2027-04-25T09:30", "2027-04-25T11:00")  # the 4th Sunday of April 2027

    def plan_with(extra):
        out = project.playbook(
            "--check", "--diff",
            "-e", f"workplan_window_start={window[0]}", "-e", f"workplan_window_end={window[1]}",
            "-e", "workplan_now=2027-04-01T10:00", "-e", json.dumps(extra, ensure_ascii=False),
            quick=True,
        )  # fmt: skip
        assert out.returncode == 0, out.text
        return project.plan_json(re.search(r"work plan: (\S+)", out.text).group(1))

    by_system = plan_with({"fixture_systems": ["収納消込"]})
    rules = {f["rule"] for f in by_system["calendar"]["findings"]}
    assert {"tax_collection_sundays", "insurance_collection_sundays"} <= rules, rules
    assert not rules & {"insurance_sundays", "resident_counter_sundays"}, rules
    assert [d["name"] for d in by_system["affected"]["departments"]] == ["納税課", "保険収納課"]
    assert by_system["affected"]["systems"] == ["収納消込"]
    assert by_system["calendar"]["blocked"]

    by_department = plan_with({"fixture_departments": ["140200"]})
    rules = {f["rule"] for f in by_department["calendar"]["findings"]}
    assert "tax_collection_sundays" in rules and "insurance_collection_sundays" not in rules, rules


def _sunday_plan(project, extra):
    """A plan for 09:30-11:00 on the 4th Sunday of April 2027, when the counters of city hall and the
    Dainichi service corner are both open."""
    out = project.playbook(
        "--check", "--diff",
        "-e", "workplan_window_start=2027-04-25T09:30", "-e", "workplan_window_end=2027-04-25T11:00",
        "-e", "workplan_now=2027-04-01T10:00", "-e", json.dumps(extra, ensure_ascii=False),
        quick=True,
    )  # fmt: skip
    assert out.returncode == 0, out.text
    plan_id = re.search(r"work plan: (\S+)", out.text).group(1)
    return project.plan_json(plan_id), project.folder(plan_id) / "plan.md"


def test_a_plan_for_one_site_shows_only_the_services_given_there(project):
    """Work on the Dainichi service corner's network touches its certificate service, not the city
    hall's Sunday counter that runs at the same hour; a school's network touches no off-hours service."""
    at_dainichi, md = _sunday_plan(project, {"fixture_sites": ["dainichi"]})
    assert [s["id"] for s in at_dainichi["affected"]["slots"]] == ["resident_certificates_daily"]
    rules = {f["rule"] for f in at_dainichi["calendar"]["findings"] if f["severity"] == "block"}
    assert "resident_certificates_daily" in rules and "resident_counter_sundays" not in rules, rules
    assert "総合窓口課「証明発行」（大日サービスコーナー）" in md.read_text()

    at_school, _md = _sunday_plan(project, {"fixture_sites": ["moriguchi_es"]})
    assert at_school["affected"]["slots"] == []
    assert not any(f["rule"] != "business_hours" for f in at_school["calendar"]["findings"]), at_school[
        "calendar"
    ]["findings"]


def test_a_play_that_names_no_service_takes_them_from_its_hosts_inventory(project):
    """A host that carries 国民健康保険 brings in exactly the slots on that system; the plan says the
    services were read from the host. A host that declares nothing touches every service."""
    carrying, md = _sunday_plan(project, {"jichitai_business_systems": ["国民健康保険"]})
    assert carrying["affected"]["derived"] == [{"host": "web01", "basis": "国民健康保険"}]
    assert [s["id"] for s in carrying["affected"]["slots"]] == [
        "insurance_evenings_apr_may",
        "insurance_evenings_oct_mar",
        "insurance_sundays",
    ]
    assert [d["name"] for d in carrying["affected"]["departments"]] == ["保険課"]
    assert "機器の登録内容から判定: web01＝国民健康保険" in md.read_text()

    bare, _md = _sunday_plan(project, {})
    assert bare["affected"]["slots"] is None
    assert bare["affected"]["departments"] == [{"code": "all", "name": "全所属"}]
