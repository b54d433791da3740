"""dhcp_sync: both Kea peers serve the ledger's reservations, the added one included, and stay a pair."""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
PEERS = {"dhcp01": "http://127.0.0.1:8001/", "dhcp02": "http://127.0.0.1:8002/"}
ADDED = {"hostname": "molecule-prn-01", "hw-address": "02:4a:00:99:00:01", "ip-address": "198.18.100.99"}


def lab_vars(path: str) -> dict:
    return yaml.safe_load((PROJECT / "inventories" / "lab" / path).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kea(lab_secret):
    user = f"jichitai-ops:{lab_secret('vault_lab_kea_api_password')}"
    auth = base64.b64encode(user.encode()).decode()

    def call(peer: str, command: str, arguments: dict | None = None):
        body = {"command": command, "service": ["dhcp4"], **({"arguments": arguments} if arguments else {})}
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {auth}"}
        request = urllib.request.Request(PEERS[peer], json.dumps(body).encode(), headers)
        with urllib.request.urlopen(request, timeout=10) as answer:  # the lab's agent on loopback
            return json.loads(answer.read())[0]

    return call


def reservations(kea, peer: str, subnet: str) -> list[dict]:
    answer = kea(peer, "config-get")
    assert answer["result"] == 0, answer
    (found,) = [s for s in answer["arguments"]["Dhcp4"]["subnet4"] if s["subnet"] == subnet]
    return sorted(
        ({k: r[k] for k in ("hostname", "hw-address", "ip-address")} for r in found.get("reservations", [])),
        key=lambda r: r["ip-address"],
    )


def test_both_peers_serve_the_ledger_and_the_added_reservation(kea):
    scope = lab_vars("group_vars/pair_dhcp.yml")["jichitai_dhcp_scopes"][0]
    ledger = [
        {"hostname": r["hostname"], "hw-address": r["mac"], "ip-address": r["ip"]}
        for r in scope["reservations"]
    ]
    wanted = sorted([*ledger, ADDED], key=lambda r: r["ip-address"])
    for peer in PEERS:
        assert reservations(kea, peer, scope["subnet"]) == wanted, peer


def test_the_pair_is_back_in_its_normal_ha_states(kea):
    # a peer given a new configuration goes through `waiting` for a few seconds before it is back
    states = {}
    for _attempt in range(20):
        for peer in PEERS:
            answer = kea(peer, "status-get")
            assert answer["result"] == 0, answer
            states[peer] = answer["arguments"]["high-availability"][0]["ha-servers"]["local"]["state"]
        if sorted(states.values()) == ["hot-standby", "hot-standby"]:
            break
        time.sleep(1)
    assert sorted(states.values()) == ["hot-standby", "hot-standby"], states
