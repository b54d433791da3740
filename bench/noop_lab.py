"""No-op check runs of real operations on the lab: the work plan of an estate that has nothing to change.

    flock -o /tmp/jichitai-lab.lock python -m bench noop_lab [--runs 3] [--only dhcp_sync]

MNT-WORKPLAN (§5-2(2)②). Issue 24's goal: a check run of any operation with nothing to change within
3 s on the lab. For each operation below the benchmark first applies it once (unplanned, as the lab
tests do) so that the lab holds exactly what the inventory says, then times RUNS check runs with diff
(guard, argument checks, every task reading its target, the plan written in all its formats) and
keeps the median; each plan must say 変更 0 件. Its floor is ansible-playbook of a play without tasks
against the same hosts and inventory (Ansible's start-up and the inventory), measured in the same run.

- dhcp_sync: the Kea pair's reservations against the ledger (lab component 30-kea);
- monitoring_config: Prometheus, Alertmanager and the exporters' files against the inventory
  (10-ca to 80-monitoring).

The lab's DHCP pair serves one scope; the city's serves one per site (inventories/moriguchi). So one
more figure at the city's scale: for the time of it the lab pair also holds as many scratch subnets
(198.18.200.0/24 onwards, eight reservations each, set with config-set and never written, then put
back), and dhcp_reservations' check run with nothing to change is timed with every scope in one call
(the dhcp_sync role) beside one call per scope in a loop (the role before), in a bare play.

The components an operation needs are started when they are down and stopped again afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
from bench import _table, dhcp_sync  # noqa: E402 - `python -m bench` runs from the repository root

sys.path.insert(0, str(ROOT / "lab"))
from lab_control import bring_up, component_path, stop  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
INVENTORY = ROOT / "inventories" / "lab"
GOAL_SECONDS = 3.0
UNPLANNED = {"workplan_unplanned_ok": True, "workplan_unplanned_reason": "benchmark"}

OPERATIONS = {
    "dhcp_sync": {"hosts": "pair_dhcp", "components": ["30-kea"]},
    "monitoring_config": {
        "hosts": "role_monitoring",
        "components": ["10-ca", "20-samba", "30-kea", "40-nut", "50-snmp", "60-hosts", "80-monitoring"],
    },
}


def playbook(book: Path, tmp: Path, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env |= {"JICHITAI_WORKPLAN_LAB": "1", "JICHITAI_WORKPLAN_DIR": str(tmp / "plans"), "ANSIBLE_NOCOLOR": "1"}
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(INVENTORY), str(book), *args]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"noop_lab: {book.name} {' '.join(args)} failed:\n{proc.stdout[-3000:]}")
    return seconds, proc.stdout + proc.stderr


def city_scopes() -> int:
    ledger = ROOT / "inventories" / "moriguchi" / "group_vars" / "pair_dhcp.yml"
    return len(yaml.safe_load(ledger.read_text(encoding="utf-8"))["jichitai_dhcp_scopes"])


def scratch_scopes(count: int) -> list[dict]:
    """COUNT ledger scopes beside the lab's, in 198.18.200.0/24 onwards (used nowhere else in the lab),
    with eight reservations each, as a branch's counter desktops."""
    out = []
    for n in range(count):
        net = f"198.18.{200 + n}"
        out.append(
            {
                "name": f"bench-branch-{n + 1:02d}",
                "subnet": f"{net}.0/24",
                "pool": f"{net}.100-{net}.200",
                "reservations": [
                    {
                        "hostname": f"bench-{200 + n}-{i}",
                        "mac": f"02:be:01:{n:02x}:00:{i:02x}",
                        "ip": f"{net}.{10 + i}",
                    }
                    for i in range(8)
                ],
            }
        )
    return out


def kea_subnet(scope: dict, ident: int) -> dict:
    return {
        "id": ident,
        "subnet": scope["subnet"],
        "pools": [{"pool": scope["pool"]}],
        "reservations": [
            {"hw-address": r["mac"], "ip-address": r["ip"], "hostname": r["hostname"]}
            for r in scope["reservations"]
        ],
    }


def set_pair(peers: list[dict], configs: dict) -> None:
    """config-set CONFIGS ({peer: Dhcp4}) on each peer, one after the other behind its HA return; not
    written, so a restart of the lab brings the pair back as the ledger says."""
    for peer in peers:
        client = dhcp_sync.RawPeer(peer)
        try:
            client.command("config-set", {"Dhcp4": configs[peer["name"]]})
            client.wait_serving()
        finally:
            client.close()


