"""The lab tests as `make test` runs them: the lab brought up once, two lanes side by side, then the tests
that must run alone, then the lab stopped as it was found.

    python tools/lab_suite.py [pytest options...]

Lane tests carry `xdist_group` markers (tests/lanes.py says which test goes in which lane and why):
pytest-xdist gives each lane to one of two workers, so two tests of one lane never run at the same
time, and the two lanes touch disjoint parts of the lab. Tests marked `lab_alone` (they power off or
restart parts of the lab that both lanes read) run afterwards in one process. The runner holds the lab
(JICHITAI_LAB_HELD): the tests' `lab` fixture and the molecule scenarios' create and destroy neither start
nor stop a component, and the runner stops at the end what it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "lab"
PYTEST = [str(REPO / ".venv" / "bin" / "pytest"), "-q"]
DIRS = ["tests/integration", "tests/e2e"]
PHASES = [
    ("lanes", ["-m", "lab and not lab_alone", "-n", "2", "--dist", "loadgroup"]),
    ("alone", ["-m", "lab and lab_alone"]),
]


def component(path: Path, action: str) -> int:
    env = os.environ | {"LAB_COMPONENT": path.stem}
    return subprocess.run(["bash", str(path), action], env=env, capture_output=True, check=False).returncode


def main(argv: list[str]) -> int:
    if os.geteuid() != 0:
        print("lab_suite: the lab needs root; running the lab tests so that they report their skips")
    components = sorted((LAB / "components").glob("[0-9][0-9]-*.sh"))
    down = [c for c in components if component(c, "status") != 0] if os.geteuid() == 0 else []
    if down:
        started = time.monotonic()
        up = subprocess.run(["bash", str(LAB / "up.sh")], check=False)
        print(f"lab_suite: lab/up.sh ({len(down)} components) in {time.monotonic() - started:.0f} s")
        if up.returncode != 0:
            for path in reversed(down):
                component(path, "down")
            return up.returncode
    failed = []
    try:
        for name, options in PHASES:
            started = time.monotonic()
            env = os.environ | {"JICHITAI_LAB_HELD": "1"}
            rc = subprocess.run(PYTEST + options + argv + DIRS, cwd=REPO, env=env, check=False).returncode
            print(f"lab_suite: {name}: rc {rc} in {time.monotonic() - started:.0f} s")
            if rc not in (0, 5):  # 5: no test selected
                failed.append(name)
    finally:
        for path in reversed(down):
            component(path, "down")
    if failed:
        print(f"lab_suite: failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
