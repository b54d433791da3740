"""Patch records of hosts updated with Linux packages (the My Number bundle): kbs may be empty when
packages are given, and a package's state counts in the host's status as a KB's does."""

from __future__ import annotations

import pytest
from ansible.module_utils.patch import status as s


def record(result="installed", packages=None, kbs=None):
    return {
        "host": "mnxfer01",
        "segment": "mynumber",
        "ring": "servers",
        "result": result,
        "kbs": kbs or {},
        "checked_at": "2026-12-17T19:05:00+09:00",
        "oldest_missing_release": None,
        "packages": packages
        if packages is not None
        else {"jichitai-lab-agent": {"version": "1.1.0-1", "state": "installed", "previous": None}},
    }


@pytest.mark.parametrize(
    ("result", "state", "status"),
    [
        ("installed", "installed", "compliant"),
        ("pending_reboot", "installed", "pending_reboot"),
        ("failed", "failed", "failed"),
        ("installed", "failed", "failed"),
        ("installed", "missing", "missing"),
    ],
)
def test_package_records_count_like_kbs(result, state, status):
    packages = {"jichitai-lab-agent": {"version": "1.1.0-1", "state": state, "previous": "1.0.0-1"}}
    rec = record(result, packages)
    s.check_records([rec])
    assert s.host_status(rec) == status


def test_a_summary_of_package_records_keeps_the_packages():
    summary = s.summarise([record("pending_reboot")])
    assert summary["total"]["pending_reboot"] == 1
    assert summary["hosts"][0]["packages"]["jichitai-lab-agent"]["version"] == "1.1.0-1"


def test_an_installed_record_with_neither_kbs_nor_packages_is_still_refused():
    with pytest.raises(s.StatusInputError) as caught:
        s.check_records([record(packages={})])
    assert "result installed なのに kbs が空です" in str(caught.value)


def test_a_bad_package_state_is_named():
    with pytest.raises(s.StatusInputError) as caught:
        s.check_records([record(packages={"jichitai-lab-agent": {"version": "1.1.0-1", "state": "done"}})])
    assert "パッケージ jichitai-lab-agent の state は installed/missing/failed のいずれか" in str(
        caught.value
    )
