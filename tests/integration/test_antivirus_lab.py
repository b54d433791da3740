"""The antivirus drill (REQUIREMENTS OPS-AV §6-3(5), SEC-INC) on the lab's real engine, ClamAV
(lab/components/72-antivirus.sh): a signature published at the lab's definitions source reaches the
endpoint stand-in av-ep01 through its freshclam (run by playbooks/av_definitions.yml) and the new version
is in the report; the EICAR test file, built here from its standard string, is missed before and found
after by the endpoint's clamd, whose VirusEvent raises the detection to mon01's Alertmanager, which hands
it to the alert receiver as an incident record (detection time, jichitai_check av_infection, SEC-INC);
definitions made stale are 異常 in the report, the metric shows their age past the policy, the live rule
JichitaiAvDefinitionsOld fires on that metric (promtool, the rule as monitoring_config rendered it) and
the check raises the alert. Everything is put back: the base signatures republished and fetched, the
alerts resolved, the metric file as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import yaml
from conftest import LAB_DIR, LAB_RUN, REPO, VENV_BIN
from test_alerts_lab import LAB_ALERTMANAGER, am_time, get_json, post_alerts, routes_to_desk_and_receiver
from test_monitoring_lab import run as apply_monitoring_config

pytestmark = pytest.mark.lab

COMPONENT = LAB_DIR / "components" / "72-antivirus.sh"
AV_RUN = LAB_RUN / "antivirus"
CONTAINER = AV_RUN / "endpoint" / "db" / "jichitai-lab.cud"
TEXTFILE = AV_RUN / "textfile" / "jichitai_av.prom"
RECORDS = LAB_RUN / "monitoring" / "records" / "alerts"
RULES = LAB_RUN / "monitoring" / "etc" / "rules" / "jichitai.yml"
ENDPOINT = "av-ep01"
MAX_AGE_HOURS = 48  # the policy's default, as the rule's av_definitions_hours
STALE_DAYS = 5
# the standard EICAR test string, in two halves so that no file of the repository holds it whole
EICAR = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*").encode()
STALE_ALERT = {"alertname": "JichitaiAvDefinitionsOld", "severity": "warning", "jichitai_host": ENDPOINT,
               "jichitai_check": "av_definitions"}  # fmt: skip


def component(*args: str) -> str:
    proc = subprocess.run(["bash", str(COMPONENT), *args], capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert proc.returncode == 0, f"72-antivirus.sh {' '.join(args)}: {proc.stderr[-2000:]}"
    return proc.stderr


def container_version() -> int:
    out = subprocess.run(
        ["sigtool", f"--info={CONTAINER}"], capture_output=True, text=True, check=True
    ).stdout
    return int(next(line for line in out.splitlines() if line.startswith("Version:")).split(":")[1])


def signatures() -> str:
    """The names of the signatures the endpoint's container holds."""
    return subprocess.run(["sigtool", f"--list-sigs={CONTAINER}"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def check(report_dir: Path) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "playbooks/av_definitions.yml",
         "-e", f"av_definitions_report_dir={report_dir}"],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False,
        env=os.environ | {"ANSIBLE_FORCE_COLOR": "0"},
    )  # fmt: skip
    records = sorted(report_dir.glob("2*/av_definitions.json"))
    assert records, f"no report (rc {proc.returncode}): {proc.stdout[-3000:]}{proc.stderr[-2000:]}"
    return proc, json.loads(records[-1].read_text(encoding="utf-8"))


def endpoint_row(record: dict) -> dict:
    return next(r for r in record["rows"] if r["host"] == ENDPOINT and r["source"] == "engine")


def scan(path: Path) -> str:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(AV_RUN / "clamd.sock"))
        sock.sendall(f"zSCAN {path}\0".encode())
        return sock.recv(4096).decode().rstrip("\0")


