"""Fixed cost every run pays: a no-op guarded check run against plain Ansible and Ansible's bare start-up.

    python -m bench overhead [--runs 3]

MNT-WORKPLAN (§5-2(2)②). Every operation starts with the work-plan guard and ends with the workplan
callback writing the plan (plan.json, md, html, xlsx), so these seconds are paid by every daily
check, patch ring and register run before any real work. Measured on the controller alone (no lab):
the e2e fixture project (tests/e2e/test_workplan_flow.py: a copy of the work-plan code, the estate
policy and a one-host, one-file playbook) in a temporary folder, its target already as the playbook
wants it, so nothing is to change:

- ours: `ansible-playbook --check --diff` of the guarded playbook with the workplan callback (guard,
  argument check, the task, the plan written with its renderings) - the no-op check run;
- anchor: the same task in a plain playbook, no guard, no callback (what Ansible alone costs);
- floor: ansible-playbook of a play without tasks (start-up, inventory, exit);
- the guard and the callback alone: ours minus the anchor.

Per task, in this process: the callback's record of one task result (classification, diffs as text,
tables) for a file task and for a personnel-transfer result with 400 per-person data diffs, beside
the same diffs dumped with PyYAML alone (what recording cost before libyaml wrote the short ones).

Each is run RUNS times, the median is kept; wall-clock and CPU seconds (user + system of the child
processes, which the load of other work bends less) are printed. Goal: a no-op check run <= 3 s.
Whether Python's bytecode is cached (`make venv` installs with --no-compile; with
PYTHONDONTWRITEBYTECODE set every process compiles Ansible anew) is printed beside the figures.
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

from bench import _table

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import test_workplan_flow as flow  # noqa: E402 - the e2e fixture project, one source for both

GOAL_SECONDS = 3.0


def bytecode_cached() -> str:
    """Whether the imports a run pays for have compiled bytecode: yes, partly or no."""
    import importlib.util

    if os.environ.get("PYTHONPYCACHEPREFIX"):
        return "yes (PYTHONPYCACHEPREFIX)"
    found = []
    for package in ("ansible", "holidays.countries", "ldap3", "openpyxl", "jinja2"):
        spec = importlib.util.find_spec(package)
        found.append(bool(spec and spec.origin and (Path(spec.origin).parent / "__pycache__").is_dir()))
    if all(found):
        return "yes"
    if any(found):
        return "partly (every process compiles the rest)"
    return "no (every process compiles its imports)"


def timed(cmd, cwd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(
            f"overhead: {' '.join(cmd[1:4])} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return wall, cpu, proc.stdout + proc.stderr


def median(samples):
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def per_task() -> dict:
    """Seconds the callback spends on one task result: a file task, and 400 per-person data diffs."""
    import yaml

    from jichitai_ops.workplan import record as record_mod

    def person(i):
        return {
            "DN": f"CN=u27{i:04d},OU=0101,OU=Departments,DC=lab,DC=jichitai,DC=test",
            "氏名": "山田　太郎",
            "所属": "010100 総務課",
            "職名": "主事",
            "状態": "有効",
            "グループ": ["g-010100-staff", "g-all-staff", "g-xfer-internet-lgwan"],
        }

    file_result = {"changed": True, "diff": [{"before": "a = 1\n", "after": "a = 2\n", "after_header": "/x"}]}
    people = {
        "changed": True,
        "diff": [{"before": person(i), "after": {**person(i), "所属": "020100 企画課"}} for i in range(400)],
    }
    common = dict(
        host="ad01", task="t", key="k", action="ad_personnel", role=None, handler=False, status="ok",
        planning=True, no_log=False, ignore_errors=False, sensitive=False, ran_for_real=False,
        minutes=None, seq=1, occurrence=1, started=None, ended=None,
    )  # fmt: skip
    out = {}
    for name, result, repeat in (("file task", file_result, 200), ("400 data diffs", people, 3)):
        started = time.perf_counter()
        for _count in range(repeat):
            record_mod.record(result=result, **common)
        out[name] = (time.perf_counter() - started) / repeat
    started = time.perf_counter()
    for entry in people["diff"]:
        for side in ("before", "after"):
            yaml.safe_dump(entry[side], allow_unicode=True, sort_keys=True, default_flow_style=False)
    out["400 data diffs, PyYAML alone"] = time.perf_counter() - started
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median kept; default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        project = flow.Project(Path(tmp))
        content = project.input.read_text().rstrip("\n") + "\n"  # what the playbook writes: already there
        (project.target / "web01.conf").write_text(content)
        (project.target / "web01.conf").chmod(0o644)
        task = {
            "name": "Service configuration file",
            "ansible.builtin.copy": {
                "dest": "{{ fixture_dir }}/{{ inventory_hostname }}.conf",
                "content": "{{ lookup('ansible.builtin.file', fixture_input) }}\n",
                "mode": "0644",
            },
        }
        plain = project.dir / "plain.yml"
        plain.write_text(
            json.dumps([{"name": "Plain", "hosts": "web01", "gather_facts": False, "tasks": [task]}])
        )
        empty = project.dir / "empty.yml"
        empty.write_text(
            json.dumps([{"name": "Empty", "hosts": "web01", "gather_facts": False, "tasks": []}])
        )
        common = [
            "-i",
            "inventory",
            "-e",
            f"fixture_dir={project.target}",
            "-e",
            f"fixture_input={project.input}",
            "-e",
            f"fixture_secret={flow.SECRET}",
        ]
        guarded = [
            str(VENV_BIN / "ansible-playbook"),
            *common,
            flow.QUICK,
            "--check",
            "--diff",
            "-e",
            f"workplan_window_start={flow.WINDOW[0]}",
            "-e",
            f"workplan_window_end={flow.WINDOW[1]}",
            "-e",
            f"workplan_now={flow.PLANNED_AT}",
        ]
        # plain Ansible: the project's settings without the workplan callback
        plain_cfg = project.dir / "plain.cfg"
        settings = (project.dir / "ansible.cfg").read_text().splitlines()
        plain_cfg.write_text("\n".join(s for s in settings if not s.startswith("callbacks_enabled")) + "\n")
        bare_env = {k: v for k, v in project.env().items() if k != "ANSIBLE_CALLBACKS_ENABLED"}
        bare_env["ANSIBLE_CONFIG"] = str(plain_cfg)
        cases = {
            "ours": (guarded, project.env()),
            "anchor": (
                [str(VENV_BIN / "ansible-playbook"), *common, str(plain), "--check", "--diff"],
                bare_env,
            ),
            "floor": ([str(VENV_BIN / "ansible-playbook"), *common, str(empty)], bare_env),
        }
        samples = {name: [] for name in cases}
        for _run in range(args.runs):
            for name, (cmd, env) in cases.items():  # interleaved: a burst of load bends all three alike
                wall, cpu, out = timed(cmd, project.dir, env)
                if name == "ours" and "変更 0 件" not in out:
                    raise SystemExit(f"overhead: the check run was not a no-op:\n{out[-2000:]}")
                samples[name].append((wall, cpu))
    figures = {name: median(s) for name, s in samples.items()}
    cached = bytecode_cached()
    for name, label in (
        ("ours", "no-op guarded check run (guard + task + plan written)"),
        ("anchor", "the same task, plain Ansible (no guard, no callback)"),
        ("floor", "ansible-playbook of a play without tasks"),
    ):
        wall, cpu = figures[name]
        print(f"overhead: {label}: {wall:.2f} s wall, {cpu:.2f} s CPU (median of {args.runs})")
    extra_wall = figures["ours"][0] - figures["anchor"][0]
    extra_cpu = figures["ours"][1] - figures["anchor"][1]
    print(f"overhead: guard and callback: {extra_wall:.2f} s wall, {extra_cpu:.2f} s CPU per run")
    print(f"overhead: Python bytecode cached: {cached}")
    _table.row(
        "overhead",
        "no-op check run, wall",
        figures["ours"][0],
        anchor=figures["anchor"][0],
        anchor_name="the same task in plain Ansible, no guard or callback",
        floor=figures["floor"][0],
        floor_name="ansible-playbook of a play without tasks",
        max_seconds=GOAL_SECONDS,
    )
    tasks = per_task()
    for name, seconds in tasks.items():
        print(f"overhead: callback record of one task result, {name}: {seconds * 1000:.1f} ms")
    _table.row(
        "overhead",
        "callback record, 400 data diffs",
        tasks["400 data diffs"],
        anchor=tasks["400 data diffs, PyYAML alone"],
        anchor_name="the same 800 data diffs dumped with PyYAML alone (the recording before)",
    )
    _table.row(
        "overhead",
        "no-op check run, CPU",
        figures["ours"][1],
        anchor=figures["anchor"][1],
        floor=figures["floor"][1],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
