"""Reservations to the lab DHCP pair: one dhcp_reservations call, its raw Kea API floor and a naive loop.

    python -m bench dhcp_sync [--count 500] [--rounds 3] [--loop-calls N] [--keep] [--no-loop]

Ours and the anchor go through ansible-playbook on the lab inventory (inventories/lab) and change both
Kea peers with the same module and the same safety (validation, config-test, one peer at a time behind
the HA health gate, read-back). Ours passes all COUNT reservations in one call; the anchor passes one
reservation per call, as a naive `loop:` over the ledger would. Both take the reservations from the
inventory, as dhcp_sync takes the ledger's: a host_vars file of dhcp01 in a second inventory source
beside the lab's (rows written into the play itself would add Ansible's parse and deep copy of a play
file, which no run of the operation pays).

The floor, measured in the same run: a raw Kea API script (http.client, one connection per Control
Agent, the same credentials from the lab vault; not the module's code) doing the same work on both
peers, one peer after the other: config-get, the new configuration with the COUNT reservations added
to the subnet, config-test, config-set, config-write - plus one bare ansible-playbook start-up (a play
without tasks on the same inventory, reservations included, and settings), since ours is one
ansible-playbook run. After each peer's config-write the script waits until the peer's HA service
serves again before the next peer, as any script must that changes one peer at a time without
stopping the service (a config-set on the second peer while the first still restarts its HA service
leaves no peer serving): that wait, Kea's own return to service, is part of the floor. The ratio
without it is printed too.

Ours and the floor are measured ROUNDS times, interleaved (the median is kept); the anchor once. With
--loop-calls N the loop runs for the first N reservations only and is extrapolated to COUNT (its
ansible-playbook start-up once, its per-call time COUNT times), as the loop of 500 takes many minutes.
Before each measured run and at the end the pair goes back to the ledger (state exact, through the
module). The lab Kea pair is started when it is not running (and stopped again afterwards). Not a
pass/fail test: the exit code is 0 whenever every way ended with the pair holding every reservation.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
# `python -m bench` runs from the repository root
from bench import _table  # noqa: E402

sys.path.insert(0, str(ROOT / "lab"))
from lab_control import bring_up, component_path, stop  # noqa: E402

KEA = component_path("30-kea")
LEDGER = ROOT / "inventories" / "lab" / "group_vars" / "pair_dhcp.yml"
SCOPE = yaml.safe_load(LEDGER.read_text())["jichitai_dhcp_scopes"][0]
# addresses for the benchmark: inside the lab scope, outside its pool and its ledger reservations
FIRST_ADDRESS = ipaddress.IPv4Address("198.18.101.1")

GOAL_FLOOR = 2.0  # issue 24: the sync of 500 reservations within twice its raw-API floor
HA_SERVING = ("hot-standby", "load-balancing", "partner-down", "passive-backup", "backup")
# the pair's Control Agents as the dhcp_sync role passes them (the module's password option is no_log)
PEERS = "{{ groups['pair_dhcp'] | kea_peers(hostvars) }}"


def reservations(count: int) -> list[dict]:
    return [
        {
            "hostname": f"bench-{i:04d}",
            "mac": f"02:be:00:00:{i >> 8:02x}:{i & 0xFF:02x}",
            "ip": str(FIRST_ADDRESS + i),
        }
        for i in range(count)
    ]


def play(task: dict) -> list[dict]:
    base = {"subnet": SCOPE["subnet"], "peers": PEERS}
    task = dict(task, dhcp_reservations=base | task["dhcp_reservations"])
    return [{"name": "bench dhcp_sync", "hosts": "dhcp01", "gather_facts": False, "tasks": [task]}]


ROWS_VARIABLE = "bench_dhcp_reservations"  # dhcp01's host variable holding the benchmark's reservations


def write_rows(workdir: Path, rows: list[dict]) -> None:
    """The reservations as dhcp01's host_vars in the inventory source run_play adds to the lab's."""
    folder = workdir / "inventory" / "host_vars"
    folder.mkdir(parents=True, exist_ok=True)
    (workdir / "inventory" / "hosts.yml").write_text("all: {}\n")
    (folder / "dhcp01.yml").write_text(yaml.safe_dump({ROWS_VARIABLE: rows}, sort_keys=False))


def one_call() -> list[dict]:
    reservations = "{{ " + ROWS_VARIABLE + " }}"
    return play({"name": "one call", "dhcp_reservations": {"state": "present", "reservations": reservations}})


def loop_calls(count: int) -> list[dict]:
    return play(
        {
            "name": "one call per reservation",
            "dhcp_reservations": {"state": "present", "reservations": ["{{ item }}"]},
            "loop": "{{ " + f"{ROWS_VARIABLE}[:{count}]" + " }}",
            "loop_control": {"label": "{{ item.hostname }}"},
        }
    )


def back_to_ledger() -> list[dict]:
    return play(
        {
            "name": "back to the ledger",
            "dhcp_reservations": {"state": "exact", "reservations": SCOPE["reservations"]},
        }
    )


def ansible_env() -> dict:
    """The project's settings and Ansible's default output, as an engineer runs a playbook (the json
    output's dump of a 500-entry result at the end costs about 0.3 s that no engineer pays)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{ROOT / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_NOCOLOR="1",
    )
    return env


