"""The whole pre-business check (playbooks/daily_check.yml) on the lab and the city's 1,250 PCs: wall time.

    flock -o /tmp/jichitai-lab.lock .venv/bin/python -m bench daily_check [--runs 3] [--dead-percent 1]

What runs: `ansible-playbook -i inventories/lab -i <tmp>/pcs.yml playbooks/daily_check.yml`, where
pcs.yml holds the city's PCs exactly as inventories/moriguchi gets them from the asset ledger (the
asset_ledger plugin on pcs.asset_ledger.yml: same names, groups role_pc, pc_<kind>, windows, site_*,
dept_*, segment_* and so the same site spread), except that each PC's address is a distinct 127.0.x.y
with a TCP listener of this process (bench/sweep.py's helpers; DEAD-PERCENT of them with no
listener, PCs switched off) and its checks are set with `jichitai_sweep_checks` to ping and that
port, as the sweep derives ping and SMB for a PC. No traffic leaves loopback and the lab's
namespaces; the PCs are named by no play that connects to hosts (checked with --list-hosts first:
the Windows play is `windows:!role_pc`). Reports go to a temporary folder.

Measured in the same run, RUNS times each, medians reported: the full check (lab + PCs), the same
playbook on the lab alone, and the anchor, `ansible-playbook` of a one-task debug play on localhost
with both inventories (Ansible's own start-up and the cost of loading 1,250 more hosts). Printed:
each wall time, the ratios, whether the goal (full check < 60 s) is met, and the checks of each full
run's record: its PC line counts exactly the PCs whose listener is alive, out of all of them, and no
PC is 異常 (a PC off before opening is normal). Exit 1 when a check of the record fails.

Needs the lab up (lab/up.sh, as root) and the lab lock while it runs; no timing is asserted. Figures
depend on the machine: on a 2-core controller Ansible's start-up and the templating of 1,250 more
hosts' variables weigh more than the probes themselves, which are concurrent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.sweep import addresses, listeners

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
LAB_INVENTORY = ROOT / "inventories" / "lab"
PC_SOURCE = ROOT / "inventories" / "moriguchi" / "pcs.asset_ledger.yml"
PLAYBOOK = ROOT / "playbooks" / "daily_check.yml"
GOAL_SECONDS = 60.0
# The PCs as the asset_ledger plugin adds them (no group_vars, no templating): name, groups, own vars.
LOAD_PCS = """
import json, sys
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
inventory = InventoryManager(DataLoader(), sources=[sys.argv[1]])
json.dump({h.name: {"groups": sorted(g.name for g in h.get_groups() if g.name != "all"),
                    "vars": {k: v for k, v in h.vars.items() if not k.startswith("inventory_")}}
           for h in inventory.get_hosts()}, sys.stdout, default=str)
