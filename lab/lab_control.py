"""Start and stop the lab's components from Python: the tests' `lab` fixture, tools/lab_suite.py and the
lab benchmarks share these, so each of them stops exactly what it started.

A component is a script lab/components/NN-name.sh taking up, down or status (status 0: running).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent


def components() -> list[Path]:
    """Every component script, in the order lab/up.sh starts them."""
    return sorted((LAB_DIR / "components").glob("[0-9][0-9]-*.sh"))


def component_path(name: str) -> Path:
    """The script of the component NAME (its file name without .sh, e.g. 30-kea)."""
    return LAB_DIR / "components" / f"{name}.sh"


def run_component(component: Path, action: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = os.environ | {"LAB_COMPONENT": component.stem}
    return subprocess.run(
        ["bash", str(component), action],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def run_lab_script(name: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """lab/NAME (up.sh, down.sh, status.sh)."""
    return subprocess.run(
        ["bash", str(LAB_DIR / name)], capture_output=True, text=True, timeout=timeout, check=False
    )


def not_running(wanted: list[Path]) -> list[Path]:
    return [c for c in wanted if run_component(c, "status").returncode != 0]


def bring_up(wanted: list[Path] | None = None) -> tuple[list[Path], subprocess.CompletedProcess | None]:
    """Start the components of WANTED (default: all, by lab/up.sh) that are not running.

    Returns the ones started, for stop(), and the failed start's process (None when all went well);
    on a failure the ones started are stopped again and the list is empty."""
    down = not_running(components() if wanted is None else wanted)
    failed = None
    if down and wanted is None:
        proc = run_lab_script("up.sh")
        failed = proc if proc.returncode != 0 else None
    else:
        for component in down:
            proc = run_component(component, "up", timeout=600)
            if proc.returncode != 0:
                failed = proc
                break
    if failed is not None:
        stop(down)
        return [], failed
    return down, None


def stop(started: list[Path]) -> None:
    """Stop STARTED, last started first."""
    for component in reversed(started):
        run_component(component, "down")