def city_scale(scopes: int, runs: int, tmp: Path) -> dict:
    """The city's number of scopes on the lab pair: SCOPES - 1 scratch subnets set beside the lab's for
    the time of the measurement. The check run of dhcp_reservations, nothing to change, once per scope
    in a loop (the role before) and once with every scope in one call (the role now)."""
    peers = dhcp_sync.lab_peers()
    extra = scratch_scopes(scopes - 1)
    ledger = [dhcp_sync.SCOPE, *extra]
    original = {}
    for peer in peers:
        client = dhcp_sync.RawPeer(peer)
        try:
            original[peer["name"]] = client.command("config-get")["Dhcp4"]
        finally:
            client.close()
    grown = {}
    for name, dhcp4 in original.items():
        dhcp4 = json.loads(json.dumps(dhcp4))
        dhcp4["subnet4"] += [kea_subnet(scope, 200 + n) for n, scope in enumerate(extra)]
        grown[name] = dhcp4

    def plays(task: dict) -> list[dict]:
        base = {"peers": dhcp_sync.PEERS, "state": "exact"}
        task = dict(task, dhcp_reservations=base | task["dhcp_reservations"], check_mode=True)
        return [
            {
                "name": "scopes",
                "hosts": "dhcp01",
                "gather_facts": False,
                "tasks": [task],
            }
        ]

    each = plays(
        {
            "name": "one call per scope",
            "dhcp_reservations": {"subnet": "{{ item.subnet }}", "reservations": "{{ item.reservations }}"},
            "loop": ledger,
            "loop_control": {"label": "{{ item.subnet }}"},
        }
    )
    one = plays({"name": "one call for every scope", "dhcp_reservations": {"scopes": ledger}})
    loops, calls = [], []
    set_pair(peers, grown)
    try:
        for _run in range(runs):
            loops.append(dhcp_sync.run_play(each, tmp))
            calls.append(dhcp_sync.run_play(one, tmp))
    finally:
        set_pair(peers, original)
    return {"ours": statistics.median(calls), "loop": statistics.median(loops)}


def measure(name: str, spec: dict, runs: int, tmp: Path) -> dict:
    book = ROOT / "playbooks" / f"{name}.yml"
    unplanned = tmp / "unplanned.json"
    unplanned.write_text(json.dumps(UNPLANNED), encoding="utf-8")
    playbook(book, tmp, "--diff", "-e", f"@{unplanned}")  # the lab as the inventory says
    empty = tmp / "empty.yml"
    play = {"name": "Empty", "hosts": spec["hosts"], "gather_facts": False, "tasks": []}
    empty.write_text(json.dumps([play]))
    ours, floor = [], []
    for _run in range(runs):  # interleaved: a burst of load bends both alike
        seconds, said = playbook(book, tmp, "--check", "--diff", "-e", f"@{unplanned}")
        if "変更 0 件" not in said:
            raise SystemExit(f"noop_lab: the check run of {name} was not a no-op:\n{said[-2500:]}")
        ours.append(seconds)
        floor.append(playbook(empty, tmp)[0])
    return {"ours": statistics.median(ours), "floor": statistics.median(floor)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="check runs of each operation (median kept)")
    parser.add_argument("--only", choices=sorted(OPERATIONS), help="one operation")
    args = parser.parse_args(argv)
    names = [args.only] if args.only else list(OPERATIONS)
    needed = sorted({c for name in names for c in OPERATIONS[name]["components"]})
    started, failed = bring_up([component_path(name) for name in needed])
    if failed is not None:
        raise SystemExit(
            f"noop_lab: a component's start failed:\n{failed.stdout[-1500:]}\n{failed.stderr[-1500:]}"
        )
    try:
        for name in names:
            with tempfile.TemporaryDirectory(prefix=f"bench-noop-{name}-") as tmp:
                got = measure(name, OPERATIONS[name], args.runs, Path(tmp))
            print(f"noop_lab: {name}: no-op check run {got['ours']:.2f} s, "
                  f"empty play on the same hosts {got['floor']:.2f} s (median of {args.runs})")  # fmt: skip
            _table.row("noop_lab", f"no-op check run: {name}", got["ours"], floor=got["floor"],
                       floor_name="ansible-playbook of a play without tasks on the same hosts",
                       max_seconds=GOAL_SECONDS)  # fmt: skip
        if "dhcp_sync" in names:
            scopes = city_scopes()
            with tempfile.TemporaryDirectory(prefix="bench-noop-scopes-") as tmp:
                got = city_scale(scopes, args.runs, Path(tmp))
            print(f"noop_lab: dhcp_reservations check run for {scopes} scopes on the lab pair: one call "
                  f"{got['ours']:.2f} s, one call per scope {got['loop']:.2f} s "
                  f"(median of {args.runs})")  # fmt: skip
            _table.row("noop_lab", f"dhcp_reservations check, {scopes} scopes", got["ours"],
                       anchor=got["loop"], max_seconds=GOAL_SECONDS,
                       anchor_name="one call per scope in a loop (the dhcp_sync role before)")  # fmt: skip
    finally:
        stop(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
