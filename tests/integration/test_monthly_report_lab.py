"""The monthly report on the lab (PM-REPORT §3-2(4)①, SLA §4-5 table 3): the lab's Prometheus with a real
fault — the Kea peer dhcp02 stopped for a few scrapes — the incident handled through the CLI (open →
update → close, refused without cause and measures), the run recorded by a real ARA API server
(`ara-manage runserver`, the callback enabled as docs/records.md says), then playbooks/monthly_report.yml:
its availability per host equals a hand count over the raw samples Prometheus holds, a host below
99.9 % is a red SLA row naming the incident, the ARA run is listed with its labels and linked, and the
HTML, xlsx and PDF are written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import LAB_DIR, LAB_RUN, REPO, VENV_BIN

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PROMETHEUS = "http://127.0.0.1:9090"
METRIC = "jichitai:host_up"
TZ = dt.timezone(dt.timedelta(hours=9))
FAULT_HOST = "dhcp02"
BUCKET = 15  # seconds: the report counts buckets that ended; three scrapes each


def prom(path: str, **params) -> dict:
    url = f"{PROMETHEUS}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=20) as answer:  # the lab's Prometheus on loopback
        return json.loads(answer.read())["data"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kea(*args: str) -> None:
    result = subprocess.run(["bash", str(LAB_DIR / "components" / "30-kea.sh"), *args], capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


def cli(records: Path, *args: str) -> subprocess.CompletedProcess:
    command = [str(VENV_BIN / "jichitai-ops"), *args, "--records", str(records)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=REPO)


def wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1)


def host_up_zeros() -> int:
    result = prom(
        "/api/v1/query", query=f'count_over_time(({METRIC}{{jichitai_host="{FAULT_HOST}"}} == 0)[2m:])'
    )
    return int(float(result["result"][0]["value"][1])) if result["result"] else 0


@pytest.fixture(scope="module")
def month(lab, tmp_path_factory):
    """One fault, its incident, a recorded run: the report and what it was made from."""
    if not prom("/api/v1/query", query=METRIC)["result"]:
        from test_monitoring_lab import run as apply_monitoring_config

        apply_monitoring_config(tmp_path_factory.mktemp("monitoring"))
        assert wait_for(lambda: prom("/api/v1/query", query=METRIC)["result"], 60), f"no {METRIC} series"
    base = tmp_path_factory.mktemp("monthly")
    records = base / "records"
    lab_alerts = LAB_RUN / "monitoring" / "records" / "alerts"
    if lab_alerts.is_dir():
        shutil.copytree(lab_alerts, records / "alerts")

    ara_dir, port = base / "ara", free_port()
    env = os.environ | {"ARA_BASE_DIR": str(ara_dir), "ARA_API_CLIENT": "http",
                        "ARA_API_SERVER": f"http://127.0.0.1:{port}"}  # fmt: skip
    ara = VENV_BIN / "ara-manage"  # its database made and its API served while the fault runs
    serve = f"'{ara}' migrate >/dev/null && exec '{ara}' runserver 127.0.0.1:{port}"
    server = subprocess.Popen(
        ["bash", "-c", serve], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        fault_at = dt.datetime.now(TZ).replace(microsecond=0)
        kea("stop-peer", FAULT_HOST)
        try:
            assert wait_for(lambda: host_up_zeros() >= 3, 60), f"{FAULT_HOST} never recorded down"
        finally:
            kea("up")
        recovered_at = dt.datetime.now(TZ).replace(microsecond=0)

        opened = cli(records, "incident", "open", "--title", f"{FAULT_HOST} 停止",
                     "--detected-at", fault_at.isoformat(), "--where", "本庁 サーバ室",
                     "--what", "DHCP 待機系が応答しない", "--severity", "critical",
                     "--hosts", FAULT_HOST, "--at", fault_at.isoformat(), "--by", "山田")  # fmt: skip
        assert opened.returncode == 0, opened.stderr
        incident = opened.stdout.split()[0]
        refused = cli(records, "incident", "close", incident, "--at", recovered_at.isoformat())
        assert (
            refused.returncode == 3
            and "原因 (cause)" in refused.stderr
            and "再発防止策 (measures)" in refused.stderr
        )
        updated = cli(records, "incident", "update", incident, "--interim-action", "稼働系で配布継続",
                      "--recovered-at", recovered_at.isoformat(), "--note", "待機系を再起動")  # fmt: skip
        assert updated.returncode == 0, updated.stderr
        closed = cli(records, "incident", "close", incident, "--cause", "待機系プロセスの停止（訓練）",
                     "--measures", "監視で検知し再起動手順を整備",
                     "--at", recovered_at.isoformat())  # fmt: skip
        assert closed.returncode == 0, closed.stderr
        assert wait_for(lambda: _answers(port), 30), "ARA's API server did not start"
        ara_callbacks = subprocess.run([str(VENV_BIN / "python"), "-m", "ara.setup.callback_plugins"],
                                       capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        # the fault's last bucket has ended, so it counts
        time.sleep(max(0.0, (int(recovered_at.timestamp()) // BUCKET + 1) * BUCKET + 1 - time.time()))
        now = dt.datetime.now(TZ).replace(microsecond=0)
        report_dir = base / "report"
        run = subprocess.run(
            [str(VENV_BIN / "ansible-playbook"), str(REPO / "playbooks" / "monthly_report.yml"),
             "-e", json.dumps({"monthly_report_month": f"{now:%Y-%m}",
                               "monthly_report_records_dir": str(records),
                               "monthly_report_dir": str(report_dir),
                               "monthly_report_bucket_seconds": BUCKET,
                               "monthly_report_now": now.isoformat(),
                               "monthly_report_ara_api_server": f"http://127.0.0.1:{port}"})],
            env=env | {"ANSIBLE_CALLBACK_PLUGINS": f"{REPO / 'plugins' / 'callback'}:{ara_callbacks}",
                       "JICHITAI_WORKPLAN_DIR": str(base / "plans")},
            capture_output=True, text=True, cwd=REPO, timeout=180, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        folder = report_dir / f"{now:%Y-%m}"
        record = json.loads((folder / "monthly_report.json").read_text(encoding="utf-8"))
        playbooks = _get(port, "/api/v1/playbooks")["results"]
        command = [str(VENV_BIN / "jichitai-ops"), "runs", "--month", f"{now:%Y-%m}", "--format", "json",
                   "--ara-api-server", f"http://127.0.0.1:{port}"]  # fmt: skip
        listed = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
        assert listed.returncode == 0, listed.stderr
        runs = json.loads(listed.stdout)
    finally:
        server.terminate()
        server.wait(timeout=30)
    yield {
        "record": record,
        "folder": folder,
        "now": now,
        "incident": incident,
        "playbooks": playbooks,
        "runs": runs,
    }


def _get(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:  # ARA on loopback
        return json.loads(answer.read())


def _answers(port: int) -> bool:
    try:
        _get(port, "/api/v1/playbooks")
        return True
    except OSError:
        return False


def hand_count(month_start: dt.datetime, cutoff: dt.datetime) -> dict[str, float]:
    """Per host: samples up / samples in (month start, cutoff], from the raw samples Prometheus holds."""
    seconds = int((cutoff - month_start).total_seconds())
    result = prom("/api/v1/query", query=f"{METRIC}[{seconds}s]", time=int(cutoff.timestamp()))["result"]
    counts: dict[str, list[float]] = {}
    for series in result:
        acc = counts.setdefault(series["metric"]["jichitai_host"], [0.0, 0])
        for stamp, value in series["values"]:
            if month_start.timestamp() < float(stamp) <= cutoff.timestamp():
                acc[0] += float(value)
                acc[1] += 1
    return {host: 100 * up / n for host, (up, n) in counts.items() if n}


def test_availability_equals_a_hand_count_of_the_raw_samples(month):
    record, now = month["record"], month["now"]
    start = now.replace(day=1, hour=0, minute=0, second=0)
    cutoff = dt.datetime.fromtimestamp(int(now.timestamp()) // BUCKET * BUCKET, TZ)
    expected = hand_count(start, cutoff)
    hosts = {h["host"]: h for h in record["availability"]["hosts"]}
    assert FAULT_HOST in hosts and set(expected) == set(hosts)
    for host, percent in expected.items():
        assert hosts[host]["availability_24h"] == pytest.approx(percent, abs=2e-3), host
    assert hosts[FAULT_HOST]["availability_24h"] < 100


def test_a_host_below_the_goal_is_a_red_row_naming_its_incident(month):
    record, incident = month["record"], month["incident"]
    row = next(r for r in record["sla"] if r["item"] == "稼働率（24時間365日）")
    fault = next(h for h in record["availability"]["hosts"] if h["host"] == FAULT_HOST)
    if fault["availability_24h"] >= 99.9:
        pytest.skip(
            f"{FAULT_HOST} at {fault['availability_24h']} %: the lab's Prometheus holds too long a month"
        )
    assert (
        row["verdict"] == "breach" and f"host:{FAULT_HOST}" in row["sources"] and incident in row["incidents"]
    )
    html = (month["folder"] / "monthly_report.html").read_text(encoding="utf-8")
    assert 'class="v-breach"' in html and f'href="#{incident}"' in html


def test_the_run_is_recorded_in_ara_with_its_labels_and_listed(month):
    record, playbooks = month["record"], month["playbooks"]
    ours = [p for p in playbooks if p["path"].endswith("playbooks/monthly_report.yml")]
    assert ours, playbooks
    labels = {label["name"] for label in ours[0]["labels"]}
    assert {"operation:monthly_report", "clause:PM-REPORT §3-2(4)①"} <= labels
    assert ours[0]["id"] in {r["id"] for r in record["runs"]}
    listed = {r["id"]: r for r in month["runs"]}  # jichitai-ops runs
    assert listed[ours[0]["id"]]["operation"] == "monthly_report"
    assert listed[ours[0]["id"]]["clause"] == "PM-REPORT §3-2(4)①"
    assert {p.name for p in month["folder"].iterdir()} == {
        f"monthly_report.{x}" for x in ("md", "html", "xlsx", "json", "pdf")
    }
    assert (month["folder"] / "monthly_report.pdf").read_bytes()[:5] == b"%PDF-"