def wait_for(what: str, probe, seconds: float = 60):
    """Poll probe() until it returns something; the bound only ends a chain that never delivers."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: nothing after {seconds:.0f} s")
        time.sleep(0.5)


def incident(since: dt.datetime, **labels) -> dict | None:
    """The newest incident record detected since then with these labels, once notified."""
    for path in sorted(RECORDS.glob("*/*.json"), reverse=True):
        record = json.loads(path.read_text(encoding="utf-8"))
        if (
            all(record["labels"].get(k) == v for k, v in labels.items())
            and record["notified_at"]
            and dt.datetime.fromisoformat(record["detected_at"]) >= since
        ):
            return record
    return None


def active(labels: dict) -> list:
    query = "&".join("filter=" + urllib.parse.quote(f'{k}="{v}"') for k, v in labels.items())
    alerts = get_json(f"{LAB_ALERTMANAGER}/api/v2/alerts?active=true&silenced=false&{query}")
    return [a for a in alerts if a["status"]["state"] == "active"]


def rule_fires_on(metric_ts: int, checked_at: dt.datetime, tmp: Path) -> subprocess.CompletedProcess:
    """promtool runs the live rule JichitaiAvDefinitionsOld (its expr, for and labels as monitoring_config
    rendered them) over the metric's value as the check wrote it, 10 minutes after the check."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    rule = next(r for g in groups for r in g["rules"] if r.get("alert") == "JichitaiAvDefinitionsOld")
    rule = {k: v for k, v in rule.items() if k != "annotations"}
    (tmp / "rule.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "av", "rules": [rule]}]}), encoding="utf-8"
    )
    # promtool's clock starts at 0: shift the timestamp so that time() - value is the real age
    value = metric_ts - int(checked_at.timestamp())
    series = f'jichitai_av_definitions_updated_timestamp_seconds{{jichitai_host="{ENDPOINT}"}}'
    expected = {**rule["labels"], "jichitai_host": ENDPOINT}
    test = {
        "rule_files": ["rule.yml"],
        "evaluation_interval": "5s",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": series, "values": f"{value}+0x20"}],
            "alert_rule_test": [{"eval_time": "10m", "alertname": "JichitaiAvDefinitionsOld",
                                 "exp_alerts": [{"exp_labels": expected}]}],
        }],
    }  # fmt: skip
    (tmp / "test.yml").write_text(yaml.safe_dump(test), encoding="utf-8")
    return subprocess.run(["promtool", "test", "rules", "test.yml"], capture_output=True, text=True, cwd=tmp,
                          timeout=60, check=False)  # fmt: skip


@pytest.fixture
def routed(lab):
    """mon01's Alertmanager hands every alert to the receiver (the monitoring configuration applied)."""
    config = yaml.safe_load(get_json(f"{LAB_ALERTMANAGER}/api/v2/status")["config"]["original"])
    if not routes_to_desk_and_receiver(config):
        with tempfile.TemporaryDirectory() as tmp:
            apply_monitoring_config(Path(tmp))
    return LAB_ALERTMANAGER


