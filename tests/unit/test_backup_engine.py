"""The restic adapter (plugins/module_utils/backup/engine.py) on restic 0.14's own outputs, recorded by
tests/fixtures/backup/record.sh from the real restic on a throw-away repository: snapshots, backup
summaries (new, unchanged, a missing source), structure and data checks (clean, a flipped byte in a
pack, a missing pack, no repository, a wrong password), the subsets that together read every pack,
forget and restore; and the commands the engine runs for each method."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from backup import engine, retention  # noqa: E402

RECORDED = REPO / "tests" / "fixtures" / "backup" / "restic-0.14"


def recorded(name: str) -> tuple[int, str, str]:
    rc = int((RECORDED / f"{name}.rc").read_text())
    return rc, (RECORDED / f"{name}.out").read_text(encoding="utf-8"), \
        (RECORDED / f"{name}.err").read_text(encoding="utf-8")


def checked(name: str) -> dict:
    rc, out, err = recorded(name)
    return engine.parse_check(out, err, rc)


class Replay:
    """A runner that answers each command with a recorded output and keeps the commands it got."""

    def __init__(self, *names: str):
        self.names = list(names)
        self.calls: list[tuple[list[str], dict]] = []

    def __call__(self, argv, env):
        self.calls.append((argv, env))
        return recorded(self.names.pop(0))


def make(*names: str) -> tuple[engine.ResticEngine, Replay]:
    runner = Replay(*names)
    return engine.ResticEngine("/srv/backup/repo", "/etc/jichitai/restic.pw", run=runner), runner


def test_snapshots_oldest_first_with_hosts_and_paths():
    snaps = engine.parse_snapshots(recorded("snapshots")[1])
    assert [s["hostname"] for s in snaps] == ["fs01"] * 4 + ["fs02", "fs01"]
    assert snaps[0]["paths"] == ["/srv/backup/share"]
    assert all(len(s["id"]) == 64 and s["id"].startswith(s["short_id"]) for s in snaps)
    assert snaps[1]["parent"] == snaps[0]["id"]


def test_recorded_snapshots_keep_three_generations_per_group():
    snaps = engine.parse_snapshots(recorded("snapshots")[1])
    decided = retention.plan(snaps)
    fs01 = [s["id"] for s in snaps if s["hostname"] == "fs01"]
    assert [e["id"] for e in decided["forget"]] == [fs01[1], fs01[0]]  # the two oldest of five
    assert {e["id"] for e in decided["keep"]} == set(fs01[2:]) | {snaps[4]["id"]}


@pytest.mark.parametrize(("name", "new", "unmodified"), [("backup-1", 2, 0), ("backup-4", 2, 6),
                                                        ("backup-5-unchanged", 0, 8)])
def test_backup_summary(name, new, unmodified):
    run = engine.parse_backup(*recorded(name)[1:], recorded(name)[0])
    assert run["result"] == "success" and run["rc"] == 0 and run["errors"] == []
    assert (run["files_new"], run["files_unmodified"], run["changed_files"]) == (new, unmodified, new)
    assert len(run["snapshot_id"]) == 8
    assert run["bytes_processed"] >= 200_000 and run["duration_s"] > 0
    assert (run["bytes_added"] == 0) == (new == 0)


def test_backup_of_a_missing_source_is_failed_with_the_reason():
    rc, out, err = recorded("backup-missing-source")
    run = engine.parse_backup(out, err, rc)
    assert run["result"] == "failed" and run["snapshot_id"] is None
    assert "share/no-such-folder does not exist, skipping" in run["errors"]
    assert "Fatal: all target directories/files do not exist" in run["errors"]


def test_partial_run_is_partial():
    rc, out, err = recorded("backup-1")
    run = engine.parse_backup(out, err + "error: open /srv/share/locked.xlsx: permission denied\n", 3)
    assert run["result"] == "partial"
    assert run["errors"] == ["error: open /srv/share/locked.xlsx: permission denied"]


def test_checks_clean():
    for name in ("check", "check-read-data"):
        result = engine.parse_check(*recorded(name)[1:], recorded(name)[0])
        assert result["ok"] and result["errors"] == [], name


def test_subsets_together_read_every_pack():
    results = [engine.parse_check(*recorded(f"check-subset-{n}-of-3")[1:], 0) for n in (1, 2, 3)]
    assert [r["subset"] for r in results] == ["1/3", "2/3", "3/3"]
    assert all(r["ok"] for r in results)
    total = {r["packs_total"] for r in results}
    assert len(total) == 1
    assert sum(r["packs_read"] for r in results) == total.pop()


def test_flipped_byte_in_a_pack_is_found_only_by_reading_data():
    structure = checked("check-flipped-structure")
    assert structure["ok"]  # the index and trees are intact: only reading the packs finds it
    rc, out, err = recorded("check-flipped-read-data")
    result = engine.parse_check(out, err, rc)
    assert not result["ok"] and rc == 1
    assert result["errors"][0].startswith("Pack ID does not match, want ")
    assert "Fatal: repository contains errors" in result["errors"]


def test_missing_pack_is_a_structure_error():
    rc, out, err = recorded("check-missing-pack")
    result = engine.parse_check(out, err, rc)
    assert not result["ok"]
    assert any(e.startswith("pack ") and e.endswith(": does not exist") for e in result["errors"])


@pytest.mark.parametrize(("name", "method", "says"), [
    ("check-no-repository", "check_structure", "unable to open config file"),
    ("snapshots-wrong-password", "snapshots", "wrong password"),
])
def test_an_engine_that_cannot_be_asked_raises(name, method, says):
    eng, _ = make(name)
    with pytest.raises(engine.EngineError, match=says):
        getattr(eng, method)()


def test_engine_commands_and_password_by_file_only():
    eng, runner = make("snapshots", "check-subset-2-of-3", "forget", "restore", "backup-4")
    assert len(eng.snapshots()) == 6
    assert eng.check_data_subset("2/3")["packs_read"] == 4
    assert eng.forget(["abc", "def"])["forgotten"] == ["abc", "def"]
    assert eng.restore("latest", "/scratch/restore", include=["/srv/share/総務課"])["ok"]
    run = eng.backup(["/srv/share"], host="fs01", tags=["daily"])
    assert run["result"] == "success" and run["started"] <= run["finished"]
    argvs = [argv for argv, _ in runner.calls]
    assert argvs == [
        ["restic", "snapshots", "--json"],
        ["restic", "check", "--read-data-subset=2/3"],
        ["restic", "forget", "--", "abc", "def"],
        ["restic", "restore", "latest", "--target", "/scratch/restore", "--include", "/srv/share/総務課"],
        ["restic", "backup", "--json", "--host", "fs01", "--tag", "daily", "--", "/srv/share"],
    ]
    for _, env in runner.calls:
        assert env == {"RESTIC_REPOSITORY": "/srv/backup/repo",
                       "RESTIC_PASSWORD_FILE": "/etc/jichitai/restic.pw"}
    assert eng.forget([])["forgotten"] == []  # nothing to forget runs nothing
    assert len(runner.calls) == 5
    with pytest.raises(ValueError):
        eng.check_data_subset("4/3")


def test_last_run_is_recorded_by_backup(tmp_path: Path):
    runner = Replay("backup-2", "backup-missing-source")
    eng = engine.ResticEngine("/srv/backup/repo", "/pw", run=runner, run_record=tmp_path / "last-run.json")
    assert eng.last_run() is None  # never ran: stale in the daily check
    first = eng.backup(["/srv/share"])
    assert eng.last_run() == first and first["result"] == "success"
    eng.backup(["/srv/share/no-such-folder"])
    last = eng.last_run()
    assert last["result"] == "failed" and last["paths"] == ["/srv/share/no-such-folder"]
    assert not list(tmp_path.glob("*.tmp"))
