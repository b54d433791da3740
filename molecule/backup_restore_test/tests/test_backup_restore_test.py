"""Two restore tests of the share: each wrote its record and リストア試験記録, compared every file of the
share with 0 differences, and left the scratch folder empty."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
LAB_RUN = Path(os.environ.get("LAB_RUN", Path(__file__).resolve().parents[3] / "lab" / "run"))
SHARE = LAB_RUN / "samba" / "share"


def records():
    paths = sorted(EPHEMERAL.glob("reports/*/backup_restore_test.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def test_each_run_wrote_its_record_with_no_difference():
    found = records()
    assert len(found) == 2  # converge and idempotence
    files = sum(1 for p in SHARE.rglob("*") if p.is_file())
    for r in found:
        assert r["result"] == "ok" and r["differences"] == [] and r["files_compared"] == files
        assert r["result_ja"].startswith("合格")


def test_the_scratch_folder_is_left_empty():
    assert not any((EPHEMERAL / "scratch").iterdir())
