"""The daily backup on the lab (OPS-BACKUP §6-3(6)①②③; docs/backup.md): restic repositories of
lab/components/76-backup.sh, the playbooks run in a committed copy of the project (plan, approve, apply).

- Three runs leave three generations; the fourth, planned in check mode, names the oldest with its
  reason and the new generation without an id; the approved apply forgets exactly that id and keeps
  three; applying the same plan again changes nothing.
- The 28 data subsets together read every pack of the repository exactly once (each pack file's access
  time says which run read it), and a byte flipped in one pack is reported by that pack's subset only.
- backup_daily_check.yml: a stale job, a failed job and the damaged pack of today's subset are 異常,
  each with its reason, in the check's record and in the daily check's backup lines (the same filter
  the daily check runs on the record).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import lab_approver_args

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
COMPONENT = REPO / "lab" / "components" / "76-backup.sh"
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
sys.path.insert(0, str(REPO / "filter_plugins"))
import personnel_lab  # noqa: E402
from backup import engine, retention  # noqa: E402

pytestmark = [pytest.mark.lab]

JOBS = ("ad01-share", "mail01-config", "ad01-system")
SHARE = "ad01-share"


def component(*args: str) -> str:
    env = os.environ | {"LAB_COMPONENT": "76-backup"}
    proc = subprocess.run(
        ["bash", str(COMPONENT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 0, f"76-backup.sh {' '.join(args)}: {proc.stderr[-3000:]}"
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def drill(lab, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backup")
    if subprocess.run(["bash", str(COMPONENT), "status"], capture_output=True, check=False).returncode:
        component("up")
    component("reset", *JOBS)
    project = personnel_lab.project_copy(tmp / "project", lab.run_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(project / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="workplan",
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{project / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        JICHITAI_WORKPLAN_LAB="1",
    )
    password = component("password-file")
    yield {
        "run_dir": Path(lab.run_dir).resolve(),
        "tmp": tmp,
        "project": project,
        "env": env,
        "password": password,
        "repo": {job: Path(component("repo", job)) for job in JOBS},
    }


def playbook(drill, name: str, *args: str) -> subprocess.CompletedProcess:
    # the jobs' paths as the lab's schedule backs them up (the copy's lab/run is a link to the same place)
    cmd = [
        str(BIN / "ansible-playbook"),
        "-i",
        "inventories/lab",
        f"playbooks/{name}",
        "-e",
        f"jichitai_lab_run={drill['run_dir']}",
        *args,
    ]
    proc = subprocess.run(
        cmd, cwd=drill["project"], env=drill["env"], capture_output=True, text=True, timeout=300, check=False
    )
    proc.text = proc.stdout + proc.stderr
    return proc


def restic(drill, job: str) -> engine.ResticEngine:
    return engine.ResticEngine(
        str(drill["repo"][job]), drill["password"], cache_dir=str(drill["tmp"] / "cache")
    )


def window() -> list[str]:
    now = datetime.now(retention.JST).replace(second=0, microsecond=0, tzinfo=None)
    start, end = now - timedelta(minutes=5), now + timedelta(hours=2)
    return [
        "-e",
        f"workplan_window_start={start:%Y-%m-%dT%H:%M}",
        "-e",
        f"workplan_window_end={end:%Y-%m-%dT%H:%M}",
    ]


def approve(drill, plan_text: str) -> str:
    plan_id = re.search(r"work plan: (\S+)", plan_text).group(1)
    digest = re.search(r"--digest ([0-9a-f]{64})", plan_text).group(1)
    proc = subprocess.run(
        [str(BIN / "jichitai-ops"), "approve", plan_id, *lab_approver_args(drill["tmp"]), "--digest", digest],
        cwd=drill["project"],
        env=drill["env"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return plan_id


def changed(proc) -> int:
    return int(re.search(r"localhost\s*:.*changed=(\d+)", proc.stdout).group(1))


def test_three_runs_keep_three_generations_and_the_planned_fourth_forgets_exactly_the_oldest(drill):
    share = restic(drill, SHARE)
    for _ in range(3):  # three nights of the engine's schedule, a little work at the share in between
        component("edit", SHARE, "3")
        component("run", SHARE)
    three = share.snapshots()
    assert len(three) == 3
    oldest = three[0]

    plan = playbook(drill, "backup_run.yml", "--check", "--diff", "-e", f"backup_run_jobs={SHARE}", *window())
    assert plan.returncode == 0, plan.text[-4000:]
    assert [s["id"] for s in share.snapshots()] == [s["id"] for s in three], (
        "the check run changed the repository"
    )
    plan_id = approve(drill, plan.text)
    planned = json.loads(
        (drill["project"] / "work" / "plans" / plan_id / "plan.json").read_text(encoding="utf-8")
    )
    diffs = [
        d
        for t in planned["tasks"]
        for e in t["entries"]
        for d in e.get("diffs", [])
        if d.get("header", "").startswith(f"backup_run [{SHARE}] ")
    ]
    assert len(diffs) == 1, planned["tasks"]
    removed = set(diffs[0]["before"].splitlines()) - set(diffs[0]["after"].splitlines())
    assert [line.split()[0] for line in removed] == [oldest["short_id"]]
    assert "削除: 最新から4世代目。契約の保持世代数 3 を超える" in removed.pop()
    assert "新しい世代（ID は取得時に決まる）" in diffs[0]["after"]

    applied = playbook(
        drill, "backup_run.yml", "--diff", "-e", f"backup_run_jobs={SHARE}", "-e", f"workplan_id={plan_id}"
    )
    assert applied.returncode == 0, applied.text[-4000:]
    after = share.snapshots()
    assert len(after) == 3 and oldest["id"] not in {s["id"] for s in after}
    assert [s["id"] for s in after[:2]] == [s["id"] for s in three[1:]]
    assert after[-1]["tags"] == [f"workplan-{plan_id}"]
    report = json.loads(
        (drill["project"] / "work" / "plans" / plan_id / "report.json").read_text(encoding="utf-8")
    )
    assert report["verdict_ja"] == "計画どおり完了", report["counts"]
    assert report["counts"]["matched"] == 1 and report["counts"]["diff_differs"] == 0

    again = playbook(
        drill, "backup_run.yml", "--diff", "-e", f"backup_run_jobs={SHARE}", "-e", f"workplan_id={plan_id}"
    )
    assert again.returncode == 0, again.text[-4000:]
    assert changed(again) == 0
    assert [s["id"] for s in share.snapshots()] == [s["id"] for s in after]


def bucket(pack: str, subsets: int = 28) -> int:
    """restic's own rule: a pack is in subset (first byte of its id mod k) + 1."""
    return int(pack[:2], 16) % subsets + 1


