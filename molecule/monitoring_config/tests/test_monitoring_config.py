"""monitoring_config: the files pass the engines' own checkers and Prometheus scrapes every lab host."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
ETC = PROJECT / "lab" / "run" / "monitoring" / "etc"


def query(path: str) -> dict:
    with urllib.request.urlopen("http://127.0.0.1:9090" + path, timeout=10) as answer:  # lab, loopback
        return json.loads(answer.read())["data"]


def lab_hosts() -> set[str]:
    found, stack = set(), [yaml.safe_load((PROJECT / "inventories" / "lab" / "hosts.yml").read_text())["all"]]
    while stack:
        group = stack.pop() or {}
        found |= set((group.get("hosts") or {}).keys())
        stack.extend((group.get("children") or {}).values())
    return found


def test_the_files_pass_promtool_and_amtool():
    for cmd in (
        ["promtool", "check", "config", str(ETC / "prometheus.yml")],
        ["amtool", "check-config", str(ETC / "alertmanager.yml")],
    ):
        check = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr


def test_every_lab_host_is_a_prometheus_target():
    deadline = time.monotonic() + 30
    while True:
        hosts = {t["labels"].get("jichitai_host") for t in query("/api/v1/targets")["activeTargets"]}
        if lab_hosts() <= hosts or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert sorted(lab_hosts() - hosts) == []


def test_the_dhcp_pair_answers_in_a_normal_ha_state():
    deadline = time.monotonic() + 30
    while True:
        result = query('/api/v1/query?query=probe_success{jichitai_probe="kea_ha"}')["result"]
        if len(result) == 2 and all(r["value"][1] == "1" for r in result) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert {r["metric"]["jichitai_host"]: r["value"][1] for r in result} == {"dhcp01": "1", "dhcp02": "1"}
