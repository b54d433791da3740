"""Helpers for the UPS and DHCP appliance tests: run playbooks on the lab inventory, reach the lab servers.

Playbooks run through ansible-playbook with the JSON callback, as an operator would run them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
LAB_INVENTORY = REPO / "inventories" / "lab"
KEA_COMPONENT = REPO / "lab" / "components" / "30-kea.sh"
NUT_DRIVE = REPO / "lab" / "nut" / "drive.py"
SNMP_DRIVE = REPO / "lab" / "snmp" / "drive.py"
PAIR = ("dhcp01", "dhcp02")
# the lab Kea servers' DHCP ports (lab/components/30-kea.sh); dhcp01 is the primary that serves
DHCP_PORT = {"dhcp01": 6701, "dhcp02": 6702}
LAB_SCOPES = yaml.safe_load((LAB_INVENTORY / "group_vars" / "pair_dhcp.yml").read_text())[
    "jichitai_dhcp_scopes"
]
LAB_SUBNET = LAB_SCOPES[0]["subnet"]


def module_utils(name: str):
    """A plugins/module_utils module (``kea.client``), imported under the name Ansible gives it
    (tests/conftest.py puts plugins/module_utils on ansible.module_utils' path)."""
    return importlib.import_module(f"ansible.module_utils.{name}")


@dataclass
class Run:
    rc: int
    report: dict
    stderr: str

    def results(self, task_name: str) -> dict[str, dict]:
        """{host: result} of the task with that name (the last one when it ran several times)."""
        found, last_id = {}, None
        for play in self.report.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"] != task_name:
                    continue
                # under a strategy that is not lockstep to the json callback (workplan_linear), each
                # host's result of one task is an entry of its own with the same task id
                if task["task"]["id"] != last_id:
                    found, last_id = {}, task["task"]["id"]
                found.update(task["hosts"])
        if not found:
            raise AssertionError(f"task {task_name!r} did not run (rc {self.rc}): {self.stderr[-3000:]}")
        return found

    def result(self, task_name: str, host: str | None = None) -> dict:
        results = self.results(task_name)
        return results[host] if host else next(iter(results.values()))

    @property
    def changed(self) -> bool:
        return any(s.get("changed", 0) for s in self.report.get("stats", {}).values())

    @property
    def failed(self) -> bool:
        return self.rc != 0


def run_playbook(
    playbook: Path | list,
    extra_vars: dict | None = None,
    check: bool = False,
    diff: bool = True,
    timeout: int = 300,
    env: dict | None = None,
    limit: str | None = None,
) -> Run:
    """ansible-playbook on the lab inventory; plays given as a path or as a list of play dicts."""
    with tempfile.TemporaryDirectory() as tmp:
        if not isinstance(playbook, Path):
            path = Path(tmp) / "play.yml"
            path.write_text(yaml.safe_dump(playbook, allow_unicode=True, sort_keys=False))
            playbook = path
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(LAB_INVENTORY), str(playbook)]
        if extra_vars:
            extra = Path(tmp) / "extra.json"
            fd = os.open(extra, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(extra_vars, fh)
            cmd += ["-e", f"@{extra}"]
        if limit:
            cmd += ["--limit", limit]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        run_env = (
            os.environ
            | {
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
                "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                "ANSIBLE_CALLBACKS_ENABLED": "workplan",
                "JICHITAI_WORKPLAN_LAB": "1",
            }
            | (env or {})
        )
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=run_env, cwd=REPO, check=False
        )
    start = proc.stdout.find("{")
    if start < 0:
        raise AssertionError(f"ansible-playbook gave no JSON (rc {proc.returncode}): {proc.stderr[-3000:]}")
    report, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    return Run(proc.returncode, report, proc.stderr)


PHASES = {"check": True, "apply": False, "again": False}


def module_play(
    module: str, args: dict, hosts: str = "localhost", phases=("apply",), pre_tasks: list | None = None
) -> list[dict]:
    """One play running a module once per phase (check: check mode; apply, again: for real).

    Each phase is a task named after it; failures are results, not aborts. Running the phases in one
    play keeps the test fast, and proves check mode honest: a later apply still finds the change.
    """
    tasks = [
        {"name": phase, module: args, "check_mode": PHASES[phase], "ignore_errors": True} for phase in phases
    ]
    return [
        {"name": "appliance test", "hosts": hosts, "gather_facts": False, "tasks": (pre_tasks or []) + tasks}
    ]


# ---- the Kea pair -------------------------------------------------------------------------------
def kea_clients(lab_vars) -> dict:
    kea = module_utils("kea.client")
    return {
        host: kea.KeaClient(
            host,
            lab_vars(host)["jichitai_kea_api_url"],
            lab_vars(host)["jichitai_kea_api_user"],
            lab_vars(host)["jichitai_kea_api_password"],
            timeout=5,
        )
        for host in PAIR
    }


