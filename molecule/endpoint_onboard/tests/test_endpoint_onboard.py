"""endpoint_onboard on stand-in devices: the addresses allocated from the lab's IP ledger, the old
antivirus gone, the contract antivirus, SKYSEA agent and workflow client installed, the domain joined and
the reboots as few as the removal and the join need (the second converge changed nothing: molecule's
idempotence step)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."))


@pytest.fixture(scope="module")
def devices():
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (EPHEMERAL / "devices").glob("*.json")}


def test_each_device_got_the_next_free_address_of_the_city_hall_scope(converge_output):
    planned = {d["name"]: d for d in converge_output("endpoint_onboard")}
    assert [planned[n]["ansible_host"] for n in ("lgnb1401", "lgdt1402")] == ["198.18.100.2", "198.18.100.3"]
    assert all(d["scope"] == "cityhall-lab" and not d["onboarded"] for d in planned.values())


def test_the_old_antivirus_is_gone_and_the_contract_software_is_in(devices):
    for name, state in devices.items():
        products = {p["name"]: p["version"] for p in state["installed"]}
        assert "ESET Endpoint Antivirus" not in products, name
        assert products["SKYSEA Client View エージェント"] == "19.2.0.1", name
        assert "Trend Micro Apex One セキュリティエージェント" in products, name
        assert "SKYSEA Client View 申請・承認ワークフロー クライアント" in products, name


def test_joined_with_no_reboot_beyond_the_removal_and_the_join(devices):
    assert {n: (d["domain"], d["reboots"]) for n, d in devices.items()} == {
        "lgnb1401": ("lab.jichitai.test", 2),
        "lgdt1402": ("lab.jichitai.test", 1),
    }
    assert not any(d["pending_reboot"] for d in devices.values())