"""
ANCHOR_PLAY = [{"name": "Anchor", "hosts": "localhost", "gather_facts": False,
                "tasks": [{"name": "Say hello", "ansible.builtin.debug": {"msg": "hello"}}]}]


def ansible_env(tmp: Path) -> dict:
    return os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0",
                         "JICHITAI_WORKPLAN_DIR": str(tmp / "plans")}


def city_pcs(env: dict) -> dict:
    proc = subprocess.run([str(VENV_BIN / "python"), "-c", LOAD_PCS, str(PC_SOURCE)], capture_output=True,
                          text=True, cwd=ROOT, env=env, check=True)
    return json.loads(proc.stdout)


def pc_inventory(pcs: dict, targets: list[dict]) -> dict:
    """The PCs with their own groups and vars, each on its loopback address and listener."""
    groups: dict[str, dict] = {}
    kinds = set()
    for (name, pc), target in zip(pcs.items(), targets, strict=True):
        hostvars = dict(pc["vars"], ansible_host=target["address"],
                        jichitai_sweep_checks=[{"type": "icmp"}, *target["checks"]])
        for index, group in enumerate(g for g in pc["groups"] if g != "role_pc"):
            kinds.update([group] if group.startswith("pc_") else [])
            groups.setdefault(group, {"hosts": {}})["hosts"][name] = hostvars if index == 0 else None
    groups["role_pc"] = {"children": {kind: None for kind in sorted(kinds)}}
    return {"all": {"children": groups}}


def playbook(env: dict, book: Path, *inventories: Path, extra: tuple = ()) -> tuple[float, int, str]:
    sources = [arg for inventory in inventories for arg in ("-i", str(inventory))]
    started = time.monotonic()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), *sources, str(book), *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    return time.monotonic() - started, proc.returncode, proc.stdout + proc.stderr


def pcs_in_connecting_plays(env: dict, pc_file: Path, names: set[str]) -> set[str]:
    """PCs named by any play of daily_check.yml (only the localhost play may run with the PCs loaded)."""
    _, rc, out = playbook(env, PLAYBOOK, LAB_INVENTORY, pc_file, extra=("--list-hosts",))
    if rc != 0:
        raise RuntimeError(f"--list-hosts failed: {out[-3000:]}")
    return names & set(out.split())


def record_checks(report_dir: Path, pc_names: set[str], alive: int) -> list[str]:
    """What is wrong in the newest record under report_dir (empty when all is right)."""
    records = sorted(report_dir.glob("2*/daily_check.json"))
    if not records:
        return ["no daily_check.json written"]
    items = json.loads(records[-1].read_text())["items"]
    problems = []
    pc_lines = [i for i in items if i.get("category") == "pc"]
    if len(pc_lines) != 1:
        problems.append(f"{len(pc_lines)} PC lines, not 1")
    elif (pc_lines[0].get("value"), pc_lines[0].get("threshold")) != (alive, len(pc_names)):
        problems.append(f"PC line counts {pc_lines[0].get('value')} / {pc_lines[0].get('threshold')}, "
                        f"not {alive} / {len(pc_names)}: {pc_lines[0].get('detail')}")
    named = sorted(i["host"] for i in items if i.get("state") == "critical" and i.get("host") in pc_names)
    if named:
        problems.append(f"PCs named 異常: {', '.join(named[:10])}")
    others = sorted(i["host"] for i in items if i.get("state") == "critical") if not named else []
    if others:
        print(f"  (lab lines 異常 in this run: {', '.join(others)})")
    return problems


def lab_up() -> bool:
    status = subprocess.run(["bash", str(ROOT / "lab" / "status.sh")], capture_output=True, check=False)
    if status.returncode == 0:
        return True
    if os.geteuid() != 0:
        return False
    up = subprocess.run(["bash", str(ROOT / "lab" / "up.sh")], capture_output=True, check=False)
    return up.returncode == 0


def median_line(label: str, times: list[float]) -> str:
    each = ", ".join(f"{t:.1f}" for t in times)
    return f"{label}: median {statistics.median(times):.1f} s of {len(times)} ({each})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each playbook; medians are reported")
    parser.add_argument("--dead-percent", type=float, default=1.0, help="share of PCs off (default 1)")
    args = parser.parse_args(argv)
    if not lab_up():
        print("daily_check: the lab is not up (as root: flock -o /tmp/jichitai-lab.lock make lab-up)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-daily-check-") as name:
        tmp = Path(name)
        env = ansible_env(tmp)
        pcs = city_pcs(env)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 2 * len(pcs) + 512)), hard))
        dead_every = round(100 / args.dead_percent) if args.dead_percent > 0 else None
        socks, targets, dead = listeners(addresses(len(pcs)), dead_every)
        try:
            return measure(args.runs, tmp, env, pcs, targets, len(dead))
        finally:
            for sock in socks:
                sock.close()


def measure(runs: int, tmp: Path, env: dict, pcs: dict, targets: list[dict], dead: int) -> int:
    pc_file = tmp / "pcs.yml"
    pc_file.write_text(yaml.safe_dump(pc_inventory(pcs, targets), allow_unicode=True, sort_keys=False))
    anchor = tmp / "anchor.yml"
    anchor.write_text(yaml.safe_dump(ANCHOR_PLAY, sort_keys=False))
    names = set(pcs)
    reached = pcs_in_connecting_plays(env, pc_file, names)
    if reached:
        print(f"daily_check: PCs in a play that connects: {', '.join(sorted(reached)[:10])}", file=sys.stderr)
        return 1
    sites = {g for pc in pcs.values() for g in pc["groups"] if g.startswith("site_")}
    print(f"PCs: {len(pcs)} from {PC_SOURCE.relative_to(ROOT)} over {len(sites)} sites, on 127.0.x.y, "
          f"{dead} switched off; none in the Linux or Windows play (--list-hosts)")
    full, lab, anchor_times, problems, rcs = [], [], [], [], []
    for run in range(runs):
        report_dir = tmp / f"full{run}"
        wall, rc, out = playbook(env, PLAYBOOK, LAB_INVENTORY, pc_file,
                                 extra=("-e", f"daily_check_report_dir={report_dir}"))
        full.append(wall)
        rcs.append(rc)
        found = record_checks(report_dir, names, len(pcs) - dead)
        problems += [f"run {run + 1}: {p}" for p in found]
        if found and rc != 0:
            print(out[-3000:], file=sys.stderr)
        wall, rc, _ = playbook(env, PLAYBOOK, LAB_INVENTORY,
                               extra=("-e", f"daily_check_report_dir={tmp / f'lab{run}'}"))
        lab.append(wall)
        rcs.append(rc)
        wall, _, _ = playbook(env, anchor, LAB_INVENTORY, pc_file)
        anchor_times.append(wall)
    full_m, lab_m, anchor_m = (statistics.median(t) for t in (full, lab, anchor_times))
    print(median_line("full daily check (lab + PCs)", full) + f", exit codes {rcs[0::2]}")
    print(median_line("daily check, lab alone", lab) + f", exit codes {rcs[1::2]}")
    print(median_line("anchor: one debug task on localhost, same inventories", anchor_times))
    print(f"ratios: full / lab alone {full_m / lab_m:.2f} (the PCs add {full_m - lab_m:.1f} s), "
          f"full / anchor {full_m / anchor_m:.1f}, lab alone / anchor {lab_m / anchor_m:.1f}")
    print(f"goal: full check < {GOAL_SECONDS:.0f} s: {'met' if full_m < GOAL_SECONDS else 'NOT met'}")
    if problems:
        print("record checks failed:\n  " + "\n  ".join(problems))
        return 1
    print(f"record: the PC line counts {len(pcs) - dead} answering of {len(pcs)} in every run; no PC 異常")
    return 0


if __name__ == "__main__":
    sys.exit(main())
