"""Controller overhead per host of a no-op patch ring on the lab's Debian hosts: ours against defaults.

    flock -o /tmp/jichitai-lab.lock .venv/bin/python -m bench patch_rings [--runs 3] [--forks 5 25 50]

The ring: a play on `linux:!mnxfer01` (mnxfer01 is on the My Number segment, which has no repository)
running roles/patch_linux with patch_linux_reboot false, exactly the per-host work of a ring of
patch_servers.yml / patch_clients.yml when nothing is to be installed: the segment's deb822 source, apt's
package lists, `apt-get -s dist-upgrade`, the reboot flag. Each setting runs the playbook once untimed
(it writes the source), then RUNS times with nothing to change; the median is reported. Every run gets
a fresh ControlPath directory, so no run reuses another's ssh connections, as a night ring's first
contact with each PC does not.

Settings, all in the same run:
  ours      the project's ansible.cfg as it is, the play with `strategy: workplan_linear` as the ring
            plays name it (a play without the workplan guard runs as linear)
  defaults  the anchor: the same with ANSIBLE_PIPELINING=False, ANSIBLE_FORKS=5, `strategy: linear`
            (ansible.cfg sets no forks and no ssh_args, so forks and ssh_args are Ansible's already)
  no-cp     the defaults with ANSIBLE_SSH_ARGS="" as well: no ControlMaster/ControlPersist
  free      ours with `strategy: free`
  floor     no Ansible: one plain ssh per host, all at once, with the lab key and known_hosts
            (inventories/lab/group_vars/linux.yml), running `apt-get -qq update && apt-get -s dist-upgrade`
  startup   `ansible-playbook` of a one-task debug play on localhost with the project's settings

Printed: each wall time, hosts per minute, the ratios to the anchor and the floor, and the projection
for the city's 1,250 PCs in one night window - the controller and connection overhead only, not the
time of installing anything. Hosts are left as found: a host that had no jichitai.sources before
the run has it removed after. Needs the lab up and the lab lock; no timing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench.daily_check import lab_up

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
LAB_RUN = ROOT / "lab" / "run"
PATTERN = "linux:!mnxfer01"
SOURCE_FILE = "/etc/apt/sources.list.d/jichitai.sources"
FLOOR_COMMAND = "apt-get -qq update && apt-get -s -o Debug::NoLocking=1 dist-upgrade >/dev/null"
PCS = 1250
WINDOW_MINUTES = 690  # 18:30 to 06:00
STARTUP_PLAY = [{"name": "Start-up", "hosts": "localhost", "gather_facts": False,
                 "tasks": [{"name": "Say hello", "ansible.builtin.debug": {"msg": "hello"}}]}]
DEFAULTS = {"ANSIBLE_PIPELINING": "False", "ANSIBLE_FORKS": "5"}
# name → (strategy of the play, environment set on top of the project's, forks used)
SETTINGS = {
    "ours": ("workplan_linear", {}),
    "defaults": ("linear", DEFAULTS),
    "no-cp": ("linear", DEFAULTS | {"ANSIBLE_SSH_ARGS": ""}),
    "free": ("free", {}),
}


def ring_play(strategy: str) -> list[dict]:
    return [{"name": "No-op ring", "hosts": PATTERN, "gather_facts": False, "strategy": strategy,
             "tasks": [{"name": "Patch the host", "ansible.builtin.include_role": {"name": "patch_linux"},
                        "vars": {"patch_linux_reboot": False}}]}]


def projection(ring_s: float, startup_s: float, hosts: int, measured_forks: int, forks: int,
               pcs: int = PCS, window_min: float = WINDOW_MINUTES) -> dict:
    """Minutes and share of the window for `pcs` hosts with `forks`, from one ring of `hosts` measured
    with `measured_forks`.

    A ring is start-up plus ceil(hosts/forks) batches; the batch time is held constant as forks grow
    (optimistic on a small controller, whose CPU the forks then share).
    """
    batch_s = max(ring_s - startup_s, 0.0) / math.ceil(hosts / measured_forks)
    total_s = startup_s + math.ceil(pcs / forks) * batch_s
    minutes = total_s / 60
    return {"batch_s": batch_s, "minutes": minutes, "share": minutes / window_min,
            "per_minute": pcs / minutes if minutes else math.inf}


def inventory(env: dict) -> dict[str, str]:
    """host → address of the hosts the ring names."""
    proc = subprocess.run([str(VENV_BIN / "ansible-inventory"), "--list", "--limit", PATTERN],
                          capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    data = json.loads(proc.stdout)
    hostvars = data["_meta"]["hostvars"]
    names = sorted(h for h in hostvars if h in set(_hosts_of(data, "linux")) and h != "mnxfer01")
    return {h: hostvars[h]["ansible_host"] for h in names}


def _hosts_of(data: dict, group: str) -> list[str]:
    entry = data.get(group, {})
    return entry.get("hosts", []) + [h for child in entry.get("children", []) for h in _hosts_of(data, child)]


def ssh(address: str, command: str) -> list[str]:
    return ["ssh", "-i", str(LAB_RUN / "ssh" / "id_ed25519"),
            "-o", f"UserKnownHostsFile={LAB_RUN / 'ssh' / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
            "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5", "-o", "BatchMode=yes",
            f"root@{address}", command]


def on_all(hosts: dict[str, str], command: str) -> tuple[float, dict[str, subprocess.CompletedProcess]]:
    started = time.monotonic()
    procs = {h: subprocess.Popen(ssh(a, command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for h, a in hosts.items()}
    done = {}
    for host, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        done[host] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return time.monotonic() - started, done


def playbook(env: dict, book: Path, tmp: Path) -> float:
    control = Path(tempfile.mkdtemp(prefix="cp-", dir=tmp))
    started = time.monotonic()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(book)], capture_output=True, text=True,
                          cwd=ROOT, env=env | {"ANSIBLE_SSH_CONTROL_PATH_DIR": str(control)}, check=False)
    took = time.monotonic() - started
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise RuntimeError(f"{book.name} failed (rc {proc.returncode}):\n{tail}")
    return took


def median_of(times: list[float]) -> str:
    return f"{statistics.median(times):6.1f} s  ({', '.join(f'{t:.1f}' for t in times)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each setting (medians)")
    parser.add_argument("--forks", type=int, nargs="*", default=[5, 25, 50],
                        help="forks to project the 1,250 PCs with (default 5 25 50)")
    args = parser.parse_args(argv)
    if not lab_up():
        print("patch_rings: the lab is not up (as root: flock -o /tmp/jichitai-lab.lock make lab-up)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-patch-rings-") as name:
        tmp = Path(name)
        base = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0",
                             "JICHITAI_WORKPLAN_DIR": str(tmp / "plans")}
        for key in ("ANSIBLE_PIPELINING", "ANSIBLE_FORKS", "ANSIBLE_SSH_ARGS", "ANSIBLE_STRATEGY"):
            base.pop(key, None)
        hosts = inventory(base)
        _, before = on_all(hosts, f"test -e {SOURCE_FILE}")
        unreachable = {h: r.stderr.strip() for h, r in before.items() if r.returncode not in (0, 1)}
        if unreachable:
            print(f"patch_rings: hosts not reached over ssh: {unreachable}", file=sys.stderr)
            return 1
        absent = sorted(h for h, r in before.items() if r.returncode == 1)
        try:
            return measure(args, base, tmp, hosts)
        finally:
            if absent:
                _, after = on_all({h: hosts[h] for h in absent}, f"rm -f {SOURCE_FILE} && apt-get -qq update")
                left = sorted(h for h, r in after.items() if r.returncode != 0)
                print(f"put back: {SOURCE_FILE} removed on {', '.join(absent)}"
                      + (f" (FAILED on {', '.join(left)})" if left else ""))


def measure(args, base: dict, tmp: Path, hosts: dict[str, str]) -> int:
    startup = tmp / "startup.yml"
    startup.write_text(yaml.safe_dump(STARTUP_PLAY, sort_keys=False))
    books = {}
    for name, (strategy, _) in SETTINGS.items():
        books[name] = tmp / f"ring-{name}.yml"
        books[name].write_text(yaml.safe_dump(ring_play(strategy), sort_keys=False))
    for name, (_, extra) in SETTINGS.items():
        playbook(base | extra, books[name], tmp)  # configures the source; the timed runs change nothing
    times: dict[str, list[float]] = {name: [] for name in [*SETTINGS, "floor", "startup"]}
    for _ in range(args.runs):  # settings interleaved, so a drift of the machine touches them all alike
        for name, (_, extra) in SETTINGS.items():
            times[name].append(playbook(base | extra, books[name], tmp))
        took, results = on_all(hosts, FLOOR_COMMAND)
        failed = {h: r.stderr.strip()[-300:] for h, r in results.items() if r.returncode != 0}
        if failed:
            raise RuntimeError(f"floor command failed: {failed}")
        times["floor"].append(took)
        times["startup"].append(playbook(base, startup, tmp))
    report(args, times, len(hosts), sorted(hosts))
    return 0


def report(args, times: dict[str, list[float]], count: int, names: list[str]) -> None:
    med = {name: statistics.median(t) for name, t in times.items()}
    cfg_forks = 5  # ansible.cfg sets no forks: Ansible's default
    print(f"ring: roles/patch_linux on {PATTERN} ({count} hosts: {', '.join(names)}), nothing to install,")
    print(f"no reboot; ansible.cfg: pipelining = true, forks unset ({cfg_forks}), ssh_args unset "
          "(Ansible's: -C -o ControlMaster=auto -o ControlPersist=60s)")
    print("changed for the anchor: ANSIBLE_PIPELINING=False ANSIBLE_FORKS=5, strategy linear; "
          "no-cp also ANSIBLE_SSH_ARGS=''")
    print(f"{'setting':<10} {'median wall time (each run)':<34} {'hosts/min':>9} "
          f"{'x defaults':>10} {'x floor':>8}")
    for name in [*SETTINGS, "floor", "startup"]:
        rate = f"{count * 60 / med[name]:9.1f}" if name != "startup" else f"{'':9}"
        print(f"{name:<10} {median_of(times[name]):<34} {rate} "
              f"{med[name] / med['defaults']:10.2f} {med[name] / med['floor']:8.2f}")
    print(f"ours against defaults: {med['defaults'] / med['ours']:.2f}x the hosts per minute "
          f"({med['defaults'] - med['ours']:+.1f} s a ring of {count})")
    print()
    print(f"projection: {PCS} PCs in one night window of {WINDOW_MINUTES} min (18:30-06:00).")
    print("THIS IS THE CONTROLLER AND CONNECTION OVERHEAD OF A NO-OP RING, NOT THE INSTALL TIME;")
    print("batch time taken from the lab's ring (start-up subtracted) and held constant as forks grow.")
    print(f"{'setting':<10} {'forks':>5} {'batch s':>8} {'minutes':>8} {'window':>7} {'PCs/min':>8}")
    for name in [*SETTINGS, "floor"]:
        startup = 0.0 if name == "floor" else med["startup"]
        for forks in args.forks:
            p = projection(med[name], startup, count, cfg_forks, forks)
            print(f"{name:<10} {forks:5d} {p['batch_s']:8.1f} {p['minutes']:8.1f} "
                  f"{p['share']:7.1%} {p['per_minute']:8.1f}")
