"""The health_gate role on its own, against a real listening socket on loopback (no lab needed)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
PLAY = """---
- name: Gate one host
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Health gate
      ansible.builtin.include_role:
        name: health_gate
      vars:
        health_gate_host: probe
        health_gate_timeout: 2
        health_gate_delay: 1
"""


def gate(tmp_path: Path, port: int) -> subprocess.CompletedProcess:
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    probe:\n      ansible_host: 127.0.0.1\n      jichitai_os_family: appliance\n"
        f"      jichitai_outage_health_checks: [ping, tcp]\n      jichitai_outage_health_ports: [{port}]\n",
        encoding="utf-8",
    )
    (tmp_path / "play.yml").write_text(PLAY, encoding="utf-8")
    env = os.environ | {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
    }
    cmd = [str(BIN / "ansible-playbook"), "-i", str(tmp_path / "hosts.yml"), str(tmp_path / "play.yml")]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False)


def test_gate_passes_while_the_port_answers_and_names_the_check_when_it_does_not(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        passed = gate(tmp_path, port)
    finally:
        server.close()
    assert passed.returncode == 0, passed.stdout[-2000:]

    failed = gate(tmp_path, port)
    said = " ".join(failed.stdout.split())
    assert failed.returncode != 0
    assert f"health gate: probe did not come back: tcp (Timeout when waiting for 127.0.0.1:{port})" in said, (
        said[-2000:]
    )