def test_definitions_drill_eicar_to_incident_record_and_stale_definitions(lab, routed, tmp_path):
    run_id = uuid.uuid4().hex[:8]
    signature = f"Jichitai.Test.EICAR-{run_id}"
    metric_before = TEXTFILE.read_bytes() if TEXTFILE.exists() else None
    sample = tmp_path / "eicar.com"
    sample.write_bytes(EICAR)
    sigfile = tmp_path / "eicar-drill.hdb"
    sigfile.write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{signature}\n", encoding="ascii")
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    detection_time = None
    if "EICAR" in signatures():  # an earlier drill that did not finish: its baseline first
        component("publish")
        component("update")
    before = container_version()
    try:
        # 1. the endpoint's definitions miss EICAR until the source publishes a signature for it
        assert scan(sample).endswith(": OK")
        component("publish", str(sigfile))
        proc, record = check(tmp_path / "fresh")
        abnormal = [r["host"] for r in record["rows"] if r["state"] == "critical"]
        assert ENDPOINT not in abnormal and (proc.returncode == 0) == (not abnormal), proc.stdout[-3000:]
        row = endpoint_row(record)
        assert container_version() == before + 1
        assert row["version"] == f"jichitai-lab {before + 1}" and row["state_ja"] == "正常"
        assert row["age_hours"] < 1 and row["basis"] == "container" and row["update_ja"] == "新しい定義を取得"
        assert (
            "| 正常 | av-ep01 |"
            in (sorted((tmp_path / "fresh").glob("2*"))[-1] / "av_definitions.md").read_text()
        )

        # 2. EICAR is found (clamd reloads when freshclam tells it) and becomes an incident record
        found = wait_for("clamd finding EICAR", lambda: (lambda r: r if "FOUND" in r else None)(scan(sample)))
        assert f"{signature}.UNOFFICIAL FOUND" in found
        detection = wait_for("the endpoint's detection record", lambda: next(
            (json.loads(p.read_text()) for p in (AV_RUN / "detections").glob("*.json")
             if signature in p.read_text() and json.loads(p.read_text())["alert"]), None))  # fmt: skip
        assert detection["alert"]["sent"] is True and detection["file"] == str(sample)
        detection_time = dt.datetime.fromisoformat(detection["detected_at"])
        record_of = wait_for(
            "the incident record", lambda: incident(started, jichitai_virus=f"{signature}.UNOFFICIAL")
        )
        assert record_of["alertname"] == "JichitaiAvInfection" and record_of["severity"] == "critical"
        assert record_of["labels"]["jichitai_check"] == "av_infection"
        assert record_of["labels"]["jichitai_clause"] == "SEC-INC"
        assert record_of["labels"]["jichitai_host"] == ENDPOINT
        assert dt.datetime.fromisoformat(record_of["detected_at"]) == detection_time
        assert dt.datetime.fromisoformat(record_of["notified_at"]) >= detection_time
        assert ENDPOINT in record_of["annotations"]["summary_ja"]

        # 3. stale definitions: 異常 in the report, the metric past the limit, the rule fires, an alert
        component("make-stale", str(STALE_DAYS))
        proc, record = check(tmp_path / "stale")
        assert proc.returncode != 0 and "ウイルス定義ファイルに異常があります" in proc.stdout
        row = endpoint_row(record)
        assert row["state_ja"] == "異常" and row["age_hours"] > MAX_AGE_HOURS
        assert f"基準 {MAX_AGE_HOURS} 時間以内" in row["reason_ja"]
        md = (sorted((tmp_path / "stale").glob("2*"))[-1] / "av_definitions.md").read_text(encoding="utf-8")
        assert "総合判定: **異常**" in md and "【異常】av-ep01" in md
        checked_at = dt.datetime.fromisoformat(record["checked_at"])
        metric = next(
            line for line in TEXTFILE.read_text().splitlines() if f'jichitai_host="{ENDPOINT}"' in line
        )
        metric_ts = int(metric.rsplit(" ", 1)[1])
        assert checked_at.timestamp() - metric_ts > MAX_AGE_HOURS * 3600
        fired = rule_fires_on(metric_ts, checked_at, tmp_path)
        assert fired.returncode == 0, fired.stdout + fired.stderr
        assert active(STALE_ALERT)
        stale = wait_for("the stale definitions' record", lambda: incident(started, **STALE_ALERT))
        assert "5.0 日" in stale["annotations"]["summary_ja"]
    finally:
        component("publish")
        component("update")
        if metric_before is None:
            TEXTFILE.unlink(missing_ok=True)
        else:
            TEXTFILE.write_bytes(metric_before)
        # the alerts this drill raised end here (only those: a resolution never fired would be a record)
        now = am_time(dt.datetime.now(dt.UTC))
        ends = [{"labels": STALE_ALERT, "annotations": {}, "endsAt": now}] if active(STALE_ALERT) else []
        if detection_time:
            labels = {"alertname": "JichitaiAvInfection", "severity": "critical", "jichitai_host": ENDPOINT,
                      "jichitai_check": "av_infection", "jichitai_clause": "SEC-INC",
                      "jichitai_virus": f"{signature}.UNOFFICIAL"}  # fmt: skip
            ends.append(
                {"labels": labels, "annotations": {}, "startsAt": am_time(detection_time), "endsAt": now}
            )
        if ends:
            post_alerts(LAB_ALERTMANAGER, ends)
    assert container_version() == before + 2  # the base signatures again, fresh
