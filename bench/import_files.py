"""Personnel transfer: the import-file step on 10,000 and 100,000 synthetic staff, against the list's parse.

    python -m bench import_files [--sizes 10000,100000]

No lab needed. For each size, synthetic staff in the live organisation (one PC each in the asset
ledger, every tenth person reassigned) are planned without a server, then the import-file step runs
as import_files runs it (SKYSEA, workflow routes, both transfer systems, the ledger copy and
plan_by_person.csv, rendered in CP932). Each step's CPU time (of the measuring process, so other work
on the machine does not count) is printed with the ratio of the import-file step to the parse of a
list with one row per staff member, measured in the same run (the anchor): a linear step keeps that
ratio as the staff grow tenfold, a quadratic one multiplies it by ten. The measuring code is
tests/unit/test_import_files_scale.py (`measure`), run through pytest, which imports the project's
module_utils as Ansible does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/unit/bench_import_files.py::test_bench_figures"
LINEAR = 3.0  # ratio growth over a tenfold size still called linear (quadratic: about 10)


def run(sizes: list[int]) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-import-files-") as tmp:
        out = Path(tmp) / "figures.json"
        env = dict(os.environ, JICHITAI_BENCH_SIZES=",".join(map(str, sizes)), JICHITAI_BENCH_OUT=str(out))
        proc = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(f"bench: the measurement failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def report(figures: list[dict]) -> list[str]:
    lines = []
    for f in figures:
        lines.append(
            f"import_files: {f['staff']:>7,} staff, {f['orders']:>6,} orders: parse {f['parse_s']:6.2f} s, "
            f"plan {f['plan_s']:6.2f} s, import files {f['import_s']:7.2f} s "
            f"(anchor: parse of a {f['staff']:,}-row list {f['anchor_s']:.2f} s, ratio {f['ratio']:6.1f}; "
            f"{f['pcs_moved']:,} PCs moved)"
        )
    if len(figures) > 1:
        first, last = figures[0], figures[-1]
        growth = last["ratio"] / first["ratio"]
        scale = last["staff"] / first["staff"]
        verdict = "linear" if growth < LINEAR * scale / 10 else "NOT linear"
        lines.append(
            f"import_files: {scale:.0f}x the staff -> {last['import_s'] / first['import_s']:.1f}x the time, "
            f"ratio to parse x{growth:.2f} [{verdict}]"
        )
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="staff counts (default 10000,100000)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 100:
        parser.error("--sizes: staff counts of at least 100")
    figures = run(sizes)
    for line in report(figures):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