def packs_of(drill, job: str) -> dict[str, Path]:
    return {p.name: p for p in (drill["repo"][job] / "data").rglob("*") if p.is_file()}


def test_the_28_subsets_read_every_pack_once_and_the_flipped_pack_is_found_by_its_subset(drill):
    share = restic(drill, SHARE)
    if len(share.snapshots()) < 2:
        component("run", SHARE)
    packs = packs_of(drill, SHARE)

    def touched(check) -> tuple[dict, set[str]]:
        for path in packs.values():  # access time 0: a read of the pack sets it again (relatime)
            os.utime(path, (0, path.stat().st_mtime))
        result = check()
        return result, {name for name, path in packs.items() if path.stat().st_atime > 0}

    # the structure check reads the tree packs on every run; what a subset adds is its own packs
    structure, baseline = touched(share.check_structure)
    assert structure["ok"], structure
    read_by: dict[str, int] = {}
    for n in range(1, 29):
        result, read = touched(lambda n=n: share.check_data_subset(f"{n}/28"))
        assert result["ok"], result
        mine = {name for name in packs if bucket(name) == n}
        assert result["packs_read"] == len(mine) and result["packs_total"] == len(packs), (n, result)
        assert mine <= read, f"subset {n} did not read " + ", ".join(sorted(mine - read))
        assert read - baseline <= mine, f"subset {n} read packs of other subsets"
        assert not mine & set(read_by)
        read_by.update(dict.fromkeys(mine, n))
    assert set(read_by) == set(packs), "packs no subset read: " + ", ".join(sorted(set(packs) - set(read_by)))
    assert len(packs) >= 4

    flipped = component("flip-pack", SHARE)
    try:
        assert share.check_structure()["ok"], (
            "the structure check reads no data: it cannot see a flipped byte"
        )
        found = share.check_data_subset(f"{read_by[flipped]}/28")
        assert not found["ok"]
        assert any(flipped in line for line in found["errors"]), found["errors"]
        other = next(n for n in range(1, 29) if n != read_by[flipped] and n in read_by.values())
        assert share.check_data_subset(f"{other}/28")["ok"]
    finally:
        component("unflip", SHARE)
    assert share.check_data_subset(f"{read_by[flipped]}/28")["ok"]


