"""Ledger reservations to the lab DHCP pair: one dhcp_reservations call against one call per reservation.

    python -m bench dhcp_sync [--count 500] [--keep]

Both ways go through ansible-playbook on the lab inventory (inventories/lab) and change both Kea
peers with the same module and the same safety (validation, config-test, one peer at a time behind
the HA health gate, read-back). The one call passes all COUNT reservations at once; the loop passes
one reservation per call, as a naive `loop:` over the ledger would. Between the two, and at the end,
the pair goes back to the ledger (state exact). Each way's wall-clock time is printed with the ratio.
The lab Kea pair is started when it is not running (and stopped again afterwards). Not a pass/fail
test: the exit code is 0 whenever both ways ended with the pair holding every reservation.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KEA = ROOT / "lab" / "components" / "30-kea.sh"
LEDGER = ROOT / "inventories" / "lab" / "group_vars" / "pair_dhcp.yml"
SCOPE = yaml.safe_load(LEDGER.read_text())["jichitai_dhcp_scopes"][0]
# addresses for the benchmark: inside the lab scope, outside its pool and its ledger reservations
FIRST_ADDRESS = ipaddress.IPv4Address("198.18.101.1")

PEERS_TASK = {
    "name": "collect the peers of the pair",
    "ansible.builtin.set_fact": {
        "bench_peers": "{{ bench_peers | default([]) + [{'name': item,"
        " 'url': hostvars[item].jichitai_kea_api_url, 'user': hostvars[item].jichitai_kea_api_user,"
        " 'password': hostvars[item].jichitai_kea_api_password}] }}",
    },
    "loop": "{{ groups['pair_dhcp'] }}",
    "no_log": True,
}


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
    base = {"subnet": SCOPE["subnet"], "peers": "{{ bench_peers }}"}
    task = dict(task, dhcp_reservations=base | task["dhcp_reservations"])
    return [
        {"name": "bench dhcp_sync", "hosts": "dhcp01", "gather_facts": False, "tasks": [PEERS_TASK, task]}
    ]


def one_call(rows: list[dict]) -> list[dict]:
    return play({"name": "one call", "dhcp_reservations": {"state": "present", "reservations": rows}})


def loop_calls(rows: list[dict]) -> list[dict]:
    return play(
        {
            "name": "one call per reservation",
            "dhcp_reservations": {"state": "present", "reservations": ["{{ item }}"]},
            "loop": rows,
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{ROOT / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
    )
    return env


def run_play(plays: list[dict], workdir: Path) -> tuple[float, dict]:
    path = workdir / "play.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False))
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", str(ROOT / "inventories/lab"), str(path)],
        capture_output=True,
        text=True,
        env=ansible_env(),
        cwd=ROOT,
        check=False,
    )
    elapsed = time.monotonic() - started
    start = proc.stdout.find("{")
    report = json.JSONDecoder().raw_decode(proc.stdout[start:])[0] if start >= 0 else {}
    if proc.returncode != 0:
        failures = [
            result.get("msg", "")
            for task in report.get("plays", [{}])[0].get("tasks", [])
            for result in task["hosts"].values()
            if result.get("failed")
        ]
        detail = failures[:3] or proc.stderr[-2000:]
        raise RuntimeError(f"ansible-playbook failed (rc {proc.returncode}): {detail}")
    return elapsed, report


def reservation_counts(report: dict, task_name: str) -> dict:
    task = next(t for t in report["plays"][0]["tasks"] if t["task"]["name"] == task_name)
    result = task["hosts"]["dhcp01"]
    last = result["results"][-1] if "results" in result else result
    return {
        "total": last["summary"]["total"],
        "peers_changed": [p["name"] for p in last["peers"] if p["changed"]],
    }


def kea_running() -> bool:
    return subprocess.run(["bash", str(KEA), "status"], capture_output=True, check=False).returncode == 0


def kea(action: str) -> None:
    proc = subprocess.run(["bash", str(KEA), action], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"30-kea.sh {action} failed: {proc.stderr[-2000:]}")


def measure(count: int, keep: bool) -> dict:
    rows = reservations(count)
    expected_total = len(SCOPE["reservations"]) + count
    figures = {"count": count}
    with tempfile.TemporaryDirectory(prefix="bench-dhcp-") as tmp:
        workdir = Path(tmp)
        run_play(back_to_ledger(), workdir)
        figures["one_call_s"], report = run_play(one_call(rows), workdir)
        figures["one_call"] = reservation_counts(report, "one call")
        run_play(back_to_ledger(), workdir)
        figures["loop_s"], report = run_play(loop_calls(rows), workdir)
        figures["loop"] = reservation_counts(report, "one call per reservation")
        if not keep:
            run_play(back_to_ledger(), workdir)
    figures["ok"] = figures["one_call"]["total"] == figures["loop"]["total"] == expected_total
    return figures


def report_lines(f: dict) -> list[str]:
    ratio = f["loop_s"] / f["one_call_s"] if f["one_call_s"] else float("inf")
    return [
        f"dhcp_sync: {f['count']} reservations to both peers of the lab Kea pair",
        f"dhcp_sync: one call            {f['one_call_s']:8.1f} s  "
        f"({f['one_call']['total']} reservations on the pair after; "
        f"changed: {', '.join(f['one_call']['peers_changed'])})",
        f"dhcp_sync: {f['count']} calls in a loop  {f['loop_s']:8.1f} s  "
        f"({f['loop_s'] / f['count'] * 1000:.0f} ms per reservation)",
        f"dhcp_sync: ratio loop / one call = {ratio:.1f}x",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="reservations to sync (default 500)")
    parser.add_argument("--keep", action="store_true", help="leave the benchmark reservations on the pair")
    args = parser.parse_args(argv)
    if not 1 <= args.count <= 510:
        parser.error("--count must be between 1 and 510 (free addresses 198.18.101.1-198.18.102.255)")
    if os.geteuid() != 0:
        print("dhcp_sync: the lab needs root", file=sys.stderr)
        return 1
    started_kea = not kea_running()
    if started_kea:
        kea("up")
    try:
        figures = measure(args.count, args.keep)
    finally:
        if started_kea:
            kea("down")
    for line in report_lines(figures):
        print(line)
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
