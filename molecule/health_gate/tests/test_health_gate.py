"""health_gate changes nothing: its recorded results must match what the lab hosts really do."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def gates(converge_output):
    return converge_output("health_gate")


def checks(results):
    return [(r["check"], r["ok"]) for r in results]


def test_named_checks_pass_on_a_host_whose_sshd_listens(gates, lab_host):
    backup01 = lab_host("backup01")
    assert backup01.socket("tcp://0.0.0.0:22").is_listening or backup01.socket("tcp://:::22").is_listening
    assert backup01.check_output("hostname") == "backup01"
    assert checks(gates["results"]["backup01"]) == [("ping", True), ("ssh", True)]


def test_checks_come_from_the_os_family_and_the_role(gates, lab_host, controller):
    # a Linux host gets the ssh check; a branch gateway (role gateway) the ping check
    assert checks(gates["results"]["mnxfer01"]) == [("ssh", True)]
    assert lab_host("mnxfer01").process.filter(comm="sshd")
    assert checks(gates["results"]["gw-hoken-center"]) == [("ping", True)]
    assert " 198.19.1.1/" in controller.check_output("ip -n labh-gw -4 -o addr show dev eth0")


def test_a_closed_port_is_recorded_as_failed_and_stops_the_hosts_other_checks(gates, lab_host):
    mail01 = lab_host("mail01")
    assert not mail01.socket("tcp://0.0.0.0:9").is_listening
    results = gates["results"]["mail01"]
    assert checks(results) == [("tcp", False)], "the ssh check after a failed one must not run"
    assert "198.18.20.10:9" in results[0]["detail"]


def test_an_unknown_check_is_refused_by_name(gates):
    assert "names unknown checks ['telepathy']" in gates["refusal"]
