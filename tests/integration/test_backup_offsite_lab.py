"""The monthly off-site medium and the restore test on the lab (REQUIREMENTS OPS-BACKUP §6-3(6)④):
the real restic repository of ad01's share (lab/components/76-backup.sh), the medium a loop-mounted ext4
image (77-medium.sh), the share served by Samba (20-samba.sh).

playbooks/backup_offsite.yml writes the share's newest generation to the medium as a BagIt bag and reads it
back from the device (verified, one file per source file, the manifest beside it); the courier hand-over is
recorded in the bag's tags and the record; one byte flipped on the medium and one file removed from it are
each found and named when the medium returns. playbooks/backup_restore_test.yml restores the share into a
scratch folder with 0 differences; after a file is changed at the source over SMB (smbprotocol, as a
clerk's PC would), the comparison names it. The file is put back and the medium keeps the bag it has."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import LAB_DIR, LAB_RUN, REPO, VENV_BIN, bring_up, stop

pytestmark = pytest.mark.lab

COMPONENTS = [LAB_DIR / "components" / name for name in ("20-samba.sh", "76-backup.sh", "77-medium.sh")]
MEDIUM = LAB_RUN / "backup" / "medium"
SHARE = LAB_RUN / "samba" / "share"
JOB = "ad01-share"
BAG = "offsite-drill"
UNPLANNED = ["-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=lab integration test"]


@pytest.fixture(scope="module")
def backup_lab():
    """The share, its repository with a fresh generation, and the medium; what this module brought up it
    takes down again."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (loop mounts, Samba)")
    started, failed = bring_up(COMPONENTS)
    assert failed is None, f"a component's start failed: {failed.stderr[-3000:]}"
    proc = subprocess.run(["bash", str(COMPONENTS[1]), "run", JOB], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, f"76-backup.sh run {JOB}: {proc.stderr[-3000:]}"
    yield
    stop(started)


def playbook(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), f"playbooks/{name}", *args],
        capture_output=True, text=True, cwd=REPO, timeout=180, check=False,
        env=os.environ | {"ANSIBLE_FORCE_COLOR": "0", "JICHITAI_WORKPLAN_LAB": "1"},
    )  # fmt: skip


