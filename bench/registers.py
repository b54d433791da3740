"""All registers and diagrams for the city's inventory (playbooks/registers.yml, 1,353 hosts): wall time.

    .venv/bin/python -m bench registers [--runs 3]

What runs, RUNS times each, medians reported:
- the goal: `ansible-playbook -i inventories/moriguchi playbooks/registers.yml` with the city's software
  export, the directory, the DHCP pair and the UPSes switched off (they are not reachable from here; the
  lab drill reads them), into a temporary folder: every register, the four diagrams as SVG and PNG,
  xlsx, HTML, the comparison with the previous run (each run after the first compares with it);
- the anchor: the same command with a one-task debug play (Ansible's start-up and loading the city's
  inventory: the asset ledger's 1,250 PCs and the estate-wide variables);
- a play that only reads the hosts (filter register_hosts over hostvars) and writes them as JSON: the
  filter's share is this minus the anchor;
- in this process, from that JSON: building the registers and DOT text, the comparison, the HTML, the
  workbook, and dot per diagram and format (run in parallel in the playbook; here one at a time).
Printed: each time, whether the goal (< 30 s) is met, and where the time goes. No timing is asserted.
Needs no lab.
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
VENV_BIN = ROOT / ".venv" / "bin"
CITY = ROOT / "inventories" / "moriguchi"
EXPORT = CITY / "registers" / "skysea_software.csv"
GOAL_SECONDS = 30.0
OFF = ["-e", "registers_directory_host=", "-e", '{"registers_dhcp_peers": [], "registers_ups_hosts": []}']
ANCHOR = [
    {
        "name": "Anchor",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "Nothing", "ansible.builtin.debug": {"msg": "{{ groups['all'] | length }}"}}],
    }
]
DUMP = [
    {
        "name": "Hosts as the registers read them",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Write them",
                "ansible.builtin.copy": {
                    "content": "{{ groups['all'] | register_hosts(hostvars) | to_json }}",
                    "dest": "{{ dump_to }}",
                    "mode": "0600",
                },
                "changed_when": False,
            }
        ],
    }
]


def playbook(path: Path | str, *extra: str) -> float:
    started = time.monotonic()
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", str(CITY), str(path), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
        env=os.environ | {"ANSIBLE_FORCE_COLOR": "0"},
    )
    took = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{path}: rc {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return took


def in_process(hosts_file: Path, tmp: Path) -> dict[str, float]:
    import ansible.module_utils
    import yaml

    ansible.module_utils.__path__.append(str(ROOT / "plugins" / "module_utils"))
    from ansible.module_utils.registers import build, diagrams

    from jichitai_ops.reports import registers as renderer

    def policy(path, key):
        return yaml.safe_load(path.read_text(encoding="utf-8"))[key]

    times = {}
    t = time.monotonic()
    hosts = json.loads(hosts_file.read_text(encoding="utf-8"))
    all_vars = ROOT / "group_vars" / "all"
    city_vars = CITY / "group_vars" / "all"
    result = build.build(
        hosts,
        policy(all_vars / "segments.yml", "jichitai_segments"),
        policy(city_vars / "sites.yml", "jichitai_sites"),
        policy(all_vars / "segments.yml", "jichitai_transfer_routes"),
        policy(city_vars / "organisation.yml", "jichitai_departments"),
        licence_data=policy(city_vars / "licences.yml", "jichitai_licences"),
        catalogue=policy(all_vars / "software_catalogue.yml", "jichitai_software_catalogue"),
        export={"name": EXPORT.name, "data": EXPORT.read_bytes(), "read_at": "-"},
        inventory="moriguchi",
        read_at="bench",
    )
    times["registers and DOT text"] = time.monotonic() - t
    t = time.monotonic()
    record, _current = build.compare(result, str(tmp / "inproc"))
    times["comparison"] = time.monotonic() - t
    for name, text in result["diagrams"].items():
        for fmt in ("svg", "png"):
            t = time.monotonic()
            diagrams.render({name: text}, str(tmp / "inproc" / fmt), formats=(fmt,))
            times[f"dot {name}.{fmt}"] = time.monotonic() - t
    record["diagrams"] = {
        n: {"svg": f"diagrams/{n}.svg", "png": f"diagrams/{n}.png"} for n in result["diagrams"]
    }
    t = time.monotonic()
    renderer.html(record)
    times["HTML"] = time.monotonic() - t
    t = time.monotonic()
    renderer.workbook(record).save(tmp / "inproc.xlsx")
    times["xlsx"] = time.monotonic() - t
    times["_hosts"] = len(hosts)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench registers", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-registers-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "anchor.yml").write_text(json.dumps(ANCHOR), encoding="utf-8")
        (tmp / "dump.yml").write_text(json.dumps(DUMP), encoding="utf-8")
        full, anchor, dump = [], [], []
        for _ in range(args.runs):
            anchor.append(playbook(tmp / "anchor.yml"))
            dump.append(playbook(tmp / "dump.yml", "-e", f"dump_to={tmp / 'hosts.json'}"))
            full.append(
                playbook(
                    ROOT / "playbooks" / "registers.yml",
                    *OFF,
                    "-e",
                    f"registers_software_export={EXPORT}",
                    "-e",
                    f"registers_report_dir={tmp / 'out'}",
                )
            )
        parts = in_process(tmp / "hosts.json", tmp)
        runs = sorted(p.name for p in (tmp / "out").iterdir() if p.is_dir())
        latest = json.loads((tmp / "out" / "latest.json").read_text(encoding="utf-8"))
    med = statistics.median
    print(
        f"hosts: {parts.pop('_hosts')}, runs: {args.runs} (runs written: {len(runs)}, last {latest['run']})"
    )
    print(
        f"registers.yml on the city (goal < {GOAL_SECONDS:.0f} s): {med(full):6.1f} s  -> "
        f"{'met' if med(full) < GOAL_SECONDS else 'NOT met'}"
    )
    print(f"  anchor (Ansible start-up + the city's inventory):  {med(anchor):6.1f} s")
    print(f"  reading the hosts (filter register_hosts):        {med(dump) - med(anchor):6.1f} s")
    print(f"  the rest (reading, registers, diagrams, writing): {med(full) - med(dump):6.1f} s")
    print("in this process (one at a time):")
    for what, seconds in parts.items():
        print(f"  {what:28s} {seconds:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
