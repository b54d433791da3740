"""The monthly restore test's decisions (plugins/module_utils/backup/restore_check.py) and its record
(jichitai_ops/reports/backup_restore_test.py): where a restore may go, which sample is restored, and the
comparison naming every missing, extra and changed file; on a real restic repository in tmp_path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from backup import engine, restore_check  # noqa: E402

from jichitai_ops.reports import backup_restore_test as report  # noqa: E402


def test_scratch_never_overlaps_the_source():
    paths = ["/srv/share"]
    assert restore_check.check_inputs("/srv/share", paths, "/srv/scratch", []) == []
    for scratch in ("/srv/share", "/srv/share/tmp", "/srv", "/"):
        with pytest.raises(restore_check.RestoreTestError, match="overlaps"):
            restore_check.check_inputs("/srv/share", paths, scratch, [])
    with pytest.raises(restore_check.RestoreTestError, match="not in the generation"):
        restore_check.check_inputs("/srv/other", paths, "/srv/scratch", [])
    assert restore_check.check_inputs("/srv/share/総務課", paths, "/srv/scratch", []) == []


def test_sample_entries_are_relative_folders_without_patterns():
    assert restore_check.check_inputs("/s", ["/s"], "/x", ["総務課/", "市民課/2026", "総務課"]) == [
        "市民課/2026",
        "総務課",
    ]
    with pytest.raises(restore_check.RestoreTestError) as caught:
        restore_check.check_inputs("/s", ["/s"], "/x", ["../etc", "/abs", "*.txt", ""])
    text = str(caught.value)
    for bad in ("'../etc'", "'/abs'", "'*.txt'", "''"):
        assert f"include {bad}" in text
    assert restore_check.restic_includes("/s", ["a", "b/c"]) == ["/s/a", "/s/b/c"]
    assert restore_check.restic_includes("/s/", []) == ["/s"]


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_compare_names_missing_extra_and_changed(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    _tree(src, {"a/1.txt": b"same", "a/2.txt": b"abcd", "a/3.txt": b"longer", "b/4.txt": b"gone"})
    _tree(out, {"a/1.txt": b"same", "a/2.txt": b"abce", "a/3.txt": b"short", "c/5.txt": b"extra"})
    result = restore_check.compare(str(src), str(out))
    kinds = {d["path"]: d["kind"] for d in result["differences"]}
    assert kinds == {"a/2.txt": "changed", "a/3.txt": "changed", "b/4.txt": "missing", "c/5.txt": "extra"}
    assert result["files_compared"] == 3
    assert result["counts"] == {"missing": 1, "extra": 1, "changed": 2}
    sample = restore_check.compare(str(src), str(out), ["a/1.txt", "b"])
    assert {d["path"] for d in sample["differences"]} == {"b/4.txt"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    base = tmp_path_factory.mktemp("restore")
    share = base / "share"
    _tree(share, {f"{d}/文書{i}.txt": os.urandom(3000 + i) for d in ("総務課", "市民課") for i in range(3)})
    (base / "pw").write_text("lab-only")
    eng = engine.ResticEngine(str(base / "repo"), str(base / "pw"), cache_dir=str(base / "cache"))
    assert eng.command("init")[0] == 0
    snap = eng.backup([str(share)])
    assert snap["result"] == "success"
    return share, eng, snap["snapshot_id"]


def test_a_sample_restored_from_a_real_generation_equals_the_source_until_it_changes(repo, tmp_path):
    share, eng, snap = repo
    include = restore_check.check_inputs(str(share), [str(share)], str(tmp_path / "scratch"), ["総務課"])
    target = tmp_path / "scratch"
    assert eng.restore(snap, str(target), restore_check.restic_includes(str(share), include))["ok"]
    restored = target / str(share).lstrip("/")
    assert sorted(p.name for p in restored.iterdir()) == ["総務課"], "only the sample is restored"
    clean = restore_check.compare(str(share), str(restored), include)
    assert clean["differences"] == [] and clean["files_compared"] == 3
    changed = share / "総務課" / "文書1.txt"
    original = changed.read_bytes()
    try:
        changed.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        after = restore_check.compare(str(share), str(restored), include)
        assert [(d["path"], d["kind"]) for d in after["differences"]] == [("総務課/文書1.txt", "changed")]
        assert "BLAKE3 元 " in after["differences"][0]["detail"]
    finally:
        changed.write_bytes(original)

    record = {
        "job": "fs01-share", "source": str(share), "include": include, "inventory": "lab",
        "snapshot": {"id": snap, "short_id": snap[:8], "time": "2026-12-06T18:30:00+09:00"},
        "started_at": "2026-12-07T09:00:00+09:00", "finished_at": "2026-12-07T09:00:03+09:00", **after,
        "seconds": {"restore": 1.2, "compare": 0.1, "total": 1.4}, "result": "differences", "errors": [],
    }  # fmt: skip
    assert report.result_text(record) == "差異あり（1 件）"
    files = report.write(record, str(tmp_path / "report"))
    md = Path(files["md"]).read_text(encoding="utf-8")
    assert "リストア試験記録" in md and "差異あり" in md and "総務課/文書1.txt" in md and "内容が異なる" in md
    assert "抜取り: 総務課" in md and "1.2 秒" in md
    assert "差異あり" in Path(files["html"]).read_text(encoding="utf-8")


def test_a_bad_record_is_named():
    with pytest.raises(report.RestoreRecordError) as caught:
        report.check({"job": "x", "source": "/s", "seconds": {}, "result": "maybe",
                      "differences": [{"path": "a", "kind": "odd"}]})  # fmt: skip
    assert "result 'maybe'" in str(caught.value) and "differences[1] a: kind 'odd'" in str(caught.value)
