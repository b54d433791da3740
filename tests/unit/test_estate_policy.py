"""Estate-wide policy (top-level group_vars/) reaches every inventory beneath its own group_vars."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from estate_helpers import ESTATE, LAB, ROOT, ansible, plain

POLICY = yaml.safe_load((ROOT / "group_vars" / "all" / "segments.yml").read_text(encoding="utf-8"))
SLA = yaml.safe_load((ROOT / "group_vars" / "all" / "sla.yml").read_text(encoding="utf-8"))["jichitai_sla"]
LAB_SUBNETS = ["198.18.0.0/15"]


def host_vars(inventory: Path, host: str, cwd: Path = ROOT) -> dict:
    # ansible.cfg alone must keep the top-level group_vars/ from being read as playbook-directory
    # variables when ansible-inventory runs from the repository root (tests/conftest.py sets it too)
    result = ansible(
        "ansible-inventory", "-i", str(inventory), "--host", host, cwd=cwd, unset=("ANSIBLE_PLAYBOOK_DIR",)
    )
    assert result.returncode == 0, result.stderr
    return plain(json.loads(result.stdout))


def tiny_inventory(path: Path, override: bool) -> Path:
    """One host; optionally the inventory's own segment plan, as the lab keeps its own."""
    (path / "group_vars" / "all").mkdir(parents=True)
    (path / "hosts.yml").write_text("---\nall:\n  hosts:\n    lab01:\n      ansible_host: 198.18.10.5\n")
    if override:
        (path / "group_vars" / "all" / "segments.yml").write_text(
            f"---\njichitai_segments:\n  lgwan: {{subnets: {LAB_SUBNETS}}}\n", encoding="utf-8"
        )
    return path


def test_production_inventory_sees_the_policy():
    v = host_vars(ESTATE, "ad01")
    assert v["jichitai_segments"]["lgwan"]["subnets"] == ["10.10.0.0/16", "10.11.0.0/16"]
    assert v["jichitai_segments"]["internet"]["subnets"] == ["172.20.0.0/16"]
    assert v["jichitai_segments"]["mynumber"]["subnets"] == ["192.168.50.0/24"]
    assert v["jichitai_sla"] == SLA
    assert v["jichitai_transfer_routes"] == POLICY["jichitai_transfer_routes"]


def test_lab_inventory_sees_the_policy(tmp_path):
    """The lab (or, before it exists, a stand-in) gets jichitai_segments from the estate policy
    or from its own override, and the SLA from the policy."""
    inventory = LAB if (LAB / "hosts.yml").exists() else tiny_inventory(tmp_path, override=True)
    listing = ansible("ansible-inventory", "-i", str(inventory), "--list", "--export")
    assert listing.returncode == 0, listing.stderr
    host = next(iter(plain(json.loads(listing.stdout))["_meta"]["hostvars"]))
    v = host_vars(inventory, host)
    if inventory == LAB:
        assert set(v["jichitai_segments"]) == {"lgwan", "internet", "mynumber"}
    assert v["jichitai_segments"] != POLICY["jichitai_segments"], "the lab keeps its own address plan"
    assert v["jichitai_sla"] == SLA


@pytest.mark.parametrize("cwd", ["repository", "elsewhere"])
def test_inventory_group_vars_override_the_policy(tmp_path, cwd):
    inventory = tiny_inventory(tmp_path / "inv", override=True)
    v = host_vars(inventory, "lab01", cwd=ROOT if cwd == "repository" else tmp_path)
    assert v["jichitai_segments"] == {"lgwan": {"subnets": LAB_SUBNETS}}
    assert v["jichitai_sla"] == SLA  # what the inventory does not override still comes from the policy


def test_inventory_without_policy_of_its_own_gets_the_estate_policy(tmp_path):
    v = host_vars(tiny_inventory(tmp_path, override=False), "lab01")
    assert v["jichitai_segments"] == POLICY["jichitai_segments"]


def test_playbooks_see_the_override_too(tmp_path):
    inventory = tiny_inventory(tmp_path / "inv", override=True)
    playbook = tmp_path / "show.yml"
    playbook.write_text(
        textwrap.dedent(
            """\
            ---
            - name: Show the policy a play sees
              hosts: lab01
              gather_facts: false
              tasks:
                - name: Show it
                  ansible.builtin.debug:
                    msg: "{{ jichitai_segments.lgwan.subnets | join(',') }}|{{ jichitai_sla.fault_line }}"
            """
        ),
        encoding="utf-8",
    )
    result = ansible("ansible-playbook", "-i", str(inventory), str(playbook))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "198.18.0.0/15|24x365" in result.stdout
