"""The lab tests as `make test` runs them: the lab brought up once, its stages one after the other (two
lanes side by side in a stage), then the lab stopped as it was found.

    python tools/lab_suite.py [--beside COMMAND] [pytest options...]

tests/lanes.py gives each lab test a lane and each lane a stage; the tests of stage N carry the marker
lab_stageN and an xdist group named after their lane. A stage of two lanes runs on two pytest-xdist
workers (`--dist loadgroup`: a lane's tests one after another on one worker, in their collection order),
a stage of one lane in one process. The runner holds the lab (JICHITAI_LAB_HELD): the tests' `lab`
fixture and the molecule scenarios' create and destroy neither start nor stop a component, and the
runner stops at the end what it started.

--beside runs COMMAND (a shell command: make test's tests that need no lab) while stage 3 runs: its
tests run one at a time and mostly wait on the lab, so the other core is free. The runner waits for
COMMAND before stage 4 (the lab's restart); what it printed is shown when it ends, and its failure
fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "lab"
sys.path[:0] = [str(REPO / "tests"), str(LAB)]
import lanes  # noqa: E402 - the lanes and stages of the lab tests
from lab_control import bring_up, stop  # noqa: E402

PYTEST = [str(REPO / ".venv" / "bin" / "pytest"), "-q"]
DIRS = ["tests/integration", "tests/e2e"]
BESIDE_STAGE = 3  # the tests that run alone, mostly waiting on the lab (not the lab's restart after them)


def stage_options(number: int, stage_lanes: tuple[str, ...]) -> list[str]:
    options = ["-m", f"lab and lab_stage{number}"]
    return options + (["-n", str(len(stage_lanes)), "--dist", "loadgroup"] if len(stage_lanes) > 1 else [])


def run_stage(number: int, argv: list[str], beside: str | None) -> list[str]:
    """Run stage NUMBER's tests (and BESIDE beside them); what failed."""
    stage_lanes = lanes.STAGES[number - 1]
    env = os.environ | {"JICHITAI_LAB_HELD": "1"}
    failed = []
    with tempfile.TemporaryFile("w+") as said:
        started = time.monotonic()
        other = None
        if beside:
            print(f"lab_suite: beside stage {number}: {beside}")
            other = subprocess.Popen(beside, shell=True, cwd=REPO, stdout=said, stderr=subprocess.STDOUT)
        cmd = PYTEST + stage_options(number, stage_lanes) + argv + DIRS
        rc = subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode
        seconds = time.monotonic() - started
        print(f"lab_suite: stage {number} ({' | '.join(stage_lanes)}): rc {rc} in {seconds:.0f} s")
        if rc not in (0, 5):  # 5: no test selected
            failed.append(f"stage {number}")
        if other is not None:
            other_rc = other.wait()
            said.seek(0)
            print(said.read())
            print(f"lab_suite: beside stage {number}: rc {other_rc} in {time.monotonic() - started:.0f} s")
            if other_rc != 0:
                failed.append(beside)
    return failed


def main(argv: list[str]) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # its lines in order with the tests' own output
    beside = None
    if argv[:1] == ["--beside"]:
        beside, argv = argv[1], argv[2:]
    root = os.geteuid() == 0
    if not root:
        print("lab_suite: the lab needs root; running the lab tests so that they report their skips")
    started = time.monotonic()
    down, failed_up = bring_up() if root else ([], None)
    if down or failed_up is not None:
        print(f"lab_suite: lab/up.sh ({len(down)} components) in {time.monotonic() - started:.0f} s")
    if failed_up is not None:
        print(failed_up.stderr[-6000:])
        return failed_up.returncode
    failed = []
    try:
        for number in range(1, len(lanes.STAGES) + 1):
            failed += run_stage(number, argv, beside if number == BESIDE_STAGE else None)
    finally:
        stop(down)
    if failed:
        print(f"lab_suite: failed: {'; '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
