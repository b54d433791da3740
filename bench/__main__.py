"""Run the benchmarks: `python -m bench` runs every one, `python -m bench NAME [options]` one of them.

Each benchmark is a module of this package with `main(argv=None) -> int` and a docstring whose first
line says what it measures; adding a module adds a benchmark. `make bench` runs them all.
After the runs one table sums them up: per figure ours, its anchor, its floor (the least the same work
costs, measured in the same run), both ratios and the goal (bench/_table.py; benchmarks add rows with
`bench._table.row`). Modules whose name starts with `_` are helpers, not benchmarks.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

from bench import _table


def benchmarks() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def run(name: str, argv: list[str]) -> int:
    module = importlib.import_module(f"bench.{name}")
    print(f"== bench {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
    started = time.monotonic()
    rc = module.main(argv)
    print(f"== bench {name}: rc {rc} in {time.monotonic() - started:.1f} s", flush=True)
    return rc or 0


def main(argv: list[str]) -> int:
    names = benchmarks()
    if argv and argv[0] in ("-h", "--help", "--list"):
        print(__doc__.strip())
        print("benchmarks: " + ", ".join(names))
        return 0
    if argv:
        if argv[0] not in names:
            print(f"unknown benchmark {argv[0]!r}; known: {', '.join(names)}", file=sys.stderr)
            return 2
        rc = run(argv[0], argv[1:])
        table()
        return rc
    failed = []
    for name in names:
        try:
            if run(name, []) != 0:
                failed.append(name)
        except (Exception, SystemExit) as exc:  # one benchmark's lab trouble must not lose the table
            print(f"== bench {name}: failed: {exc}", file=sys.stderr, flush=True)
            failed.append(name)
    table()
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def table() -> None:
    rows = _table.lines()
    if rows:
        print("\n== bench table: ours, anchor, floor (same run), ratios, goal")
        for line in rows:
            print(line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
