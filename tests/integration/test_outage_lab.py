"""Planned power outage on the lab (REQUIREMENTS OPS-OUTAGE, §6-3(8)).

The stand-ins are real lab servers: "power off" stops a stand-in's lab services (lab/outage/power.sh;
the RADIUS peers and mon01 through their own lab components, as their host_vars say), every gate is a
real check (LDAPS bind and SMB listing on Samba, Kea HA state, sshd banner, the RADIUS servers' and
the monitoring engines' ports, UPS status over NUT and SNMP, ping of the gateways). Each test leaves
the lab running as it found it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
POWER = REPO / "lab" / "outage" / "power.sh"
OVERLAY = REPO / "lab" / "outage" / "stand-ins.yml"
RADIUS = REPO / "lab" / "components" / "75-radius.sh"
MONITORING = REPO / "lab" / "components" / "80-monitoring.sh"
# hosts whose "power" is a lab component of their own: (on, status) argv, as in their host_vars
COMPONENT_POWER = {
    **{
        peer: (["bash", str(RADIUS), "start-peer", peer], ["bash", str(RADIUS), "peer-running", peer])
        for peer in ("radius01", "radius02")
    },
    "mon01": (["bash", str(MONITORING), "start"], ["bash", str(MONITORING), "status"]),
}
# application servers, by name; mon01 (role monitoring) counts as one by its OS family
TIER6 = ["mail01", "mnxfer-lg01", "mnxfer01", "mon01", "xfer-inet01", "xfer-lg01"]
STAND_INS = [
    *TIER6, "backup01", "dhcp02", "dhcp01", "radius02", "radius01", "ad02", "ad01", "gw-cityhall",
]  # fmt: skip
UPSES = ["ups01", "ups02", "ups03", "ups04"]
SHUTDOWN_ORDER = [*STAND_INS, *UPSES]  # tiers 1..6 of the lab, dependants first
STARTUP_ORDER = [
    "ups01", "ups02", "ups03", "ups04",  # tier 1: mains power back
    "gw-cityhall",  # tier 2: network
    "ad01", "ad02",  # tier 3: the first controller before the second
    "dhcp01", "dhcp02", "radius01", "radius02",  # tier 4: appliances (RADIUS needs the directory)
    "backup01",  # tier 5
    *TIER6,  # tier 6
]  # fmt: skip

pytestmark = pytest.mark.lab


def power(action: str, host: str) -> subprocess.CompletedProcess:
    if host in COMPONENT_POWER:
        if action in ("on", "status"):
            argv = COMPONENT_POWER[host][0 if action == "on" else 1]
            return subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
        return subprocess.CompletedProcess([action, host], 0, "", "")  # no fault injection for these
    return subprocess.run(
        ["bash", str(POWER), action, host], capture_output=True, text=True, timeout=180, check=False
    )


def is_on(host: str) -> bool:
    return power("status", host).returncode == 0


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def playbook(name: str, tmp: Path, *args: str, inventory: Path | None = None, timeout: int = 400):
    cmd = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(inventory or REPO / "inventories" / "lab"),
        "-i",
        str(OVERLAY),
    ]
    cmd += [
        str(REPO / "playbooks" / name),
        "--diff",
        "-e", f"outage_shutdown_report_dir={tmp} outage_startup_report_dir={tmp}",
        *args,
    ]  # fmt: skip
    if "--check" not in args:
        cmd += ["-e", "workplan_unplanned_ok=true", "-e", "workplan_unplanned_reason=outage lab test"]
    env = os.environ | {
        "ANSIBLE_CALLBACKS_ENABLED": "workplan",
        "JICHITAI_WORKPLAN_LAB": "1",
        "JICHITAI_WORKPLAN_DIR": str(tmp / "plans"),
        "ANSIBLE_FORCE_COLOR": "0",
    }
    return subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout, check=False
    )


def lab_inventory_with(tmp: Path, host: str, **changes) -> Path:
    """A copy of the lab inventory with some host_vars of HOST changed (host_vars files outrank any
    other inventory source); its lab paths still lead to the running lab."""
    copy = tmp / "inventories" / "lab"
    shutil.copytree(REPO / "inventories" / "lab", copy)
    (tmp / "lab").symlink_to(REPO / "lab")
    host_vars = copy / "host_vars" / f"{host}.yml"
    host_vars.write_text(host_vars.read_text(encoding="utf-8") + yaml.safe_dump(changes), encoding="utf-8")
    shown = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(copy), "--host", host],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert all(json.loads(shown)[k] == v for k, v in changes.items()), "the changed inventory does not apply"
    return copy


def said(result: subprocess.CompletedProcess) -> str:
    """The run's output with line wrapping undone."""
    return " ".join(result.stdout.split())


