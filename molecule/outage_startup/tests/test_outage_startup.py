"""outage_startup: mail01 is really back, behind a gate that passed, and the report says so."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


@pytest.fixture(scope="module")
def report():
    files = sorted((EPHEMERAL / "outage").glob("startup-*.json"))
    assert len(files) == 1, files
    return json.loads(files[0].read_text(encoding="utf-8")), files[0].with_suffix(".md")


def test_the_host_is_back_with_its_sshd(lab_host):
    mail01 = lab_host("mail01")
    assert mail01.check_output("hostname") == "mail01"
    assert mail01.process.filter(comm="sshd")


def test_the_report_has_power_on_then_a_passed_gate_and_the_site(report):
    data, markdown = report
    assert data["direction"] == "startup" and not data["halted"]
    steps = [(s["host"], s["step"], s["check"], s["ok"]) for s in data["steps"]]
    assert steps == [("mail01", "power_on", "command", True), ("mail01", "gate", "ssh", True)]
    assert data["steps"][0]["detail"] == "CHANGED: mail01 on"
    assert [(s["id"], s["ok"]) for s in data["sites"]] == [("hoken_center", True)]
    assert "mail01" in markdown.read_text(encoding="utf-8")


def test_the_site_gateway_answers(controller):
    assert controller.run("ping -n -q -c 1 -W 2 198.19.1.1").rc == 0
