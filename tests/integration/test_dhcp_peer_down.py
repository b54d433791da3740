"""One peer of the DHCP pair stopped: dhcp_info reports it, dhcp_reservations refuses to change the
survivor unless told to, and the pair is brought back in line (converge) once the peer returns."""

from __future__ import annotations

import pytest
from appliance_helpers import (
    LAB_SUBNET,
    PAIR,
    dhcp_play,
    kea_clients,
    kea_component,
    reservation_set,
    restored_pair,
    run_playbook,
    snapshot,
    wait_ha,
)

pytestmark = pytest.mark.lab

PRINTER = {"hostname": "prn-cityhall-6f-01", "mac": "02:4a:00:10:06:01", "ip": "198.18.100.61"}
PRINTER_ROW = (PRINTER["mac"], PRINTER["ip"], PRINTER["hostname"])


def reservations(phases, **options):
    args = {"subnet": LAB_SUBNET, "state": "present", "reservations": [PRINTER]} | options
    return dhcp_play("dhcp_reservations", args, phases)


@pytest.fixture
def pair(lab, lab_vars):
    clients = kea_clients(lab_vars)
    with restored_pair(clients):
        yield clients


def test_a_stopped_peer_is_reported_and_never_changed_behind_its_back(pair):
    before = snapshot(pair)
    info = run_playbook(dhcp_play("dhcp_info", {"subnet": LAB_SUBNET})).result("apply")
    assert info["pair_healthy"] and [p["ha_state"] for p in info["peers"]] == ["hot-standby", "hot-standby"]

    kea_component("stop-peer", "dhcp02")
    wait_ha(pair, {"dhcp01": ("partner-down",)})

    info = run_playbook(dhcp_play("dhcp_info", {"subnet": LAB_SUBNET})).result("apply")
    assert not info.get("failed") and info["pair_healthy"] is False
    dhcp01, dhcp02 = info["peers"]
    assert (dhcp01["reachable"], dhcp01["ha_state"], dhcp01["partner_state"]) == (
        True,
        "partner-down",
        "unavailable",
    )
    assert dhcp02["reachable"] is False
    assert "dhcp02: cannot reach the control agent at http://127.0.0.1:8002/" in dhcp02["error"]
    assert info["subnets"][0]["pool_size"] == 250

    # a change is refused as a whole: the surviving peer is not touched
    run = run_playbook(reservations(("check", "apply")))
    for phase in ("check", "apply"):
        result = run.result(phase)
        assert result.get("failed") and not result["changed"]
        assert "a peer of the pair is down, so no peer is changed" in result["msg"]
        assert "allow_peer_down=true" in result["msg"]
    assert reservation_set(pair["dhcp01"]) == before["dhcp01"]

    # explicitly allowed: the survivor alone changes (check, apply, again)
    run = run_playbook(reservations(("check", "apply", "again"), allow_peer_down=True))
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert check["changed"] and apply["changed"] and apply["changes"] == check["changes"]
    assert apply["peers_skipped"] == ["dhcp02"]
    assert [(p["name"], p["changed"]) for p in apply["peers"]] == [("dhcp01", True), ("dhcp02", False)]
    assert apply["peers"][0]["ha_state"] == "partner-down"
    assert not again["changed"]
    assert reservation_set(pair["dhcp01"]) == before["dhcp01"] | {PRINTER_ROW}

    # the peer returns with its own saved configuration: the pair now differs and is refused ...
    kea_component("up")
    wait_ha(pair, dict.fromkeys(PAIR, ("hot-standby",)), timeout=60)
    assert reservation_set(pair["dhcp02"]) == before["dhcp02"]
    refused = run_playbook(reservations(("apply",))).result("apply")
    assert refused.get("failed") and "already differ" in refused["msg"]
    assert f"only on dhcp01: ['{PRINTER['mac']} {PRINTER['ip']} {PRINTER['hostname']}']" in refused["msg"]

    # ... until it is converged on the first peer
    run = run_playbook(reservations(("check", "apply", "again"), converge=True))
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert (
        check["changed"]
        and check["changes"] == []
        and [p["changed"] for p in check["peers"]] == [False, True]
    )
    assert apply["changed"] and not again["changed"]
    assert snapshot(pair) == dict.fromkeys(PAIR, before["dhcp01"] | {PRINTER_ROW})