def run_play(plays: list[dict], workdir: Path) -> float:
    path = workdir / "play.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    sources = ["-i", str(ROOT / "inventories/lab")]
    if (workdir / "inventory").is_dir():
        sources += ["-i", str(workdir / "inventory")]
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), *sources, str(path)],
        capture_output=True,
        text=True,
        env=ansible_env(),
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed (rc {proc.returncode}): {proc.stdout[-2000:]}")
    return elapsed


def pair_after(peers: list[dict], expected: int) -> dict:
    """What the pair holds after a run: the scope's reservations on the first peer, and the peers that
    hold the EXPECTED number."""
    counts = pair_reservations(peers)
    return {
        "total": counts[0],
        "peers_changed": [peer["name"] for peer, n in zip(peers, counts, strict=True) if n == expected],
    }


def startup_seconds(workdir: Path) -> float:
    """ansible-playbook of a play without tasks for dhcp01: the same inventory (the reservations too),
    settings and callback."""
    plays = [{"name": "start-up only", "hosts": "dhcp01", "gather_facts": False, "tasks": []}]
    return run_play(plays, workdir)


# ---- the floor: the raw Kea API --------------------------------------------------------------------
def lab_peers() -> list[dict]:
    """[{name, url, user, password}] of the pair: the lab's host_vars, the password from the lab vault."""
    plain = subprocess.run(
        [
            str(ROOT / ".venv/bin/ansible-vault"),
            "view",
            "--vault-password-file",
            str(ROOT / "inventories/lab/.vault-pass.lab"),
            str(ROOT / "inventories/lab/group_vars/all/vault.yml"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    password = yaml.safe_load(plain)["vault_lab_kea_api_password"]
    peers = []
    for name in ("dhcp01", "dhcp02"):
        host = yaml.safe_load((ROOT / "inventories/lab/host_vars" / f"{name}.yml").read_text())
        peers.append(
            {
                "name": name,
                "url": host["jichitai_kea_api_url"],
                "user": host["jichitai_kea_api_user"],
                "password": password,
            }
        )
    return peers


class RawPeer:
    """One Control Agent over plain HTTP: JSON commands, basic auth, one connection kept open."""

    def __init__(self, peer: dict):
        url = urlsplit(peer["url"])
        self.name, self.path = peer["name"], url.path or "/"
        token = base64.b64encode(f"{peer['user']}:{peer['password']}".encode()).decode()
        self.headers = {"Content-Type": "application/json", "Authorization": f"Basic {token}"}
        self.conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)

    def command(self, command: str, arguments: dict | None = None) -> dict:
        body = {"command": command, "service": ["dhcp4"]}
        if arguments is not None:
            body["arguments"] = arguments
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                self.conn.request("POST", self.path, data, self.headers)
                raw = self.conn.getresponse().read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the agent closed the kept connection: one new one
                if attempt == 2:
                    raise
        answer = json.loads(raw)
        answer = answer[0] if isinstance(answer, list) else answer
        if answer.get("result") not in (0, 3):
            raise RuntimeError(f"{self.name}: {command} failed: {answer.get('text')}")
        return answer.get("arguments") or {}

    def wait_serving(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            status = self.command("status-get")
            ha = (status.get("high-availability") or [{}])[0]
            if ha.get("ha-servers", {}).get("local", {}).get("state") in HA_SERVING:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: HA not serving {timeout:g} s after config-set")
            time.sleep(0.01)

    def close(self) -> None:
        self.conn.close()


def raw_sync(peers: list[dict], rows: list[dict]) -> tuple[float, float]:
    """(seconds of the raw API work, seconds waited for HA between and after the peers)."""
    prefix = ipaddress.ip_network(SCOPE["subnet"])
    work = waited = 0.0
    for peer in peers:
        client = RawPeer(peer)
        try:
            started = time.monotonic()
            dhcp4 = client.command("config-get")["Dhcp4"]
            subnet = next(s for s in dhcp4["subnet4"] if ipaddress.ip_network(s["subnet"]) == prefix)
            have = {r.get("hw-address") for r in subnet.get("reservations", [])}
            subnet.setdefault("reservations", []).extend(
                {"hw-address": row["mac"], "ip-address": row["ip"], "hostname": row["hostname"]}
                for row in rows
                if row["mac"] not in have
            )
            config = {"Dhcp4": dhcp4}
            client.command("config-test", config)
            client.command("config-set", config)
            client.command("config-write")
            work += time.monotonic() - started
            started = time.monotonic()
            client.wait_serving()
            waited += time.monotonic() - started
        finally:
            client.close()
    return work, waited


def pair_reservations(peers: list[dict]) -> list[int]:
    """The number of reservations each peer holds in the scope."""
    counts = []
    prefix = ipaddress.ip_network(SCOPE["subnet"])
    for peer in peers:
        client = RawPeer(peer)
        try:
            dhcp4 = client.command("config-get")["Dhcp4"]
        finally:
            client.close()
        subnet = next(s for s in dhcp4["subnet4"] if ipaddress.ip_network(s["subnet"]) == prefix)
        counts.append(len(subnet.get("reservations", [])))
    return counts


def measure(count: int, keep: bool, rounds: int = 3, loop: bool = True, loop_calls_n: int = 0) -> dict:
    rows = reservations(count)
    expected_total = len(SCOPE["reservations"]) + count
    figures = {"count": count, "rounds": rounds}
    peers = lab_peers()
    ones, raws, waits, startups, totals = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-dhcp-") as tmp:
        workdir = Path(tmp)
        write_rows(workdir, rows)
        try:
            for _ in range(rounds):
                run_play(back_to_ledger(), workdir)
                ones.append(run_play(one_call(), workdir))
                figures["one_call"] = pair_after(peers, expected_total)
                totals.append(figures["one_call"]["total"])
                run_play(back_to_ledger(), workdir)
                work, waited = raw_sync(peers, rows)
                raws.append(work)
                waits.append(waited)
                totals.extend(pair_reservations(peers))
                startups.append(startup_seconds(workdir))
            if loop:
                run_play(back_to_ledger(), workdir)
                sample = rows[: loop_calls_n or count]
                seconds = run_play(loop_calls(len(sample)), workdir)
                figures["loop"] = pair_after(peers, len(SCOPE["reservations"]) + len(sample))
                figures["loop_calls"], figures["loop_measured_s"] = len(sample), seconds
                if figures["loop"]["total"] != len(SCOPE["reservations"]) + len(sample):
                    totals.append(-1)
                per_call = (seconds - statistics.median(startups)) / len(sample)
                figures["loop_s"] = statistics.median(startups) + per_call * count
        finally:
            if not keep:
                run_play(back_to_ledger(), workdir)
    figures.update(
        one_call_s=statistics.median(ones),
        one_call_all=ones,
        raw_s=statistics.median(raws),
        raw_all=raws,
        ha_wait_s=statistics.median(waits),
        startup_s=statistics.median(startups),
    )
    figures["floor_s"] = figures["raw_s"] + figures["ha_wait_s"] + figures["startup_s"]
    figures["ok"] = all(total == expected_total for total in totals)
    return figures


def report_lines(f: dict) -> list[str]:
    def times(values):
        return ", ".join(f"{v:.2f}" for v in values)

    ratio = f["one_call_s"] / f["floor_s"]
    lines = [
        f"dhcp_sync: {f['count']} reservations to both peers of the lab Kea pair "
        f"(median of {f['rounds']} rounds)",
        f"dhcp_sync: one call (ours)      {f['one_call_s']:8.2f} s  [{times(f['one_call_all'])}] "
        f"({f['one_call']['total']} reservations on the pair after; "
        f"changed: {', '.join(f['one_call']['peers_changed'])})",
        f"dhcp_sync: raw Kea API          {f['raw_s']:8.2f} s  [{times(f['raw_all'])}] "
        "(config-get, config-test, config-set, config-write, peer after peer)",
        f"dhcp_sync: Kea's HA back to serving after config-set {f['ha_wait_s']:.2f} s for both peers "
        "(the floor script waits for it before the next peer, as the module's HA gate does)",
        f"dhcp_sync: bare ansible-playbook start-up {f['startup_s']:.2f} s",
        f"dhcp_sync: floor = raw API + HA return + start-up = {f['floor_s']:.2f} s; ours / floor = "
        f"{ratio:.2f}x [goal <= {GOAL_FLOOR:g}x: {'ok' if ratio <= GOAL_FLOOR else 'MISSED'}]",
        f"dhcp_sync: without Kea's HA return in the floor ({f['floor_s'] - f['ha_wait_s']:.2f} s): "
        f"ours / floor = {f['one_call_s'] / (f['floor_s'] - f['ha_wait_s']):.2f}x",
    ]
    if "loop_s" in f:
        lines += [
            f"dhcp_sync: {f['count']} calls in a loop (anchor) {f['loop_s']:8.1f} s  "
            f"({(f['loop_s'] - f['startup_s']) / f['count'] * 1000:.0f} ms per reservation"
            + (
                f"; measured {f['loop_calls']} calls in {f['loop_measured_s']:.1f} s, extrapolated)"
                if f["loop_calls"] < f["count"]
                else ")"
            ),
            f"dhcp_sync: ratio loop / one call = {f['loop_s'] / f['one_call_s']:.1f}x",
        ]
    return lines


def table_rows(f: dict) -> None:
    _table.row(
        "dhcp_sync",
        f"sync of {f['count']} reservations to both peers",
        f["one_call_s"],
        anchor=f.get("loop_s"),
        anchor_name=(
            "one dhcp_reservations call per reservation (a loop over the ledger) in one ansible-playbook"
            + (
                f", {f['loop_calls']} calls measured, extrapolated"
                if f.get("loop_calls", 0) < f["count"]
                else ""
            )
            if "loop_s" in f
            else ""
        ),
        floor=f["floor_s"],
        floor_name="a raw Kea API script (http.client, one connection per peer): config-get, config-test, "
        "config-set, config-write on both peers, one after the other, waiting for each peer's HA return "
        f"to serving ({f['ha_wait_s']:.2f} s) before the next, + one bare ansible-playbook start-up",
        max_floor=GOAL_FLOOR,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="reservations to sync (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ours and the floor (default 3)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark reservations on the pair")
    parser.add_argument("--no-loop", action="store_true", help="leave out the anchor (the loop)")
    parser.add_argument("--loop-calls", type=int, default=0, help="loop calls to measure (default COUNT)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not 1 <= args.count <= 510:
        parser.error("--count must be between 1 and 510 (free addresses 198.18.101.1-198.18.102.255)")
    if os.geteuid() != 0:
        print("dhcp_sync: the lab needs root", file=sys.stderr)
        return 1
    started, failed = bring_up([KEA])
    if failed is not None:
        print(f"dhcp_sync: 30-kea.sh up failed: {failed.stderr[-2000:]}", file=sys.stderr)
        return 1
    try:
        figures = measure(args.count, args.keep, args.rounds, not args.no_loop, args.loop_calls)
    finally:
        stop(started)
    for line in report_lines(figures):
        print(line)
    table_rows(figures)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
