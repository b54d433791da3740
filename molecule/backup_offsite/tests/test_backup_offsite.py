"""The medium written and handed over: the courier record says so, the bag on the loop-mounted image holds
one manifest line per file of the share with the hand-over in its tags, and the 遠隔地保管記録 was written."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
LAB_RUN = Path(os.environ.get("LAB_RUN", Path(__file__).resolve().parents[3] / "lab" / "run"))
BAG = LAB_RUN / "backup" / "medium" / "molecule-offsite"
SHARE = LAB_RUN / "samba" / "share"


def record():
    return json.loads((EPHEMERAL / "registers" / "molecule-offsite.json").read_text(encoding="utf-8"))


def test_the_record_says_written_verified_and_handed_over():
    r = record()
    assert r["status"] == "handed_over" and r["media_id"] == "MOL-1"
    assert [v["phase"] for v in r["verifications"]] == ["write"] and r["verifications"][0]["ok"]
    assert r["handover"]["slip_no"] == "MOL-0001" and r["handover"]["courier"] == "セキュリティ便"


def test_the_bag_on_the_medium_lists_every_file_of_the_generation(controller):
    assert controller.mount_point(str(LAB_RUN / "backup" / "medium")).exists
    lines = (BAG / "manifest-blake3.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == record()["written"]["files"] == record()["sources"][0]["files"]
    info = (BAG / "bag-info.txt").read_text(encoding="utf-8")
    assert "Courier-Slip-Number: MOL-0001" in info and "External-Identifier: MOL-1" in info


def test_the_report_was_written():
    folder = EPHEMERAL / "reports" / "molecule-offsite"
    names = {p.name for p in folder.iterdir()}
    assert names == {f"backup_offsite.{x}" for x in ("md", "html", "xlsx", "json")}
    assert "遠隔地へ引渡し済み" in (folder / "backup_offsite.md").read_text(encoding="utf-8")
