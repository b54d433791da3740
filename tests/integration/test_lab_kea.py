"""The lab's DHCP appliance pair is real and healthy: status-get on both Kea peers via the lab inventory."""

from __future__ import annotations

import pytest
from appliance_helpers import LAB_SUBNET, PAIR, kea_clients, wait_healthy

pytestmark = pytest.mark.lab


def test_both_peers_report_a_healthy_hot_standby_pair(lab, lab_vars):
    clients = kea_clients(lab_vars)
    # a peer learns its partner's state from the next heartbeat (250 ms in the lab)
    wait_healthy(clients, timeout=15)
    roles = {}
    for host in PAIR:
        status = clients[host].status()
        ha = status["high-availability"][0]
        assert ha["ha-mode"] == "hot-standby"
        local, remote = ha["ha-servers"]["local"], ha["ha-servers"]["remote"]
        assert local["state"] == "hot-standby", f"{host}: {local}"
        assert remote["in-touch"] is True and remote["last-state"] == "hot-standby", f"{host}: {remote}"
        roles[host] = local["role"]
    assert roles == {"dhcp01": "primary", "dhcp02": "standby"}


def test_both_peers_serve_the_ledger_scope(lab, lab_vars):
    clients = kea_clients(lab_vars)
    scope = lab_vars("dhcp01")["jichitai_dhcp_scopes"][0]
    ledger = {(r["mac"], r["ip"]) for r in scope["reservations"]}
    for host in PAIR:
        dhcp4 = clients[host].config_get()["Dhcp4"]
        subnet = next(s for s in dhcp4["subnet4"] if s["subnet"] == LAB_SUBNET)
        assert {(r["hw-address"], r["ip-address"]) for r in subnet["reservations"]} == ledger
        assert (
            subnet["pools"][0]["pool"].replace(" ", "") == f"{scope['pool']['start']}-{scope['pool']['end']}"
        )


def test_wrong_password_is_refused_by_the_control_agent(lab, lab_vars):
    client = kea_clients(lab_vars)["dhcp01"]
    client.password = "not-the-lab-password"
    from appliance_helpers import module_utils

    with pytest.raises(module_utils("kea.client").KeaAuthError, match="refused the credentials"):
        client.status()