# the module's peers option, from the lab inventory; extra var peer_override: {host: {key: value}}
PEERS_TASK = {
    "name": "collect the peers of the pair",
    "ansible.builtin.set_fact": {
        "lab_peers": "{{ lab_peers | default([]) + [{'name': item,"
        " 'url': hostvars[item].jichitai_kea_api_url, 'user': hostvars[item].jichitai_kea_api_user,"
        " 'password': hostvars[item].jichitai_kea_api_password}"
        " | combine((peer_override | default({}))[item] | default({}))] }}",
    },
    "loop": list(PAIR),
    "no_log": True,
}


def dhcp_play(module: str, args: dict, phases=("apply",)) -> list[dict]:
    """A play running a DHCP module on the lab pair (option peers from the inventory)."""
    return module_play(
        module, {"peers": "{{ lab_peers }}"} | args, hosts="dhcp01", phases=phases, pre_tasks=[PEERS_TASK]
    )


def subnet_of(client, prefix: str = LAB_SUBNET) -> dict:
    reservations = module_utils("kea.reservations")
    return reservations.find_subnet(client.config_get()["Dhcp4"], prefix)


def reservation_set(client, prefix: str = LAB_SUBNET) -> set[tuple[str, str, str]]:
    return {
        (r.get("hw-address"), r.get("ip-address"), r.get("hostname") or "")
        for r in subnet_of(client, prefix).get("reservations", [])
    }


def wait_ha(clients: dict, states: dict[str, tuple[str, ...]], timeout: float = 30) -> dict:
    """Wait until each peer's HA state is one of the given ones; the states seen last."""
    deadline = time.monotonic() + timeout
    kea = module_utils("kea.client")
    while True:
        seen = {}
        for host in states:
            try:
                seen[host] = (clients[host].ha_state() or {}).get("state")
            except kea.KeaError as exc:
                seen[host] = f"unreachable: {exc}"
        if all(seen[h] in states[h] for h in states):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"HA states {seen}, wanted {states}")
        time.sleep(0.2)


@contextlib.contextmanager
def restored_pair(clients: dict):
    """The pair's configurations are put back, and test leases removed, when the block ends."""
    healthy = dict.fromkeys(PAIR, ("hot-standby",))
    wait_ha(clients, healthy, timeout=60)
    saved = {host: clients[host].config_get() for host in PAIR}
    try:
        yield saved
    finally:
        kea_component("up")  # a peer a test stopped comes back with its saved configuration
        for host in PAIR:
            if clients[host].config_get() != saved[host]:
                clients[host].config_set(saved[host])
                clients[host].config_write()
                wait_ha(clients, dict.fromkeys(PAIR, ("hot-standby", "waiting", "syncing", "ready")))
            for lease in clients[host].leases_in_subnets([subnet_of(clients[host])["id"]]):
                clients[host].command("lease4-del", {"ip-address": lease["ip-address"]})
        wait_healthy(clients)


def wait_healthy(clients: dict, timeout: float = 60) -> None:
    """Wait until every peer is in hot-standby and sees its partner in hot-standby too."""
    deadline = time.monotonic() + timeout
    kea = module_utils("kea.client")
    while True:
        try:
            views = [clients[host].ha_state() or {} for host in PAIR]
        except kea.KeaError:
            views = []
        if views and all(v.get("state") == v.get("partner_state") == "hot-standby" for v in views):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the pair is not healthy: {views}")
        time.sleep(0.2)


def snapshot(clients: dict) -> dict[str, set]:
    return {host: reservation_set(clients[host]) for host in PAIR}


def kea_component(action: str, *args: str) -> None:
    proc = subprocess.run(
        ["bash", str(KEA_COMPONENT), action, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"30-kea.sh {action} {' '.join(args)}: {proc.stderr}"


def perfdhcp(mac: str, server: str = "dhcp01", relay_port: int = 6799) -> str:
    """One DORA exchange by a real DHCP client (perfdhcp, relayed from 127.0.0.1); its report."""
    proc = subprocess.run(
        [
            "perfdhcp",
            "-4",
            "-l",
            "127.0.0.1",
            "-L",
            str(relay_port),
            "-N",
            str(DHCP_PORT[server]),
            "-o",
            "82,1300",
            "-b",
            f"mac={mac}",
            "-R",
            "1",
            "-r",
            "1",
            "-p",
            "3",
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return proc.stdout + proc.stderr


# ---- the UPSes ------------------------------------------------------------------------------------
UPS_ARGS = {
    "backend": "{{ jichitai_ups_backend }}",
    "address": "{{ jichitai_ups_address }}",
    "port": "{{ jichitai_ups_port }}",
    "name": "{{ jichitai_ups_name }}",
    "user": "{{ jichitai_ups_user | default(omit) }}",
    "password": "{{ jichitai_ups_password | default(omit) }}",
    "community": "{{ jichitai_ups_community | default(omit) }}",
    "write_community": "{{ jichitai_ups_write_community | default(omit) }}",
}


def drive_nut(ups: str, state: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(NUT_DRIVE), ups, state], capture_output=True, text=True, timeout=30, check=False
    )
    assert proc.returncode == 0, proc.stderr


def drive_snmp(state: str) -> None:
    proc = subprocess.run(
        [str(VENV_BIN / "python"), str(SNMP_DRIVE), state],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
