"""patch_mynumber_bundle on the lab: mnxfer01 has the approved versions from the bundle that crossed,
nothing is left in the drop or the staging folder, and the first run's record and summary say so."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


@pytest.fixture(scope="module")
def mnxfer01(lab_host):
    return lab_host("mnxfer01")


def runs():
    found = sorted((EPHEMERAL / "runs").iterdir())
    assert len(found) == 2, found  # converge and idempotence
    return found


@pytest.mark.parametrize(
    ("name", "version"), [("jichitai-lab-agent", "1.1.0-1"), ("jichitai-lab-tools", "1.0.1-1")]
)
def test_the_approved_versions_are_installed(mnxfer01, name, version):
    package = mnxfer01.package(name)
    assert package.is_installed and package.version == version
    assert mnxfer01.check_output(f"/usr/bin/{name}") == version


def test_nothing_of_the_bundle_is_left_on_the_host(mnxfer01):
    assert mnxfer01.check_output("ls -A /var/lib/jichitai-ops/patch-bundle") == ""
    assert mnxfer01.check_output("ls -A /srv/xfer/xfer-probe/inbox | grep mynumber- || true") == ""


def test_the_first_record_is_pending_reboot_and_the_second_up_to_date_still_waiting(mnxfer01):
    first, second = (
        json.loads((run / "patch_records.json").read_text(encoding="utf-8"))[0] for run in runs()
    )
    assert first["result"] == "pending_reboot" and first["reboot_required"] is True
    assert first["packages"]["jichitai-lab-agent"]["state"] == "installed"
    assert second["verified_at"] is None and second["result"] == "pending_reboot"
    assert mnxfer01.file("/run/reboot-required").exists


def test_the_summary_names_the_approver_and_the_digest():
    first = runs()[0]
    record = json.loads((first / "patch_records.json").read_text(encoding="utf-8"))[0]
    text = (first / "patch_mynumber_bundle.md").read_text(encoding="utf-8")
    assert "| 承認者 | 検証 承認者 |" in text
    assert f"`{record['manifest_sha256']}`" in text
