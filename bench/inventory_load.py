"""Inventory load of the city: the asset-ledger inventory against a static YAML of the same hosts.

    python -m bench inventory_load [--inventory inventories/moriguchi] [--runs 1]

REQUIREMENTS §1 table 2 (spec §4-4). `ansible-inventory --list` of the city's inventory (hosts.yml,
the PCs the asset_ledger plugin reads from the ledgers, group_vars) is what every operation's start
pays. Its floor is the same inventory written out as one static YAML file: `ansible-inventory --list
--export` of the city (groups with their hosts, children and variables; each host with its own
variables only) turned into YAML, in a folder of its own, then listed with the same command. The
two listings are checked to hold the same hosts and, for a sample, the same variables, so the floor
does the same work without the plugin. Goal (issue 24): ours <= 1.2x the static YAML.
No lab needed; about three listings of 1,353 hosts (30-60 s each on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench import _table

ROOT = Path(__file__).resolve().parents[1]
ANSIBLE_INVENTORY = ROOT / ".venv" / "bin" / "ansible-inventory"
GOAL = 1.2


def listing(source, out, *extra):
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(source), "--list", "--output", str(out), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"inventory_load: ansible-inventory -i {source} failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def static_inventory(export: dict) -> dict:
    """The --export listing as a YAML inventory: every group under all, with its hosts (each with its
    own variables), the names of its children and its variables."""
    hostvars = export.get("_meta", {}).get("hostvars", {})
    children = {}
    for name, group in export.items():
        if name in ("_meta", "all"):
            continue
        entry = {}
        if group.get("hosts"):
            entry["hosts"] = {h: hostvars.get(h) or None for h in group["hosts"]}
        if group.get("children"):
            entry["children"] = {c: None for c in group["children"]}
        if group.get("vars"):
            entry["vars"] = group["vars"]
        children[name] = entry or None
    top = {"children": children}
    if export.get("all", {}).get("vars"):
        top["vars"] = export["all"]["vars"]
    return {"all": top}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", default="inventories/moriguchi", help="the inventory to load")
    parser.add_argument("--runs", type=int, default=1, help="listings of each (median kept; default 1)")
    args = parser.parse_args(argv)
    source = ROOT / args.inventory
    with tempfile.TemporaryDirectory(prefix="bench-inventory-") as tmp:
        work = Path(tmp)
        listing(source, work / "export.json", "--export")
        export = json.loads((work / "export.json").read_text())
        static_dir = work / "static"
        static_dir.mkdir()
        static = static_dir / "hosts.yml"
        with static.open("w", encoding="utf-8") as handle:
            yaml.dump(static_inventory(export), handle, Dumper=yaml.CSafeDumper, allow_unicode=True)
        del export
        ours, floor = [], []
        for _run in range(args.runs):
            ours.append(listing(source, work / "ours.json"))
            floor.append(listing(static, work / "static.json"))
        mine = json.loads((work / "ours.json").read_text())
        theirs = json.loads((work / "static.json").read_text())
        hosts = sorted(mine["_meta"]["hostvars"])
        if hosts != sorted(theirs["_meta"]["hostvars"]):
            raise SystemExit("inventory_load: the static YAML does not hold the same hosts")
        for host in random.Random(24).sample(hosts, min(25, len(hosts))):
            if mine["_meta"]["hostvars"][host] != theirs["_meta"]["hostvars"][host]:
                raise SystemExit(f"inventory_load: {host}'s variables differ in the static YAML")
        size = static.stat().st_size
    ours_wall = statistics.median(w for w, _c in ours)
    floor_wall = statistics.median(w for w, _c in floor)
    ours_cpu = statistics.median(c for _w, c in ours)
    floor_cpu = statistics.median(c for _w, c in floor)
    print(f"inventory_load: {len(hosts)} hosts; static YAML {size / 1e6:.1f} MB")
    print(f"inventory_load: ours {ours_wall:.1f} s wall, {ours_cpu:.1f} s CPU; "
          f"static YAML {floor_wall:.1f} s wall, {floor_cpu:.1f} s CPU; "
          f"ratio {ours_wall / floor_wall:.2f}x [goal <= {GOAL:g}x: "
          f"{'ok' if ours_wall <= GOAL * floor_wall else 'MISSED'}]")  # fmt: skip
    _table.row(
        "inventory_load",
        f"ansible-inventory --list, {len(hosts)} hosts",
        ours_wall,
        floor=floor_wall,
        floor_name="the same hosts, groups and variables as one static YAML "
        "(from ansible-inventory --list --export)",
        max_floor=GOAL,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
