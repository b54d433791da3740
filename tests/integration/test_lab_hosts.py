"""The lab's namespace hosts and branch gateways, and a lab that goes down without leaving anything."""

from __future__ import annotations

import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LAB_DIR, LAB_RUN, inventory_list, run_lab_script

pytestmark = pytest.mark.lab

HOSTS_COMPONENT = LAB_DIR / "components" / "60-hosts.sh"


@pytest.fixture(scope="module")
def inventory():
    return inventory_list()


def hostvars(inventory: dict, host: str) -> dict:
    return inventory["_meta"]["hostvars"][host]


def group_hosts(inventory: dict, group: str) -> list[str]:
    """Hosts of a group, children included."""
    entry = inventory.get(group, {})
    hosts = list(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts += group_hosts(inventory, child)
    return hosts


def pings(address: str) -> bool:
    proc = subprocess.run(
        ["ping", "-n", "-q", "-c", "1", "-W", "1", address], capture_output=True, check=False
    )
    return proc.returncode == 0


def test_ansible_ping_on_every_linux_host(lab, lab_ansible, inventory):
    linux = group_hosts(inventory, "linux")
    assert len(linux) >= 3
    results = lab_ansible("linux", "ansible.builtin.ping")
    assert sorted(results) == sorted(linux)
    for host, result in results.items():
        assert result.get("ping") == "pong", f"{host}: {result.get('msg', result)}"


def test_linux_hosts_are_who_the_inventory_says_and_reach_nothing_else(lab, lab_ansible, inventory):
    results = lab_ansible("linux", "ansible.builtin.command", "ip -4 -o route show")
    for host, result in results.items():
        address = hostvars(inventory, host)["ansible_host"]
        routes = result["stdout"]
        assert f"src {address}" in routes, f"{host}: {routes}"
        assert "default" not in routes, f"{host} has a default route: {routes}"
    facts = lab_ansible("linux", "ansible.builtin.setup", "gather_subset=min")
    for host, result in facts.items():
        assert result["ansible_facts"]["ansible_hostname"] == host


def test_every_branch_gateway_answers(lab, inventory):
    sites = {
        s["id"]: s for s in hostvars(inventory, group_hosts(inventory, "branch_sites")[0])["jichitai_sites"]
    }
    gateways = {}
    for group in inventory["branch_sites"]["children"]:
        site = sites[group.removeprefix("site_")]
        (gateway,) = group_hosts(inventory, group)
        address = hostvars(inventory, gateway)["ansible_host"]
        assert address == site["gateway"] == f"198.19.{site['no']}.1"
        gateways[gateway] = address
    assert len(gateways) == 30
    with ThreadPoolExecutor(max_workers=10) as pool:
        answered = dict(zip(gateways, pool.map(pings, gateways.values()), strict=True))
    assert [g for g, ok in answered.items() if not ok] == []


def power(action: str, host: str) -> None:
    proc = subprocess.run(
        ["bash", str(HOSTS_COMPONENT), action, host], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_a_gateway_powered_off_stops_answering_and_comes_back(lab, inventory):
    address = hostvars(inventory, "gw-dainichi")["ansible_host"]
    power("stop-host", "gw-dainichi")
    try:
        assert not pings(address)
    finally:
        power("start-host", "gw-dainichi")
    assert pings(address)


def test_a_linux_host_powered_off_is_unreachable_and_comes_back(lab, lab_ansible):
    power("stop-host", "mnxfer01")
    try:
        result = lab_ansible("mnxfer01", "ansible.builtin.ping")["mnxfer01"]
        assert result.get("unreachable"), result
    finally:
        power("start-host", "mnxfer01")
    assert lab_ansible("mnxfer01", "ansible.builtin.ping")["mnxfer01"].get("ping") == "pong"


# --- down leaves nothing behind -------------------------------------------------------------------


def process_table() -> dict[int, int]:
    """pid -> parent pid, for every live process (zombies awaiting the machine's init excluded)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if state != "Z":
            table[int(stat.parent.name)] = int(ppid)
    return table


def lab_processes() -> set[int]:
    """Every process started by a lab component: the recorded pids and all their descendants."""
    roots = {int(p.read_text()) for p in (LAB_RUN / "pids").glob("*.pid") if p.read_text().strip()}
    table = process_table()
    found = {p for p in roots if p in table}
    grew = True
    while grew:
        children = {pid for pid, ppid in table.items() if ppid in found} - found
        found |= children
        grew = bool(children)
    return found


def listening_sockets(pids: set[int] | None = None) -> set[tuple[str, str]]:
    """(netid, local address:port) of listening sockets, of the given processes when pids is set."""
    out = subprocess.run(["ss", "-H", "-lntup"], capture_output=True, text=True, check=True).stdout
    sockets = set()
    for line in out.splitlines():
        fields = line.split()
        owners = {int(p) for p in re.findall(r"pid=(\d+)", line)}
        if pids is None or owners & pids:
            sockets.add((fields[0], fields[4]))
    return sockets


def foreign_namespace_processes() -> list[str]:
    """Live processes in a network or PID namespace other than the test's own: after lab/down.sh there
    must be none (an SSH session of a namespace host outliving its host was one)."""
    own = {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("net", "pid")}
    found = []
    for pid in process_table():
        try:
            spaces = {kind: os.readlink(f"/proc/{pid}/ns/{kind}") for kind in own}
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile, or a kernel thread
        if spaces != own:
            found.append(f"{pid} {cmdline.strip()}")
    return found


def lab_mounts() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    return [line for line in lines if str(LAB_RUN) in line or "/run/netns/labh-" in line]


def lab_links() -> list[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return [line.split(": ")[1] for line in out.splitlines() if re.search(r": (lvh-|labbr-)", line)]


def lab_netns() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith("labh-")]


@pytest.mark.slow
@pytest.mark.lab_restart
def test_down_leaves_nothing_and_up_restores_the_lab(lab, lab_ansible):
    processes = lab_processes()
    sockets = listening_sockets(processes)
    assert processes and sockets and lab_netns(), "the lab is not running"

    down = run_lab_script("down.sh")
    assert down.returncode == 0, down.stderr
    table = process_table()
    assert sorted(processes & set(table)) == [], "lab processes survived lab/down.sh"
    assert foreign_namespace_processes() == [], "processes left in the lab's namespaces"
    assert listening_sockets() & sockets == set(), "lab ports still open"
    assert lab_netns() == []
    assert lab_links() == []
    assert lab_mounts() == []
    assert list((LAB_RUN / "pids").glob("*.pid")) == []

    started = time.monotonic()
    up = run_lab_script("up.sh")
    seconds = time.monotonic() - started
    assert up.returncode == 0, up.stderr
    print(f"lab/up.sh from a stopped state: {seconds:.1f} s")  # a figure, not a verdict: machines are noisy
    assert lab_ansible("linux", "ansible.builtin.ping")  # the lab answers again
    assert listening_sockets(lab_processes()) >= sockets
