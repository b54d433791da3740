"""outage_shutdown: mail01 is really off, its neighbours are not, and the record says what happened."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))


@pytest.fixture(scope="module")
def record():
    files = sorted((EPHEMERAL / "outage").glob("shutdown-*.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text(encoding="utf-8")), files[0].with_suffix(".md")


def test_the_host_is_off_and_its_neighbours_are_not(controller, lab_host):
    status = controller.run(f"bash {PROJECT}/lab/outage/power.sh status mail01")
    assert status.rc == 3, status.stdout
    assert "labh-mail01" not in controller.check_output("ip netns list")
    assert controller.run("timeout 2 bash -c 'exec 3<>/dev/tcp/198.18.20.10/22'").rc != 0
    assert lab_host("backup01").check_output("hostname") == "backup01"


def test_the_record_has_the_tier_the_host_and_its_method(record):
    data, markdown = record
    assert data["direction"] == "shutdown"
    assert [(s["tier"], s["host"], s["method"]) for s in data["steps"]] == [(1, "mail01", "command")]
    assert data["steps"][0]["seconds"] >= 0
    text = markdown.read_text(encoding="utf-8")
    assert "| 1 | 業務サーバ | mail01 | 電源操作コマンドで停止 |" in text


def test_without_passed_prechecks_the_role_refuses_and_writes_no_record():
    said = (EPHEMERAL / "outage_shutdown_refusal.txt").read_text(encoding="utf-8")
    assert "the outage pre-checks have not passed" in said and "nothing was shut down" in said
    assert not (EPHEMERAL / "refused").exists()
