"""The monthly off-site medium's decisions (plugins/module_utils/backup/offsite.py) and its record
(jichitai_ops/reports/backup_offsite.py): which generation, what the plan says about the medium's
present contents and free space, which media are refused, the courier hand-over and return fields, and
the whole cycle on a real restic repository in tmp_path (restore, bag, read-back, hand-over, return,
a flipped byte and a missing file named)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from backup import bagit, engine, offsite  # noqa: E402

from jichitai_ops.reports import backup_offsite as report  # noqa: E402

SNAPS = [
    {"id": "a" * 64, "short_id": "aaaaaaaa", "time": "2026-12-04T18:30:00+09:00", "paths": ["/srv/share"]},
    {"id": "b" * 64, "short_id": "bbbbbbbb", "time": "2026-12-05T18:30:00+09:00", "paths": ["/srv/share"]},
    {"id": "bc" * 32, "short_id": "bcbcbcbc", "time": "2026-12-06T18:30:00+09:00", "paths": ["/srv/share"]},
]
HANDOVER = {
    "handed_by": "情報政策課 山田",
    "handed_at": "2026-12-07T10:30:00+09:00",
    "courier": "セキュリティ便",
    "slip_no": "1234-5678",
    "kept_at": "遠隔地保管庫 A-3",
    "return_due": "2027-01-07",
}


def standin(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / offsite.STANDIN_MARKER).touch()
    return folder


def test_latest_generation_by_default_or_the_one_named():
    assert offsite.choose_snapshot(SNAPS)["short_id"] == "bcbcbcbc"
    assert offsite.choose_snapshot(SNAPS, "latest")["short_id"] == "bcbcbcbc"
    assert offsite.choose_snapshot(SNAPS, "aaaaaaaa")["short_id"] == "aaaaaaaa"
    with pytest.raises(offsite.OffsiteError, match="is not in the repository"):
        offsite.choose_snapshot(SNAPS, "cccccccc")
    with pytest.raises(offsite.OffsiteError, match="at least 8"):
        offsite.choose_snapshot(SNAPS, "b")
    with pytest.raises(offsite.OffsiteError, match="no generation"):
        offsite.choose_snapshot([])


def test_snapshot_root_is_its_path_or_the_common_parent():
    assert offsite.snapshot_root({"paths": ["/srv/share/"]}) == "/srv/share"
    assert offsite.snapshot_root({"paths": ["/srv/a", "/srv/b"]}) == "/srv"


def test_a_folder_that_is_not_a_mounted_medium_is_refused(tmp_path):
    with pytest.raises(offsite.OffsiteError, match="not a mounted medium"):
        offsite.medium_state(str(tmp_path))
    with pytest.raises(offsite.OffsiteError, match="not there"):
        offsite.medium_state(str(tmp_path / "absent"))
    state = offsite.medium_state(str(standin(tmp_path / "m")))
    assert state["standin"] and not state["mounted"] and state["entries"] == []


def _sources(octets=1000):
    return [{"job": "fs01-share", "snapshot": SNAPS[-1], "files": 3, "octets": octets}]


def test_plan_names_the_present_contents_it_replaces(tmp_path):
    medium = standin(tmp_path / "m")
    old = tmp_path / "old"
    (old / "総務課").mkdir(parents=True)
    (old / "総務課" / "a.txt").write_text("x" * 100)
    bagit.write_bag(old, medium / "offsite-2026-11", tags={"External-Identifier": "OFF-B"})
    (medium / "stray.txt").write_text("left by hand")
    plan = offsite.plan_write(offsite.medium_state(str(medium)), _sources(), "offsite-2026-12", "OFF-B")
    names = [e["name"] for e in plan["replaced"]]
    assert names == ["offsite-2026-11", "stray.txt"]
    text = "\n".join(plan["lines_ja"])
    assert "媒体番号 OFF-B" in text and "1 ファイル" in text and "バッグ以外" in text
    assert "bcbcbcbc" in text and plan["files"] == 3 and plan["octets"] == 1000


def test_a_bag_still_at_the_remote_site_is_not_overwritten(tmp_path):
    medium = standin(tmp_path / "m")
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("data")
    bagit.write_bag(src, medium / "offsite-2026-11", tags={"External-Identifier": "OFF-A"})
    bagit.update_tags(medium / "offsite-2026-11", {"Handed-Over-At": "2026-11-07T10:00:00+09:00"})
    state = offsite.medium_state(str(medium))
    with pytest.raises(offsite.OffsiteError, match="never recorded as returned"):
        offsite.plan_write(state, _sources(), "offsite-2026-12", "OFF-A")
    assert offsite.plan_write(state, _sources(), "offsite-2026-12", "OFF-A", overwrite_unreturned=True)
    bagit.update_tags(medium / "offsite-2026-11", {"Returned-At": "2026-12-06T09:00:00+09:00"})
    assert offsite.plan_write(offsite.medium_state(str(medium)), _sources(), "offsite-2026-12", "OFF-A")


def test_a_copy_that_does_not_fit_is_refused_with_both_sizes(tmp_path):
    state = offsite.medium_state(str(standin(tmp_path / "m")))
    state["free"] = 10 * 1024 * 1024
    with pytest.raises(offsite.OffsiteError, match="needs .* octets, the medium has 10,485,760"):
        offsite.plan_write(state, _sources(octets=10 * 1024 * 1024), "offsite-2026-12", "OFF-A")


def test_every_bad_input_is_named_at_once(tmp_path):
    state = offsite.medium_state(str(standin(tmp_path / "m")))
    with pytest.raises(offsite.OffsiteError) as caught:
        offsite.plan_write(state, _sources(), "bad name/..", "")
    assert "bag name" in str(caught.value)
    with pytest.raises(offsite.OffsiteError) as caught:
        offsite.check_jobs(
            [{"name": "Bad_Name", "repository": "/r"}, {"name": "ok"}, {"name": "ok", "repository": "/r"}]
        )
    text = str(caught.value)
    assert "jobs[1]" in text and "jobs[2] ok: no repository" in text and "jobs[3]: ok given twice" in text


def test_handover_needs_every_field_and_a_return_date_after_it():
    assert offsite.check_handover(HANDOVER)["slip_no"] == "1234-5678"
    assert (
        offsite.check_handover({k: v for k, v in HANDOVER.items() if k != "courier"})["courier"]
        == "セキュリティ便"
    )
    with pytest.raises(offsite.OffsiteError) as caught:
        offsite.check_handover({"handed_at": "yesterday", "return_due": "2026-12-01", "colour": "red"})
    text = str(caught.value)
    for needed in ("handed_by", "slip_no", "kept_at", "handed_at: 'yesterday'", "colour: unknown"):
        assert needed in text
    with pytest.raises(offsite.OffsiteError, match="is not after the hand-over"):
        offsite.check_handover({**HANDOVER, "return_due": "2026-12-07"})


def test_return_needs_a_handover_and_a_time_after_it():
    with pytest.raises(offsite.OffsiteError, match="never left"):
        offsite.check_return({"returned_at": "2027-01-07T09:00:00+09:00", "received_by": "山田"}, None)
    with pytest.raises(offsite.OffsiteError, match="before the hand-over"):
        offsite.check_return({"returned_at": "2026-12-01T09:00:00+09:00", "received_by": "山田"}, HANDOVER)
    assert offsite.check_return({"returned_at": "2027-01-07T09:00:00+09:00", "received_by": "山田"}, HANDOVER)


def test_parse_ls_counts_regular_files_under_the_root():
    lines = [
        {"struct_type": "snapshot", "paths": ["/srv/share"]},
        {"struct_type": "node", "type": "dir", "path": "/srv"},
        {"struct_type": "node", "type": "dir", "path": "/srv/share"},
        {"struct_type": "node", "type": "file", "path": "/srv/share/a", "size": 10},
        {"struct_type": "node", "type": "file", "path": "/srv/share/b/c", "size": 5},
        {"struct_type": "node", "type": "symlink", "path": "/srv/share/l"},
        {"struct_type": "node", "type": "file", "path": "/srv/shared/x", "size": 99},
    ]
    out = "\n".join(json.dumps(x) for x in lines)
    assert offsite.parse_ls(out, "/srv/share") == {"files": 2, "octets": 15, "links": 1, "specials": 0}


@pytest.fixture(scope="module")
def restic_repo(tmp_path_factory):
    """A real restic repository holding one generation of a small share with Japanese names."""
    base = tmp_path_factory.mktemp("offsite")
    share = base / "share"
    for dept, n in (("総務課", 3), ("市民課", 2)):
        (share / dept).mkdir(parents=True)
        for i in range(n):
            (share / dept / f"文書{i}.txt").write_bytes(os.urandom(2000 + i))
    password = base / "pw"
    password.write_text("lab-only")
    eng = engine.ResticEngine(str(base / "repo"), str(password), cache_dir=str(base / "cache"))
    assert eng.command("init")[0] == 0
    assert eng.backup([str(share)])["result"] == "success"
    return base, share, eng


def test_the_whole_cycle_on_a_real_repository(restic_repo, tmp_path):
    _base, share, eng = restic_repo
    snap = offsite.choose_snapshot(eng.snapshots())
    contents = offsite.snapshot_contents(eng, snap)
    assert contents["files"] == 5
    target = tmp_path / "restore"
    assert eng.restore(snap["id"], str(target))["ok"]
    payload = tmp_path / "payload"
    payload.mkdir()
    os.rename(target / str(share).lstrip("/"), payload / "fs01-share")
    medium = standin(tmp_path / "m")
    sources = [{"job": "fs01-share", "snapshot": snap, "root": str(share), **contents}]
    written = bagit.write_bag(payload, medium / "offsite-2026-12", tags=offsite.write_tags("OFF-A", sources))
    assert written["files"] == 5
    bag = medium / "offsite-2026-12"
    first = offsite.verification(
        "write", bagit.verify(bag, uncached=True), bagit.oxum_check(bag), "2026-12-07T10:00:00+09:00"
    )
    assert first["ok"] and first["files"] == 5
    record = {
        "bag": "offsite-2026-12",
        "media_id": "OFF-A",
        "medium": str(medium),
        "algorithm": "blake3",
        "inventory": "lab",
        "sources": sources,
        "written": {"at": "2026-12-07T10:00:00+09:00", **written},
        "verifications": [first],
        "handover": None,
        "returned": None,
        "replaced": [],
    }
    assert offsite.status(record) == "written"
    offsite.handover_preconditions(record, bagit.oxum_check(bag))
    handover = offsite.check_handover(HANDOVER)
    bagit.update_tags(bag, {offsite.HANDOVER_TAGS[k]: v for k, v in handover.items()})
    record["handover"] = handover
    assert offsite.status(record) == "handed_over"
    with pytest.raises(offsite.OffsiteError, match="already handed over"):
        offsite.handover_preconditions(record, bagit.oxum_check(bag))
    tags = dict(bagit.read_bag_info(bag))
    assert tags["Courier-Slip-Number"] == "1234-5678" and tags["External-Identifier"] == "OFF-A"
    assert bagit.verify(bag)["ok"], "the hand-over tags keep the tag manifest valid"

    # the medium comes back with one flipped byte and one file missing: each is named
    victim = sorted((bag / "data" / "fs01-share" / "総務課").iterdir())
    raw = bytearray(victim[0].read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim[0].write_bytes(bytes(raw))
    victim[1].unlink()
    back = offsite.verification(
        "return", bagit.verify(bag, uncached=True), bagit.oxum_check(bag), "2027-01-07T09:00:00+09:00"
    )
    found = {(p["problem"], p["path"]) for p in back["problems"]}
    rel = "data/fs01-share/総務課/"
    assert ("hash", rel + victim[0].name) in found
    assert ("missing", rel + victim[1].name) in found
    assert ("oxum", "data/") in found
    record["verifications"].append(back)
    record["returned"] = offsite.check_return(
        {"returned_at": "2027-01-07T09:00:00+09:00", "received_by": "佐藤"}, handover
    )
    assert offsite.status(record) == "return_failed"

    path = offsite.write_record(str(tmp_path / "registers"), record)
    saved = json.loads(Path(path).read_text(encoding="utf-8"))
    assert saved["status"] == "return_failed" and saved["status_ja"] == offsite.STATUS_JA["return_failed"]
    files = report.write(saved, str(tmp_path / "report"))
    md = Path(files["md"]).read_text(encoding="utf-8")
    assert "遠隔地保管記録" in md and "OFF-A" in md and "1234-5678" in md and "佐藤" in md
    assert victim[0].name in md and "ハッシュ不一致" in md and "欠落" in md
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert "返却後の照合で異常" in html and "遠隔地保管庫 A-3" in html
    from openpyxl import load_workbook

    wb = load_workbook(files["xlsx"])
    assert wb.sheetnames == ["遠隔地保管記録", "対象世代", "照合結果"]
    cells = [c.value for row in wb["照合結果"].iter_rows() for c in row]
    assert any(isinstance(v, str) and victim[1].name in v for v in cells)


def test_a_record_without_its_keys_is_refused():
    with pytest.raises(report.OffsiteRecordError, match="no media_id"):
        report.check({"bag": "x", "sources": [], "verifications": [], "status": "written"})


def test_restic_is_there():
    assert subprocess.run(["restic", "version"], capture_output=True, check=False).returncode == 0
