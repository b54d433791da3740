"""Alert records: Alertmanager 0.25 webhook payloads (tests/fixtures/alertmanager/) posted to a real
receiver on a loopback port, the records it keeps, and the SLA figures derived from them."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
from pathlib import Path

import pytest

from jichitai_ops import cli
from jichitai_ops.alerts import receiver, sla
from jichitai_ops.alerts import records as rec
from jichitai_ops.workplan import model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alertmanager"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def server(tmp_path):
    records = tmp_path / "records"
    srv = receiver.make_server("127.0.0.1", 0, records)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv, records
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=10)


def post(srv, body, path: str = "/alerts") -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn = http.client.HTTPConnection(*srv.server_address, timeout=10)
    try:
        conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def record_files(records: Path) -> list[Path]:
    return sorted(p for p in (records / "alerts").rglob("*.json"))


def test_firing_then_resolved_is_one_record_with_the_three_times(server):
    srv, records = server
    before = dt.datetime.now(model.TZ)
    assert post(srv, fixture("firing"))[0] == 200
    after = dt.datetime.now(model.TZ)
    assert post(srv, fixture("resolved"))[0] == 200

    [path] = record_files(records)
    assert path.parent.name == "2027-04"
    assert path.name == "20270412T100203.456789-8c1f2e9a4b7d3c60.json"
    record = rec.load(path)
    assert set(record) == set(rec.KEYS)
    assert record["detected_at"] == "2027-04-12T10:02:03.456789+09:00"
    assert before <= model.parse_time(record["notified_at"]) <= after
    assert record["resolved_at"] == "2027-04-12T10:40:03+09:00"
    assert record["status"] == "resolved"
    assert record["notifications"] == 2
    assert record["alertname"] == "HostDown" and record["severity"] == "critical"
    assert record["labels"]["jichitai_host"] == "radius01"
    assert record["labels"]["jichitai_check"] == "down"
    assert record["annotations"]["summary_ja"] == "radius01 が応答しません。"
    assert record["generatorURL"].startswith("http://127.0.0.1:9090/graph?")


def test_a_repeated_firing_notification_keeps_notified_at(server):
    srv, records = server
    assert post(srv, fixture("firing"))[0] == 200
    [path] = record_files(records)
    first = rec.load(path)
    assert post(srv, fixture("firing"))[0] == 200
    again = rec.load(path)
    assert again["notified_at"] == first["notified_at"]
    assert again["notifications"] == 2
    assert again["status"] == "firing" and again["resolved_at"] is None
    assert again["last_notified_at"] >= first["last_notified_at"]


def test_a_new_occurrence_of_the_same_alert_is_a_record_of_its_own(server):
    srv, records = server
    assert post(srv, fixture("firing"))[0] == 200
    later = fixture("firing")
    later["alerts"][0]["startsAt"] = "2027-04-12T03:00:00Z"
    assert post(srv, later)[0] == 200
    assert len(record_files(records)) == 2


def _bad(payload_change):
    payload = fixture("firing")
    payload_change(payload)
    return payload


MALFORMED = {
    "not JSON": b"{not json",
    "not UTF-8": b"\xff\xfe{}",
    "a list": [],
    "version 3": _bad(lambda p: p.update(version="3")),
    "no alerts": _bad(lambda p: p.pop("alerts")),
    "bad startsAt": _bad(lambda p: p["alerts"][0].update(startsAt="yesterday")),
    "status": _bad(lambda p: p["alerts"][0].update(status="pending")),
    "path in fingerprint": _bad(lambda p: p["alerts"][0].update(fingerprint="../../etc")),
    "label not a string": _bad(lambda p: p["alerts"][0]["labels"].update(severity=3)),
    # one good alert beside a bad one: nothing of the payload is written
    "one bad of two": _bad(lambda p: p["alerts"].append(dict(p["alerts"][0], startsAt=None))),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_is_refused_with_400_and_writes_nothing(server, body):
    srv, records = server
    status, answer = post(srv, body)
    assert status == 400
    assert answer["message"]
    assert record_files(records) == []
    assert post(srv, fixture("firing"))[0] == 200  # and the receiver still serves


def test_other_paths_and_methods(server):
    srv, _ = server
    assert post(srv, fixture("firing"), path="/")[0] == 404
    conn = http.client.HTTPConnection(*srv.server_address, timeout=10)
    conn.request("GET", "/-/healthy")
    assert conn.getresponse().status == 200
    conn.close()


def test_sla_one_within_and_one_breach(server, capsys):
    srv, records = server
    recent = fixture("firing")
    detected = dt.datetime.now(model.TZ) - dt.timedelta(minutes=2)
    recent["alerts"][0]["startsAt"] = detected.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    assert post(srv, recent)[0] == 200
    assert post(srv, fixture("firing_old"))[0] == 200
    found, problems = rec.list_records(records)
    assert problems == []
    old, new = found  # oldest detection first
    assert sla.notification(new)["within_limit"] is True
    assert sla.notification(new)["verdict_ja"] == "30分以内"
    assert sla.notification(old)["verdict"] == "late"
    assert sla.notification(old)["minutes_to_notify"] > 30

    this_month = f"{detected:%Y-%m}"
    assert (
        cli.main(["alerts", "sla", "--records", str(records), "--month", this_month, "--format", "json"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["count"], report["within_limit"], report["breaches"]) == (1, 1, 0)
    [host] = report["availability"]
    assert host["jichitai_host"] == "radius01" and host["meets_goal"] is True

    assert cli.main(["alerts", "sla", "--records", str(records), "--month", "2025-11"]) == 6
    out = capsys.readouterr().out
    assert "超過 1 件" in out and "SLA違反あり" in out and "ups01" in out


def test_list_table_and_json(server, capsys):
    srv, records = server
    post(srv, fixture("firing"))
    post(srv, fixture("firing_old"))
    assert cli.main(["alerts", "list", "--records", str(records), "--month", "2027-04"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:3] == ["検知日時", "通知日時", "復旧日時"]
    assert "radius01" in out and "ups01" not in out
    assert cli.main(["alerts", "list", "--records", str(records), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["alertname"] for r in listed] == ["UpsOnBattery", "HostDown"]


def test_an_unreadable_record_is_named_and_fails_the_listing(server, capsys):
    srv, records = server
    post(srv, fixture("firing"))
    (records / "alerts" / "2027-04" / "20270401T000000.000000-ab.json").write_text("{}", encoding="utf-8")
    assert cli.main(["alerts", "list", "--records", str(records)]) == 1
    assert "missing schema" in capsys.readouterr().err


def down(host: str, start: str, end: str | None, check: str = "down") -> dict:
    detected = model.iso(model.parse_time(start))
    return {
        "fingerprint": "0123456789abcdef",
        "alertname": "HostDown",
        "severity": "critical",
        "labels": {"jichitai_host": host, "jichitai_check": check},
        "detected_at": detected,
        "notified_at": detected,
        "resolved_at": model.iso(model.parse_time(end)) if end else None,
    }


def test_availability_counts_overlaps_once_and_clips_to_the_month():
    records = [
        down("ad01", "2027-03-31T23:30", "2027-04-01T00:30"),  # 30 min in April
        down("ad01", "2027-04-10T10:00", "2027-04-10T10:20"),
        down("ad01", "2027-04-10T10:10", "2027-04-10T10:30"),  # overlaps: 30 min together
        down("kea01", "2027-04-20T00:00", None),  # still down: counted up to now
        down("ad01", "2027-04-02T00:00", "2027-04-03T00:00", check="disk"),  # not an outage
    ]
    rows = sla.availability(records, "2027-04", now=model.parse_time("2027-04-20T00:40"))
    by_host = {r["jichitai_host"]: r for r in rows}
    assert set(by_host) == {"ad01", "kea01"}
    # 99.9 % of a 30-day month leaves 43.2 minutes
    assert by_host["ad01"]["month_minutes"] == 30 * 24 * 60
    assert by_host["ad01"]["down_minutes"] == 60
    assert by_host["ad01"]["availability_percent"] == 99.8611
    assert by_host["ad01"]["meets_goal"] is False
    assert by_host["kea01"]["down_minutes"] == 40
    assert by_host["kea01"]["meets_goal"] is True
    report = sla.month_report(records, "2027-04", now=model.parse_time("2027-04-20T00:40"))
    assert report["hosts_below_goal"] == ["ad01"] and report["breach"] is True
