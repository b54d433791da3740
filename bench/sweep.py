"""Liveness sweep of 1,300 loopback endpoints: the module's engine against fping and Ansible's ping.

    python -m bench sweep [--count 1300] [--dead-percent 1] [--runs 3]

COUNT TCP listeners on 127.0.x.y (backlog 4096), of which DEAD-PERCENT are ports with no listener,
swept by the engine of liveness_sweep (plugins/module_utils/sweep, defaults: concurrency 256, one
retry) for tcp and for icmp; its wall time is set against anchors measured in the same run: fping
with its defaults on the same addresses (ICMP to 127/8 never leaves the machine), and, when the lab's
namespace hosts are up, `ansible -m ansible.builtin.ping --forks 50` on them, extrapolated per host to
COUNT. A second sweep of a healthy set (no dead port) counts false downs (goal 0). The goal is a sweep
of COUNT endpoints in at most 2 s wall. Not a pass/fail test: the exit code is 0 whenever the sweep
found exactly the dead ports as down.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ansible.module_utils

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "plugins" / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(ROOT / "plugins" / "module_utils"))

from ansible.module_utils.sweep.engine import sweep  # noqa: E402

HOSTS = ROOT / "lab" / "components" / "60-hosts.sh"
GOAL_SECONDS = 2.0


def addresses(count: int) -> list[str]:
    # 127.0.0.0/24 is left to the lab's loopback stand-ins
    return [f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(count)]


def listeners(addrs: list[str], dead_every: int | None):
    socks, targets, dead = [], [], []
    for i, address in enumerate(addrs):
        sock = socket.socket()
        sock.bind((address, 0))
        port = sock.getsockname()[1]
        if dead_every and i % dead_every == dead_every // 2:
            sock.close()  # the port stays free: a dead service
            dead.append(f"t{i:04d}")
        else:
            sock.listen(4096)
            socks.append(sock)
        targets.append({"name": f"t{i:04d}", "address": address, "checks": [{"type": "tcp", "port": port}]})
    return socks, targets, dead


def timed_sweep(targets, runs):
    times, report = [], None
    for _ in range(runs):
        started = time.monotonic()
        report = sweep(targets)
        times.append(time.monotonic() - started)
    return times, report


def fping(addrs: list[str]) -> float | None:
    binary = shutil.which("fping")
    if binary is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as handle:
        handle.write("\n".join(addrs) + "\n")
        handle.flush()
        started = time.monotonic()
        subprocess.run([binary, "-q", "-f", handle.name], capture_output=True, check=False)
        return time.monotonic() - started


def ansible_ping() -> tuple[float, int] | None:
    """(wall, hosts) of ansible ping on the lab's namespace hosts, or None when they are not up."""
    if os.geteuid() != 0 or subprocess.run(["bash", str(HOSTS), "status"], capture_output=True,
                                           check=False).returncode != 0:
        return None
    inventory = ROOT / "inventories" / "lab"
    env = os.environ | {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_VAULT_IDENTITY_LIST": f"lab@{inventory / '.vault-pass.lab'}",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
    }
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible"), "-i", str(inventory), "linux", "-m", "ansible.builtin.ping",
         "--forks", "50"], capture_output=True, text=True, env=env, cwd=ROOT, check=False,
    )
    wall = time.monotonic() - started
    try:
        hosts = json.loads(proc.stdout)["stats"]
    except (json.JSONDecodeError, KeyError):
        return None
    return wall, len(hosts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1300, help="endpoints (default 1300)")
    parser.add_argument("--dead-percent", type=float, default=1.0, help="share of dead ports (default 1)")
    parser.add_argument("--runs", type=int, default=3, help="sweeps of each set; the median is reported")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 250 * 255:
        parser.error("--count must be between 1 and 63750")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 3 * args.count + 512)), hard))
    addrs = addresses(args.count)
    dead_every = round(100 / args.dead_percent) if args.dead_percent > 0 else None

    socks, targets, dead = listeners(addrs, dead_every)
    try:
        tcp_times, report = timed_sweep(targets, args.runs)
    finally:
        for sock in socks:
            sock.close()
    found_right = sorted(report["down"]) == sorted(dead)

    socks, healthy, _ = listeners(addrs, None)
    try:
        healthy_times, healthy_report = timed_sweep(healthy, args.runs)
    finally:
        for sock in socks:
            sock.close()
    false_down = len(healthy_report["down"])
    retried = sum(c["attempts"] > 1 for t in healthy_report["targets"] for c in t["checks"])

    icmp_targets = [{"name": f"i{i:04d}", "address": a, "checks": [{"type": "icmp"}]}
                    for i, a in enumerate(addrs)]
    icmp_times, icmp_report = timed_sweep(icmp_targets, args.runs)
    fping_wall = fping(addrs)
    ping = ansible_ping()

    engine = statistics.median(tcp_times)
    print(f"endpoints: {args.count} on 127.0.x.y, {len(dead)} dead ports")
    print(f"engine tcp sweep: median {engine:.3f} s of {args.runs} "
          f"({', '.join(f'{t:.3f}' for t in tcp_times)}), goal <= {GOAL_SECONDS:.0f} s: "
          f"{'met' if engine <= GOAL_SECONDS else 'NOT met'}")
    print(f"engine found the dead ports exactly: {found_right} (down {len(report['down'])})")
    print(f"healthy set: median {statistics.median(healthy_times):.3f} s, false downs {false_down} (goal 0), "
          f"checks that needed the retry {retried}")
    print(f"engine icmp sweep: median {statistics.median(icmp_times):.3f} s, states {icmp_report['summary']}")
    if fping_wall is None:
        print("fping: not installed (lab/install-deps.sh installs it)")
    else:
        print(f"fping (defaults) on the same addresses: {fping_wall:.2f} s — "
              f"engine is {fping_wall / engine:.0f}x faster")
    if ping is None:
        print("ansible ping: the lab's namespace hosts are not up (make lab-up), not measured")
    else:
        wall, hosts = ping
        per_host = wall / max(hosts, 1)
        extrapolated = per_host * args.count
        print(f"ansible -m ansible.builtin.ping --forks 50: {wall:.2f} s for {hosts} hosts; extrapolated per "
              f"host to {args.count}: {extrapolated:.0f} s — engine is {extrapolated / engine:.0f}x faster")
        batches = -(-args.count // 50) * wall  # a kinder reading: 50 hosts at a time, each batch as long
        print(f"  (in batches of 50 forks: {batches:.0f} s — engine is {batches / engine:.0f}x faster)")
    return 0 if found_right else 1


if __name__ == "__main__":
    sys.exit(main())
