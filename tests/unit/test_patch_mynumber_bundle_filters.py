"""The My Number bundle's filters: what the bundle does per package (versions ordered as dpkg orders
them, never a downgrade) and the host's patch record, which the security patch status reads."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils.patch import status

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("pmb", ROOT / "filter_plugins" / "patch_mynumber_bundle.py")
pmb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pmb)
PACKAGES = [
    {"name": "jichitai-lab-agent", "version": "1.1.0-1"},
    {"name": "jichitai-lab-tools", "version": "1.0.1-1"},
]
PAIRS = [
    ("1.0.0-1", "1.1.0-1"),
    ("1.1.0-1", "1.1.0-1"),
    ("1.10-1", "1.9-1"),
    ("1.0~rc1-1", "1.0-1"),
    ("1:0.9-1", "2.0-1"),
    ("1.0-1", "1.0-1+deb12u1"),
    ("1.0a", "1.0"),
    ("2.0", "2.0-0"),
]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_versions_are_ordered_as_dpkg_orders_them(a, b):
    ours = pmb.debian_version_compare(a, b)
    for op, holds in (("lt", ours < 0), ("eq", ours == 0), ("gt", ours > 0)):
        rc = subprocess.run(["dpkg", "--compare-versions", a, op, b], check=False).returncode
        assert (rc == 0) == holds, (a, op, b)


def test_the_plan_installs_missing_and_older_and_leaves_current_and_newer():
    installed = {
        "jichitai-lab-agent": [{"version": "1.0.0-1"}],
        "jichitai-lab-tools": [{"version": "1.0.1-1"}],
    }
    plan = pmb.mynumber_bundle_plan(PACKAGES, installed)
    assert [(p["name"], p["previous"], p["action"]) for p in plan] == [
        ("jichitai-lab-agent", "1.0.0-1", "install"),
        ("jichitai-lab-tools", "1.0.1-1", "current"),
    ]
    newer = pmb.mynumber_bundle_plan(PACKAGES[:1], {"jichitai-lab-agent": [{"version": "1:0.1-1"}]})
    assert newer[0]["action"] == "newer"
    assert pmb.mynumber_bundle_plan(PACKAGES[:1], {})[0] == {
        "name": "jichitai-lab-agent", "version": "1.1.0-1", "previous": None, "action": "install",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "reboot", "result", "state"),
    [
        ("done", False, "installed", "installed"),
        ("done", True, "pending_reboot", "installed"),
        ("refused", False, "failed", "missing"),
        ("failed", False, "failed", "failed"),
    ],
)
def test_the_record_is_one_the_patch_status_reads(outcome, reboot, result, state):
    plan = pmb.mynumber_bundle_plan(PACKAGES, {"jichitai-lab-tools": [{"version": "1.0.1-1"}]})
    record = pmb.mynumber_bundle_record(
        plan,
        "mnxfer01",
        "mynumber",
        "servers",
        "2026-12-17T10:00:00+00:00",
        outcome,
        reboot,
        {"bundle_id": "b"},
    )
    assert record["result"] == result and record["bundle_id"] == "b"
    assert record["packages"]["jichitai-lab-agent"]["state"] == state
    assert record["packages"]["jichitai-lab-tools"] == {
        "version": "1.0.1-1",
        "state": "installed",
        "previous": "1.0.1-1",
    }
    # the packages are also the record's updates, so the host-by-update matrix shows them
    assert record["kbs"]["jichitai-lab-agent=1.1.0-1"] == state
    status.check_records([record])
    assert "jichitai-lab-agent=1.1.0-1" in {k["kb"] for k in status.summarise([record])["kbs"]}


def test_a_host_already_current_is_up_to_date():
    plan = pmb.mynumber_bundle_plan(PACKAGES, {p["name"]: [{"version": p["version"]}] for p in PACKAGES})
    record = pmb.mynumber_bundle_record(
        plan, "mnxfer01", "mynumber", "servers", "2026-12-17T10:00:00", "done"
    )
    assert record["result"] == "up_to_date"
    assert status.host_status(status.check_records([record])[0]) == "compliant"


def test_approved_packages_from_a_survey_text_or_a_list():
    text = "jichitai-lab-agent=1.1.0-1, jichitai-lab-tools=1.0.1-1\n"
    assert pmb.mynumber_bundle_packages(text) == PACKAGES
    assert pmb.mynumber_bundle_packages(PACKAGES) == PACKAGES
    with pytest.raises(pmb.AnsibleFilterError, match="jichitai-lab-agent"):
        pmb.mynumber_bundle_packages("jichitai-lab-agent")
    with pytest.raises(pmb.AnsibleFilterError):
        pmb.mynumber_bundle_packages([{"name": "x"}])
