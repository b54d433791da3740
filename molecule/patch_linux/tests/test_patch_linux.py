"""patch_linux on xfer-inet01 against the lab's Debian repository: the host, read over ssh, carries
the approved versions from its segment's repository and was rebooted as the agent update asked; the
outcome the role kept makes the patch record the status report reads."""

from __future__ import annotations

import pytest

UPDATES = {"jichitai-lab-agent": ("1.0.0-1", "1.1.0-1"), "jichitai-lab-tools": ("1.0.0-1", "1.0.1-1")}


@pytest.fixture(scope="module")
def host(lab_host):
    return lab_host("xfer-inet01")


@pytest.fixture(scope="module")
def result(converge_output):
    return converge_output("patch_linux")


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_the_approved_version_is_installed(host, name):
    package = host.package(name)
    assert package.is_installed
    assert package.version == UPDATES[name][1]


def test_the_host_reads_its_segment_repository(host):
    source = host.file("/etc/apt/sources.list.d/jichitai.sources")
    assert source.exists
    assert "URIs: http://198.18.20.1:8080/" in source.content_string
    assert "Suites: production" in source.content_string
    assert "BEGIN PGP PUBLIC KEY BLOCK" in source.content_string  # Signed-By: the lab repository key


def test_nothing_more_is_pending(host):
    simulation = host.check_output("apt-get -s -o Debug::NoLocking=1 dist-upgrade")
    assert not [line for line in simulation.splitlines() if line.startswith("Inst ")], simulation


def test_the_host_was_rebooted_and_asks_for_nothing_more(host):
    # prepare marked the boot before the run in /run, which a reboot empties
    assert not host.file("/run/molecule-before-patch").exists
    assert host.file("/run/lab-boot-id").exists
    assert not host.file("/run/reboot-required").exists


def test_the_outcome_lists_the_updates_with_their_versions(result):
    outcome = result["outcome"]
    assert outcome["kind"] == "linux"
    assert {p["name"]: (p["current"], p["candidate"]) for p in outcome["pending"]} == UPDATES
    assert outcome["rebooted"] is True
    assert outcome["reboot_required"] is False


def test_the_patch_record(result):
    record = result["record"]
    assert record["host"] == "xfer-inet01"
    assert record["segment"] == "internet"
    assert record["result"] == "installed"
    assert record["kbs"] == {
        "jichitai-lab-agent=1.1.0-1": "installed",
        "jichitai-lab-tools=1.0.1-1": "installed",
    }
    assert record["rebooted"] is True
