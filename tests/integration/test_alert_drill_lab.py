"""The alert drill the contract asks for (§6-3(1) OPS-MON, SLA §4-5 table 3), on the lab's real engines:
with the monitoring configuration applied, four faults at once — the Samba AD DC stopped (ad01), one Kea
peer stopped (dhcp02), one RADIUS peer stopped (radius02), one UPS on battery (ups01) — each reaches the
operations desk's mailbox as a mail naming the host and the incident records as a firing record with
its detection and notification times; `jichitai-ops alerts sla` finds each notified within 30 minutes;
every fault restored, every one of those alerts is resolved. The faults run together, so the drill
waits once; each is restored in teardown whatever happens."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import LAB_DIR, LAB_RUN, REPO, VENV_BIN
from test_monitoring_lab import run as apply_monitoring_config

pytestmark = [pytest.mark.lab, pytest.mark.slow]

MON = LAB_RUN / "monitoring"
MAILDIR = MON / "mailbox"
RECORDS = MON / "records"
COMPONENTS = LAB_DIR / "components"
WAIT_SECONDS = 240  # lab: 5 s scrapes and evaluations, `for: 10s`, group_wait 2 s (critical 0 s)


def component(name: str, *args: str) -> None:
    result = subprocess.run(["bash", str(COMPONENTS / name), *args], capture_output=True, text=True,
                            timeout=300, check=False)  # fmt: skip
    assert result.returncode == 0, f"{name} {' '.join(args)}: {result.stderr[-2000:]}"


def drive_ups(state: str) -> None:
    result = subprocess.run([sys.executable, str(LAB_DIR / "nut" / "drive.py"), "ups01", state],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


# each fault: (host, how to cause it, how to restore it, the alert that must name the host or None for any)
FAULTS = {
    "ad01": (
        lambda: component("20-samba.sh", "down"),
        lambda: component("20-samba.sh", "up"),
        "JichitaiHostDown",
    ),
    "dhcp02": (
        lambda: component("30-kea.sh", "stop-peer", "dhcp02"),
        lambda: component("30-kea.sh", "up"),
        "JichitaiHostDown",  # its Control Agent stops answering (the partner only degrades the pair)
    ),
    "radius02": (
        lambda: component("75-radius.sh", "stop-peer", "radius02"),
        lambda: component("75-radius.sh", "start-peer", "radius02"),
        "JichitaiRadiusDown",
    ),
    "ups01": (lambda: drive_ups("on_battery"), lambda: drive_ups("online"), "JichitaiUpsOnBattery"),
}


def records_since(started: datetime) -> list[dict]:
    """The records of alert occurrences detected since the drill began (the receiver writes atomically)."""
    found = []
    for path in sorted((RECORDS / "alerts").glob("*/*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if datetime.fromisoformat(record["detected_at"]) >= started:
            found.append(record)
    return found


def drill_records(started: datetime) -> dict[str, list[dict]]:
    """{host: its drill records (of the wanted alert when the fault names one)}."""
    out: dict[str, list[dict]] = {}
    for record in records_since(started):
        host = record["labels"].get("jichitai_host")
        if host in FAULTS and FAULTS[host][2] in (None, record["alertname"]):
            out.setdefault(host, []).append(record)
    return out


def mails_since(started: datetime) -> list[str]:
    """Subject and body of every mail the desk received since the drill began."""
    texts = []
    for path in sorted((MAILDIR / "new").iterdir()) + sorted((MAILDIR / "cur").iterdir()):
        if path.stat().st_mtime < started.timestamp():
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        texts.append(f"{message['Subject']}\n{body.get_content() if body else ''}")
    return texts


def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(2)


def restore(drill: dict) -> list[str]:
    """Undo every fault still in place (each at most once); the failures, by host."""
    failed = []
    for host, (_, undo, _) in FAULTS.items():
        if host in drill["faulted"] and host not in drill["restored"]:
            try:
                undo()
                drill["restored"].add(host)
            except (AssertionError, OSError, subprocess.SubprocessError) as exc:
                failed.append(f"{host}: {exc}")
    return failed


@pytest.fixture(scope="module")
def drill(lab):
    with tempfile.TemporaryDirectory() as tmp:
        apply_monitoring_config(Path(tmp))
    state = {"faulted": set(), "restored": set(), "wall": time.monotonic()}
    # whole seconds: Prometheus's startsAt and the receiver's clock are compared with it
    state["started"] = datetime.now(UTC).replace(microsecond=0)
    try:
        for host, (cause, _, _) in FAULTS.items():
            state["faulted"].add(host)
            cause()
        yield state
    finally:
        restore(state)
        print(f"alert drill: {time.monotonic() - state['wall']:.0f} s wall time", file=sys.stderr)


def test_each_fault_reaches_the_desk_and_the_records(drill):
    started = drill["started"]

    def complete():
        records = drill_records(started)
        notified = {h for h, rs in records.items() if any(r["notified_at"] and r["detected_at"] for r in rs)}
        mails = mails_since(started)
        mailed = {h for h in FAULTS if any(h in text for text in mails)}
        return (notified, mailed) if notified == mailed == set(FAULTS) else None

    result = wait_for(complete, WAIT_SECONDS)
    records = drill_records(started)
    mails = mails_since(started)
    assert result, {
        "records": {
            h: [(r["alertname"], r["status"], r["notified_at"]) for r in rs] for h, rs in records.items()
        },
        "mailed": sorted(h for h in FAULTS if any(h in text for text in mails)),
    }
    firing = {h for h, rs in records.items() if any(r["status"] == "firing" for r in rs)}
    assert firing == set(FAULTS), records
    drill["records"] = records


def test_each_alert_was_notified_within_the_30_minute_limit(drill):
    records = drill.get("records") or pytest.fail("no drill records (the previous test failed)")
    months = {
        datetime.fromisoformat(r["detected_at"]).strftime("%Y-%m") for rs in records.values() for r in rs
    }
    verdicts = {}
    for month in sorted(months):
        proc = subprocess.run(
            [str(VENV_BIN / "jichitai-ops"), "alerts", "sla", "--records", str(RECORDS), "--month", month,
             "--format", "json"],
            capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
        )  # fmt: skip
        # 6: a breach somewhere in the month (other occurrences may lack notified_at); ours are checked below
        assert proc.returncode in (0, 6), proc.stderr
        report = json.loads(proc.stdout)
        assert report["report_limit_minutes"] == 30
        verdicts |= {(a["fingerprint"], a["detected_at"]): a for a in report["alerts"]}
    for host, rs in records.items():
        for record in rs:
            figure = verdicts[(record["fingerprint"], record["detected_at"])]
            assert figure["verdict"] == "ok", (host, figure)
            assert figure["minutes_to_notify"] <= 30, (host, figure)


def test_restoring_every_fault_resolves_its_alerts(drill):
    assert not restore(drill)
    started = drill["started"]

    def resolved():
        records = drill_records(started)
        pending = [(h, r["alertname"]) for h, rs in records.items() for r in rs if not r["resolved_at"]]
        return records if records and not pending else None

    assert wait_for(resolved, WAIT_SECONDS), {
        h: [(r["alertname"], r["status"], r["resolved_at"]) for r in rs]
        for h, rs in drill_records(started).items()
    }
