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

ROOT = Path(__file__).resolve().parents[1]
from bench import _table  # noqa: E402 - `python -m bench` runs from the repository root

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
    finally:
        stop(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
