"""The AD pair patched one controller at a time (playbooks/patch_servers.yml on pair_ad).

The lab's ad01 and ad02 are two Samba AD DCs replicating with each other; the Windows leaf reads a
recorded win_updates result that asks for a reboot, and the reboot is each controller's own restart.
While the run goes, a watcher knocks on both controllers' LDAPS port every 0.2 s: one controller is
down at a time, ad01 before ad02, and never both. A controller that does not come back fails its
health gate and the run stops before the second one is touched.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import LAB_DIR, REPO

pytestmark = [pytest.mark.lab, pytest.mark.slow]

BIN = REPO / ".venv" / "bin"
POWER = LAB_DIR / "outage" / "power.sh"
DCS = {"ad01": "127.0.0.1", "ad02": "127.0.0.2"}


def answers(address: str) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, 636)) == 0


class Watcher(threading.Thread):
    """Samples which controllers answer on LDAPS until stopped: [(t, {dc: up})]."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, dict[str, bool]]] = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.samples.append((time.monotonic(), {dc: answers(a) for dc, a in DCS.items()}))
            time.sleep(0.2)

    def down(self, dc: str) -> list[float]:
        return [t for t, up in self.samples if not up[dc]]


def power(action: str, host: str) -> None:
    proc = subprocess.run(["bash", str(POWER), action, host], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def patch_pair(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, Watcher, dict]:
    reports = tmp / "reports"
    cmd = [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories" / "lab"),
           str(REPO / "playbooks" / "patch_servers.yml"), "-e", "patch_servers_hosts=pair_ad",
           "-e", f"patch_waves_report_dir={reports}", "-e", "workplan_unplanned_ok=true",
           "-e", "workplan_unplanned_reason=AD pair lab drill", *args]  # fmt: skip
    env = os.environ | {"JICHITAI_WORKPLAN_LAB": "1", "JICHITAI_WORKPLAN_DIR": str(tmp / "plans")}
    watcher = Watcher()
    watcher.start()
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False)
    finally:
        watcher.stopping.set()
        watcher.join()
    report = next(reports.glob("*/patch_status.json"))
    results = {h["host"]: h["result"] for h in json.loads(report.read_text(encoding="utf-8"))["hosts"]}
    return run, watcher, results


@pytest.fixture
def pair_up(lab):
    assert all(answers(a) for a in DCS.values()), "both controllers must be up before the drill"
    yield
    power("fix", "ad01")
    power("on", "ad01")
    deadline = time.monotonic() + 60
    while not all(answers(a) for a in DCS.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert all(answers(a) for a in DCS.values()), "the pair did not come back after the drill"


def test_one_controller_at_a_time_and_a_failed_gate_stops_before_the_second(pair_up, tmp_path):
    run, watcher, results = patch_pair(tmp_path / "apply")
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert results == {"ad01": "installed", "ad02": "installed"}
    both_down = [t for t, up in watcher.samples if not any(up.values())]
    assert not both_down, "both controllers were down at once"
    ad01_down, ad02_down = watcher.down("ad01"), watcher.down("ad02")
    assert ad01_down and ad02_down, f"each controller restarts once ({len(watcher.samples)} samples)"
    assert max(ad01_down) < min(ad02_down), "ad02 went down before ad01 was back"

    power("break", "ad01")
    halted, watcher, results = patch_pair(tmp_path / "halted", "-e", "patch_waves_gate_timeout=15",
                                          "-e", "patch_waves_gate_delay=2")  # fmt: skip
    assert halted.returncode != 0
    said = halted.stdout + halted.stderr
    assert "ad01 で更新に失敗しました。以降の波は実施しません" in said and "did not come back" in said
    assert results == {"ad01": "failed", "ad02": "not_reached"}
    assert watcher.down("ad01") and not watcher.down("ad02"), "ad02 was touched after ad01's gate failed"
