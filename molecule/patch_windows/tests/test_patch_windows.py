"""patch_windows from recorded win_updates results on the controller (no Windows runs here): the
outcome the role kept, and the patch record the filter patch_record makes of it. Neither recorded run
asks for a reboot, so the stand-in's restart command must not have run."""

from __future__ import annotations

import os

import pytest

RECORD_KEYS = {"host", "segment", "ring", "result", "kbs", "checked_at", "oldest_missing_release", "rebooted"}


@pytest.fixture(scope="module")
def result(converge_output):
    return converge_output("patch_windows")


def test_the_outcome_is_the_recorded_win_updates_result(result):
    outcome = result["installed"]["outcome"]
    assert outcome["kind"] == "windows"
    assert outcome["win_updates"]["installed_update_count"] == 2
    assert outcome["win_updates"]["reboot_required"] is False


def test_a_run_that_installed_everything_is_recorded_installed(result):
    record = result["installed"]["record"]
    assert set(record) == RECORD_KEYS, record
    assert record["host"] == "localhost" and record["ring"] == "servers"
    assert record["result"] == "installed"
    assert record["kbs"] == {"KB5071010": "installed", "KB5071011": "installed"}
    assert record["rebooted"] is False
    assert record["checked_at"] == "2026-12-20T01:00:00+09:00"


def test_the_host_own_recorded_result_comes_before_the_default(result):
    # recorded/failed/ holds localhost.json (one KB failed) and an empty _default.json
    assert result["failed"]["outcome"]["win_updates"]["failed_update_count"] == 1


def test_a_failed_update_stops_the_host_naming_it(result):
    assert "更新プログラムの適用に失敗しました" in result["failed"]["stopped"]
    assert "KB5071001" in result["failed"]["stopped"]


def test_a_failed_update_fails_the_record_with_its_hresult(result):
    record = result["failed"]["record"]
    assert record["result"] == "failed"
    assert record["kbs"] == {"KB5071001": "failed(0x80240022)", "KB5071010": "installed"}


def test_no_stand_in_was_restarted(controller):
    mark = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "stand-in-restarted")
    assert not controller.file(mark).exists
