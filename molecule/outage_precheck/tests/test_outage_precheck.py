"""outage_precheck: what the pre-checks recorded must be what the UPS and the backup servers show."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def prechecks(converge_output):
    return converge_output("outage_precheck")


def test_passed_prechecks_match_the_ups_and_the_idle_backup_server(prechecks, controller, lab_host):
    passed = prechecks["passed"]
    assert passed["passed"] is True
    assert [(r["host"], r["check"], r["ok"]) for r in passed["results"]] == [
        ("ups01", "ups", True),
        ("backup01", "backup", True),
    ]
    # the UPS really is on mains power, and no backup-like process runs on backup01
    assert controller.check_output("upsc ups01@127.0.0.1:3493 ups.status 2>/dev/null").split()[0] == "OL"
    assert not lab_host("backup01").run("pgrep -f -- 'jichitai-backup|rsync|restic|borg'").stdout.strip()


def test_a_running_backup_job_stops_the_run_and_is_left_running(prechecks, lab_host):
    failed = prechecks["failed"]
    assert failed, "the pre-checks with mail01 did not fail"
    assert failed["passed"] is False
    mail01 = lab_host("mail01")
    pid = mail01.file("/run/molecule-backup.pid").content_string.strip()
    assert mail01.process.get(pid=int(pid)).args.startswith("jichitai-backup")
    by_host = {r["host"]: r for r in failed["results"]}
    assert by_host["backup01"]["ok"] is True
    assert by_host["mail01"]["ok"] is False
    assert f"running: {pid} jichitai-backup" in by_host["mail01"]["detail"]
    assert "nothing was shut down" in failed["msg"] and "mail01 backup" in failed["msg"]
