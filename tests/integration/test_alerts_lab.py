"""The alert chain on the lab's real engines: an alert posted to Alertmanager's API v2 reaches the
operations desk's mailbox (aiosmtpd, Maildir) as mail and the alert receiver (`jichitai-ops alerts
serve`, 127.0.0.1:9095) as a record with detected_at and notified_at; its resolution sets resolved_at.

Two Alertmanagers: the lab's mon01 (127.0.0.1:9093) with the configuration playbooks/monitoring_config.yml
writes, and one this test starts on a free port with a configuration of its own that routes to the same
mailbox and receiver, so the chain is proven even before the role has configured mon01.
"""

from __future__ import annotations

import datetime as dt
import email.header
import email.policy
import json
import mailbox
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from jichitai_ops.alerts import records as rec
from jichitai_ops.workplan import model

pytestmark = pytest.mark.lab

LAB_ALERTMANAGER = "http://127.0.0.1:9093"
RECEIVER_URL = "http://127.0.0.1:9095/alerts"
SMTP = "127.0.0.1:2525"
ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager"


def monitoring_dir(lab) -> Path:
    return lab.run_dir / "monitoring"


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def post_alerts(base: str, alerts: list[dict]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v2/alerts",
        data=json.dumps(alerts).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def wait_for(what: str, check, timeout: float):
    """Poll check() until it returns something; the timeout only bounds a chain that never delivers."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: nothing after {timeout:.0f} s")
        time.sleep(0.5)


def am_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(text, default: float) -> float:
    """Alertmanager's 30s / 5m / 1h durations in seconds."""
    if not text:
        return default
    total, number = 0.0, ""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    rest = str(text)
    while rest:
        if rest[0].isdigit():
            number += rest[0]
            rest = rest[1:]
            continue
        unit = "ms" if rest.startswith("ms") else rest[0]
        total += int(number) * units[unit]
        number, rest = "", rest[len(unit) :]
    return total


def routes_to_desk_and_receiver(config: dict) -> bool:
    receivers = config.get("receivers") or []
    hooks = any(
        hook.get("url", "").rstrip("/") == RECEIVER_URL
        for r in receivers
        for hook in r.get("webhook_configs") or []
    )
    mail = any(
        (m.get("smarthost") or config.get("global", {}).get("smtp_smarthost")) == SMTP
        for r in receivers
        for m in r.get("email_configs") or []
    )
    return hooks and mail


def message_text(message) -> str:
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"] or "")))
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    parts = [part.get_content() for part in parsed.walk() if part.get_content_maintype() == "text"]
    return subject + "\n" + "\n".join(parts)


def mails_naming(box: Path, run_id: str) -> list[str]:
    texts = [message_text(m) for m in mailbox.Maildir(box, factory=None, create=False)]
    return [t for t in texts if run_id in t]


def record_of(records: Path, run_id: str) -> dict | None:
    for path in (records / "alerts").rglob("*.json"):
        record = rec.load(path)
        if record["labels"].get("lab_test_run") == run_id:
            return record
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_alertmanager(lab, tmp_path):
    """An Alertmanager of this test's own, routing every alert to the desk's mail and the receiver."""
    port = free_port()
    config = {
        "route": {
            "receiver": "desk",
            "group_by": ["alertname", "jichitai_host"],
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "desk",
                "email_configs": [
                    {
                        "to": "desk@jichitai.lab",
                        "from": "alertmanager@jichitai.lab",
                        "smarthost": SMTP,
                        "require_tls": False,
                        "send_resolved": True,
                    }
                ],
                "webhook_configs": [{"url": RECEIVER_URL, "send_resolved": True}],
            }
        ],
    }
    (tmp_path / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = (tmp_path / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [
            ALERTMANAGER_BIN,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def ready():
        if proc.poll() is not None:
            pytest.fail(f"alertmanager ended: {(tmp_path / 'alertmanager.log').read_text()}")
        try:
            return get_json(f"{base}/api/v2/status")
        except OSError:
            return None

    wait_for("own alertmanager", ready, 30)
    yield base, {"group_wait": 1, "group_interval": 2}
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture
def lab_alertmanager(lab):
    status = get_json(f"{LAB_ALERTMANAGER}/api/v2/status")
    config = yaml.safe_load(status["config"]["original"])
    if not routes_to_desk_and_receiver(config):
        pytest.skip(
            "mon01's Alertmanager does not route to the desk's mail and the alert receiver yet "
            "(lab/run/monitoring/etc/alertmanager.yml: apply playbooks/monitoring_config.yml)"
        )
    routes, pending = [], [config.get("route") or {}]
    while pending:  # the slowest route bounds the wait
        route = pending.pop()
        routes.append(route)
        pending += route.get("routes") or []
    timing = {
        "group_wait": max(duration(r.get("group_wait"), 30) for r in routes),
        "group_interval": max(duration(r.get("group_interval"), 300) for r in routes),
    }
    return LAB_ALERTMANAGER, timing


def _chain(lab, base: str, timing: dict) -> None:
    mon = monitoring_dir(lab)
    missing = [sub for sub in ("cur", "new", "tmp") if not (mon / "mailbox" / sub).is_dir()]
    if missing:
        # aiosmtpd's Mailbox handler makes the Maildir only when its folder is absent
        pytest.fail(
            f"the desk mailbox {mon / 'mailbox'} is not a Maildir (no {', '.join(missing)}/): "
            "lab/components/80-monitoring.sh must create mailbox/{cur,new,tmp}"
        )
    with urllib.request.urlopen(RECEIVER_URL.replace("/alerts", "/-/healthy"), timeout=10) as response:
        assert response.status == 200
    run_id = uuid.uuid4().hex[:12]
    detected = dt.datetime.now(model.TZ).replace(microsecond=0)
    alert = {
        "labels": {
            "alertname": "LabAlertChain",
            "severity": "warning",
            "jichitai_host": "mon01",
            "jichitai_check": "daily_check",
            "lab_test_run": run_id,
        },
        "annotations": {
            "summary_ja": "mon01 の試験用アラートです。",
            "action_ja": "対応は不要です（ラボの試験）。",
        },
        "startsAt": am_time(detected),
        "generatorURL": "http://127.0.0.1:9090/graph",
    }
    post_alerts(base, [alert])
    deliver = timing["group_wait"] + timing["group_interval"] + 60

    mails = wait_for("mail to the desk", lambda: mails_naming(mon / "mailbox", run_id), deliver)
    assert "mon01" in mails[0]
    record = wait_for("record of the firing alert", lambda: record_of(mon / "records", run_id), deliver)
    assert model.parse_time(record["detected_at"]) == detected
    assert model.parse_time(record["notified_at"]) >= detected
    assert record["status"] == "firing" and record["resolved_at"] is None
    assert record["labels"]["jichitai_host"] == "mon01"
    assert record["annotations"]["summary_ja"] == "mon01 の試験用アラートです。"

    ended = dt.datetime.now(model.TZ).replace(microsecond=0)
    post_alerts(base, [alert | {"endsAt": am_time(ended)}])

    def resolved():
        current = record_of(mon / "records", run_id)
        return current if current and current["status"] == "resolved" else None

    done = wait_for("record of the resolution", resolved, deliver)
    assert model.parse_time(done["resolved_at"]) == ended
    assert done["notified_at"] == record["notified_at"]
    assert done["detected_at"] == record["detected_at"]
    wait_for("mail of the resolution", lambda: len(mails_naming(mon / "mailbox", run_id)) >= 2, deliver)


def test_alert_chain_through_an_alertmanager_of_its_own(lab, own_alertmanager):
    _chain(lab, *own_alertmanager)


def test_alert_chain_through_mon01s_alertmanager(lab, lab_alertmanager):
    _chain(lab, *lab_alertmanager)