def medium(*args: str) -> None:
    proc = subprocess.run(["bash", str(COMPONENTS[2]), *args], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, f"77-medium.sh {' '.join(args)}: {proc.stderr}"


def offsite(tmp: Path, phase: str, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    options = {"phase": phase, "bag": BAG, "medium": MEDIUM, "staging": tmp / "staging",
               "record_dir": tmp / "registers", "report_dir": tmp / "reports"}  # fmt: skip
    args = [a for key, value in options.items() for a in ("-e", f"backup_offsite_{key}={value}")]
    proc = playbook("backup_offsite.yml", *args, *UNPLANNED, *extra)
    path = tmp / "registers" / f"{BAG}.json"
    assert path.exists(), f"no record (rc {proc.returncode}): {proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    return proc, json.loads(path.read_text(encoding="utf-8"))


def restore_test(tmp: Path, label: str) -> tuple[subprocess.CompletedProcess, dict]:
    reports = tmp / f"restore-{label}"
    proc = playbook(
        "backup_restore_test.yml",
        "-e", f"backup_restore_test_job={JOB}",
        "-e", f"backup_restore_test_scratch={tmp / 'scratch'}",
        "-e", f"backup_restore_test_report_dir={reports}",
    )  # fmt: skip
    records = sorted(reports.glob("*/backup_restore_test.json"))
    assert records, f"no record (rc {proc.returncode}): {proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    return proc, json.loads(records[-1].read_text(encoding="utf-8"))


def source_files() -> dict[str, int]:
    files = [p for p in SHARE.rglob("*") if p.is_file() and not p.is_symlink()]
    return {str(p.relative_to(SHARE)): p.stat().st_size for p in files}


def test_monthly_medium_written_verified_handed_over_and_damage_named_on_return(backup_lab, tmp_path):
    expected = source_files()
    proc, record = offsite(tmp_path, "write", "-e", "backup_offsite_media_id=OFF-LAB-1",
                           "-e", "backup_offsite_overwrite_unreturned=true")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert record["status"] == "written", record
    check = record["verifications"][-1]
    assert check["ok"] and check["phase"] == "write" and check["problems"] == []
    assert check["files"] == len(expected) == record["written"]["files"]
    assert check["octets"] == sum(expected.values())
    bag = MEDIUM / BAG
    assert os.path.ismount(MEDIUM), "the drill writes to the loop-mounted image"
    manifest = (bag / "manifest-blake3.txt").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == len(expected)
    assert {line.split(None, 1)[1] for line in manifest} == {f"data/{JOB}/{rel}" for rel in expected}
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Payload-Oxum: {sum(expected.values())}.{len(expected)}" in info
    assert "External-Identifier: OFF-LAB-1" in info
    reports = tmp_path / "reports" / BAG
    written = {p.name for p in reports.iterdir()}
    assert written >= {f"backup_offsite.{x}" for x in ("md", "html", "xlsx", "json")}

    handover = {
        "handed_by": "情報政策課 試験", "handed_at": "2026-12-07T10:30:00+09:00", "courier": "セキュリティ便",
        "slip_no": "LAB-0001", "kept_at": "遠隔地保管庫 A-3", "return_due": "2027-01-07",
    }  # fmt: skip
    proc, record = offsite(tmp_path, "handover", "-e", json.dumps({"backup_offsite_handover": handover}))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert record["status"] == "handed_over" and record["handover"]["slip_no"] == "LAB-0001"
    assert "Courier-Slip-Number: LAB-0001" in (bag / "bag-info.txt").read_text(encoding="utf-8")

    # while away: one byte flips on the medium, one file is lost
    flipped, lost = sorted(rel for rel in expected if expected[rel] > 0)[:2]
    medium("flip", f"{BAG}/data/{JOB}/{flipped}")
    medium("remove", f"{BAG}/data/{JOB}/{lost}")
    returned = {"returned_at": "2027-01-07T09:30:00+09:00", "received_by": "情報政策課 試験"}
    proc, record = offsite(tmp_path, "return", "-e", json.dumps({"backup_offsite_returned": returned}))
    assert proc.returncode != 0, "a damaged medium fails the return"
    assert record["status"] == "return_failed"
    found = {(p["problem"], p["path"]) for p in record["verifications"][-1]["problems"]}
    assert ("hash", f"data/{JOB}/{flipped}") in found
    assert ("missing", f"data/{JOB}/{lost}") in found
    assert flipped in proc.stdout and lost in proc.stdout, "the task's message names both files"
    md = (reports / "backup_offsite.md").read_text(encoding="utf-8")
    assert "返却後の照合で異常" in md and flipped in md and lost in md


def test_restore_test_has_no_difference_until_a_file_changes_over_smb(backup_lab, tmp_path):
    proc, record = restore_test(tmp_path, "clean")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert record["result"] == "ok" and record["differences"] == []
    assert record["files_compared"] == len(source_files()) and record["seconds"]["total"] is not None
    assert not any((tmp_path / "scratch").iterdir()), "the scratch folder is emptied"

    from ansible.module_utils.directory.smb import ShareClient

    password = subprocess.run(
        ["bash", "-c", f"source {LAB_DIR / 'secrets.sh'} && lab_secret vault_lab_ad_admin_password"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    target = sorted(rel for rel in source_files())[0]
    original = (SHARE / target).read_bytes()
    try:
        with ShareClient("127.0.0.1", "share", "Administrator", password) as share:
            share.write_file(target, original + "（追記）".encode())
        proc, record = restore_test(tmp_path, "changed")
        assert proc.returncode != 0, "a difference fails the test"
        assert [(d["path"], d["kind"]) for d in record["differences"]] == [(target, "changed")]
        assert target in proc.stdout
        md = next((tmp_path / "restore-changed").glob("*/backup_restore_test.md")).read_text(encoding="utf-8")
        assert "差異あり" in md and target in md
    finally:
        (SHARE / target).write_bytes(original)
