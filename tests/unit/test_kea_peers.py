"""kea_peers (filter_plugins/kea_peers.py): the one place the Kea peer list is built from the inventory."""

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("kea_peers", ROOT / "filter_plugins" / "kea_peers.py")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
kea_peers = _mod.kea_peers

HOSTVARS = {
    "dhcp01": {"jichitai_kea_api_url": "https://10.0.0.11:8000/", "jichitai_kea_api_user": "ops",
               "jichitai_kea_api_password": "s1"},
    "dhcp02": {"jichitai_kea_api_url": "https://10.0.0.12:8000/", "jichitai_kea_api_user": "ops",
               "jichitai_kea_api_password": "s2"},
    "dhcp03": {"jichitai_kea_api_url": "http://127.0.0.1:8003/"},
    "ad01": {"jichitai_role": "ad_dc"},
}  # fmt: skip


def test_peers_in_the_order_given_with_their_credentials():
    assert kea_peers(["dhcp02", "dhcp01"], HOSTVARS) == [
        {"name": "dhcp02", "url": "https://10.0.0.12:8000/", "user": "ops", "password": "s2"},
        {"name": "dhcp01", "url": "https://10.0.0.11:8000/", "user": "ops", "password": "s1"},
    ]


def test_a_single_name_is_a_list_of_one_and_missing_credentials_are_none():
    assert kea_peers("dhcp03", HOSTVARS) == [
        {"name": "dhcp03", "url": "http://127.0.0.1:8003/", "user": None, "password": None}
    ]


def test_every_host_without_a_control_agent_is_named_at_once():
    with pytest.raises(Exception, match=r"no Kea Control Agent for ad01 \(no jichitai_kea_api_url\), "
                                        r"dhcp99 \(not in the inventory\)"):  # fmt: skip
        kea_peers(["dhcp01", "ad01", "dhcp99"], HOSTVARS)


def test_the_lab_pair_as_ansible_reads_it(tmp_path):
    """Through Ansible on the lab inventory: the vaulted password is decrypted, the order kept."""
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.copy:\n"
        "        content: \"{{ groups['pair_dhcp'] | kea_peers(hostvars) | to_json }}\"\n"
        f"        dest: {tmp_path / 'peers.json'}\n"
        "      no_log: true\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["JICHITAI_WORKPLAN_DIR"] = str(tmp_path / "plans")
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", str(ROOT / "inventories/lab"), str(play)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    peers = json.loads((tmp_path / "peers.json").read_text(encoding="utf-8"))
    assert [p["name"] for p in peers] == ["dhcp01", "dhcp02"]
    assert [p["url"] for p in peers] == ["http://127.0.0.1:8001/", "http://127.0.0.1:8002/"]
    assert all(p["user"] == "jichitai-ops" and p["password"] and "$ANSIBLE_VAULT" not in p["password"]
               for p in peers)  # fmt: skip


def test_it_renders_with_ansible_doc():
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-doc"), "-t", "filter", "--json", "kea_peers"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)["kea_peers"]
    assert set(doc["doc"]["options"]) == {"_input", "hostvars"}
    assert doc["examples"].strip() and doc["return"]