def record(tmp: Path, direction: str) -> dict:
    files = sorted(tmp.glob(f"{direction}-*.json"))
    assert files, f"no {direction} record in {tmp}"
    return json.loads(files[-1].read_text(encoding="utf-8"))


def ups_adhoc(hosts: str, args: str) -> None:
    cmd = [
        str(BIN / "ansible"),
        "-i",
        str(REPO / "inventories" / "lab"),
        hosts,
        "-m",
        "ups_control",
        "-a",
        args,
    ]
    subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=120, check=True)


DRIVE = [str(BIN / "python"), str(REPO / "lab" / "nut" / "drive.py")]
UPS_ARGS = (
    "backend={{ jichitai_ups_backend }} address={{ jichitai_ups_address }} port={{ jichitai_ups_port }} "
    "name={{ jichitai_ups_name }} user={{ jichitai_ups_user | default(omit) }} "
    "password={{ jichitai_ups_password | default(omit) }} "
    "community={{ jichitai_ups_community | default(omit) }} "
    "write_community={{ jichitai_ups_write_community | default(omit) }}"
)


@pytest.fixture
def restore_lab(lab):
    """Whatever a test does, every stand-in runs again afterwards."""
    yield lab
    for host in STAND_INS:
        power("fix", host)
    said_on = {h: power("on", h) for h in reversed(STAND_INS) if not is_on(h)}
    left = [h for h in STAND_INS if not is_on(h)]
    assert not left, {h: (said_on[h].stdout, said_on[h].stderr[-2000:]) for h in left if h in said_on}


@pytest.fixture
def restore_upses(lab):
    """The UPSes back on mains power, no shutdown scheduled and their lab delays as the lab sets them."""
    yield
    subprocess.run(DRIVE + ["ups01", "online"], capture_output=True, timeout=60, check=False)
    ups_adhoc("ups04", UPS_ARGS + " state=cancelled")
    ups_adhoc("ups01:ups02:ups03", UPS_ARGS + " state=configured shutdown_delay=60 startup_delay=120")


def test_the_startup_plan_in_check_mode_touches_nothing(restore_lab, tmp_path):
    """The shutdown's plan in check mode: tests/integration/test_outage_workplan_lab.py."""
    up = playbook(
        "outage_startup.yml", tmp_path, "--check",
        "-e", "workplan_window_start=2026-12-20T06:00 workplan_window_end=2026-12-20T09:00",
    )  # fmt: skip
    assert up.returncode == 0, up.stdout[-3000:]
    (plan,) = [p.read_text(encoding="utf-8") for p in (tmp_path / "plans").glob("*/plan.md")]
    assert plan.startswith("# 作業計画書 — 計画停電後のサーバ・機器の順次起動と疎通確認")
    assert "第3段 Active Directory: ad01 → ad02" in plan
    assert "作業枠 06:00–09:00 の 180 分以内" in plan
    assert all(is_on(h) for h in STAND_INS)
    assert not list(tmp_path.glob("startup-*"))