def test_stale_failed_and_damaged_jobs_are_abnormal_in_the_backup_check_and_the_daily_check(drill):
    import daily_check

    component("run", "ad01-system")
    component("make-stale", "ad01-system", "30")
    component("run", "mail01-config")
    component("fail", "mail01-config")
    if not restic(drill, SHARE).snapshots():
        component("run", SHARE)
    flipped = component("flip-pack", SHARE)
    today = date.today()
    day = next(
        today + timedelta(days=k)
        for k in range(28)
        if retention.subset_number(today + timedelta(days=k)) == bucket(flipped)
    )
    reports = drill["tmp"] / "backup_check"
    try:
        checked = playbook(
            drill,
            "backup_daily_check.yml",
            "-e",
            f"backup_check_report_dir={reports}",
            "-e",
            f"backup_check_today={day.isoformat()}",
        )
    finally:
        component("unflip", SHARE)
    assert checked.returncode != 0, "a 異常 job must fail the run"
    record = json.loads((reports / "latest.json").read_text(encoding="utf-8"))
    jobs = {job["name"]: job for job in record["jobs"]}
    assert record["verdict_ja"] == "異常" and record["subset"] == f"{bucket(flipped)}/28"
    assert {name for name, job in jobs.items() if job["state"] == "critical"} == set(JOBS)
    assert any("26 時間以内の実行がない" in r for r in jobs["ad01-system"]["reasons_ja"])
    assert jobs["ad01-system"]["structure"]["ok"] and jobs["ad01-system"]["data"]["ok"]
    assert any(r.startswith("最終実行が失敗") for r in jobs["mail01-config"]["reasons_ja"])
    assert jobs[SHARE]["last_run"]["result"] == "success" and jobs[SHARE]["structure"]["ok"]
    assert not jobs[SHARE]["data"]["ok"] and any(flipped in r for r in jobs[SHARE]["reasons_ja"])
    for name in JOBS:
        assert f"【異常】{name}" in (
            reports / sorted(p.name for p in reports.iterdir() if p.is_dir())[-1] / "backup_check.md"
        ).read_text(encoding="utf-8")
    said = " ".join(checked.stdout.split())
    assert all(f"{name}:" in said for name in JOBS)

    lines = daily_check.daily_check_backup_items(
        {"path": str(reports / "latest.json"), "text": (reports / "latest.json").read_text(encoding="utf-8")},
        26,
    )
    states = {line["check"]: line["state"] for line in lines}
    assert states == {f"バックアップ（{name}）": "critical" for name in JOBS}
    missing = daily_check.daily_check_backup_items({"path": str(reports / "none.json"), "text": ""}, 26)
    assert [line["state"] for line in missing] == ["critical"]
