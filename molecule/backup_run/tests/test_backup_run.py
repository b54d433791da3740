"""Four runs of the role on the scenario's own repository: three generations are kept, the first is the
one forgotten (by the fourth run, with the retention's reason), and the run record is the last run's."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


def snapshots(controller):
    env = f"RESTIC_REPOSITORY={EPHEMERAL / 'repo'} RESTIC_PASSWORD_FILE={EPHEMERAL / 'password'}"
    out = controller.run(f"env {env} restic snapshots --json --no-cache")
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)


def test_three_generations_are_kept(controller):
    kept = snapshots(controller)
    assert len(kept) == 3
    assert {s["hostname"] for s in kept} == {"mail01"}


def test_the_fourth_run_forgot_the_first_with_its_reason(controller):
    retention = json.loads((EPHEMERAL / "last_run.json").read_text(encoding="utf-8"))[0]
    assert len(retention["forget"]) == 1 and retention["forget"][0]["generation"] == 4
    reason = retention["forget"][0]["reason_ja"]
    assert reason.startswith("削除: 最新から4世代目。契約の保持世代数 3 を超える")
    assert retention["forget"][0]["id"] not in {s["id"] for s in snapshots(controller)}


def test_the_run_record_is_the_last_run_with_the_one_before():
    record = json.loads((EPHEMERAL / "record.json").read_text(encoding="utf-8"))
    assert record["result"] == "success" and record["previous"]["result"] == "success"
    assert record["bytes_processed"] == record["previous"]["bytes_processed"] > 0