def test_shutdown_then_startup_halted_by_a_server_that_does_not_come_back_then_resumed(
    restore_lab, restore_upses, tmp_path
):
    """The drill: the night's shutdown, a morning startup in which backup01 does not come back, the
    fix, the rerun. Services stop in dependency order and come back in reverse, behind real gates."""
    down = playbook("outage_shutdown.yml", tmp_path)
    assert down.returncode == 0, down.stdout[-4000:]
    steps = record(tmp_path, "shutdown")["steps"]
    assert [s["host"] for s in steps] == SHUTDOWN_ORDER
    assert [s["tier"] for s in steps] == [1] * len(TIER6) + [2, 3, 3, 3, 3, 4, 4, 5, 6, 6, 6, 6]
    ends = [s["end"] for s in steps]
    assert ends == sorted(ends), "a host was recorded down before one of an earlier tier"
    assert not any(is_on(h) for h in STAND_INS)
    assert not port_open(636) and not port_open(445)  # Samba (LDAPS, SMB) is down
    assert [s["method"] for s in steps if s["host"].startswith("dhcp")] == ["kea_api", "kea_api"]
    assert not port_open(22, "198.18.10.20")
    assert not port_open(1812, "127.0.0.31") and not port_open(1812, "127.0.0.32")  # FreeRADIUS is down
    assert not port_open(9090)  # Prometheus (mon01) is down

    # a second shutdown is refused before it touches anything: the pairs no longer answer
    again = playbook(
        "outage_shutdown.yml",
        tmp_path,
        "-e",
        '{"outage_precheck_timeout": 1, "outage_precheck_checks": ["pairs"]}',
    )
    assert again.returncode != 0
    assert "outage pre-checks failed, nothing was shut down" in said(again)
    assert "ad01 ldaps" in said(again) and "dhcp01 kea_ha" in said(again)

    # morning: backup01 does not come back
    power("break", "backup01")
    halted = playbook("outage_startup.yml", tmp_path, "-e", "outage_gate_timeout=10")
    assert halted.returncode != 0
    assert (
        "startup halted at tier 5 (ファイルサーバ・バックアップ): backup01 ssh did not pass within 10 s"
        in said(halted)
    )
    run = record(tmp_path, "startup")
    assert run["halted"]["tier"] == 5
    assert [(f["host"], f["check"]) for f in run["halted"]["failures"]] == [("backup01", "ssh")]
    powered = [s["host"] for s in run["steps"] if s["step"] == "power_on"]
    assert powered == STARTUP_ORDER[: STARTUP_ORDER.index("backup01") + 1]
    gates = {(s["host"], s["check"]) for s in run["steps"] if s["step"] == "gate" and s["ok"]}
    for gate in [
        ("ups01", "ups"), ("ups04", "ups"), ("gw-cityhall", "ping"), ("dhcp01", "kea_ha"),
        ("dhcp02", "kea_ha"), ("ad01", "ldaps"), ("ad01", "smb"), ("ad02", "ldaps"),
        ("radius01", "tcp"), ("radius02", "tcp"),
    ]:  # fmt: skip
        assert gate in gates, gate
    for earlier, later in zip(run["steps"], run["steps"][1:], strict=False):
        assert later["tier"] >= earlier["tier"], "a tier started before the gates of the previous one"
    assert not is_on("mail01") and not is_on("mnxfer01") and not is_on("mon01"), (
        "tier 6 was powered on although tier 5 did not come back"
    )
    report = next(tmp_path.glob("startup-*.md")).read_text(encoding="utf-8")
    assert "**中断**（第5段" in report and "| backup01 | sshd 応答 |" in report
    assert f"第6段 業務・アプリケーションサーバ: {'、'.join(TIER6)}" in report  # not started

    # fixed: the rerun passes the tiers that are up at once and carries on
    power("fix", "backup01")
    for old in tmp_path.glob("startup-*"):
        old.unlink()
    resumed = playbook("outage_startup.yml", tmp_path, "-e", "outage_gate_timeout=60")
    assert resumed.returncode == 0, resumed.stdout[-3000:]
    run = record(tmp_path, "startup")
    assert not run["halted"]
    assert all(is_on(h) for h in STAND_INS), resumed.stdout[-3000:]
    early = [s for s in run["steps"] if s["tier"] <= 4 and s["step"] == "gate"]
    assert all(s["ok"] and s["seconds"] < 15 for s in early), early
    started = {
        s["host"] for s in run["steps"] if s["step"] == "power_on" and s["detail"].startswith("CHANGED")
    }
    # what was up stayed as it was (the component scripts of mon01 and the RADIUS peers print nothing)
    assert started == {"backup01", *TIER6} - {"mon01"}
    assert {(s["host"], s["check"]) for s in run["steps"] if s["tier"] >= 5 and s["ok"]} >= {
        ("backup01", "ssh"), ("mail01", "ssh"), ("mnxfer01", "ssh"),
    }  # fmt: skip
    assert len(run["sites"]) == 30 and all(site["ok"] for site in run["sites"])
    report = next(tmp_path.glob("startup-*.md")).read_text(encoding="utf-8")
    assert "結果: 完了" in report and "LDAPS バインド" in report and "疎通 30 / 30 拠点" in report


def test_ups_on_battery_or_unreachable_aborts_before_any_host_is_touched(
    restore_lab, restore_upses, tmp_path
):
    subprocess.run(DRIVE + ["ups01", "on_battery"], capture_output=True, text=True, timeout=60, check=True)
    inventory = lab_inventory_with(tmp_path, "ups04", jichitai_ups_port=1169)  # nothing listens there
    result = playbook("outage_shutdown.yml", tmp_path, "-e", "outage_precheck_timeout=2", inventory=inventory)
    assert result.returncode != 0
    verdict = said(result)
    assert "outage pre-checks failed, nothing was shut down: ups01 ups: UPS ups01: on_battery" in verdict
    assert "ups04 ups: cannot read UPS ups04" in verdict
    assert "ups02 ups" not in verdict and "ad01 ldaps" not in verdict  # only the bad ones are named
    assert "TASK [outage_shutdown" not in result.stdout
    assert all(is_on(h) for h in STAND_INS)
