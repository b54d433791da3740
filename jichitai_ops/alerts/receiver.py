"""The alert receiver: Alertmanager's webhook (payload version 4) on POST /alerts, one record per alert
occurrence (records.py). Alertmanager sends the same notification as mail to the operations desk; the
moment it reaches us is the moment the desk was notified.

A payload is checked whole before anything is written: a malformed one gets 400 with the reason and
leaves every record as it was. GET /-/healthy answers 200 for the lab's readiness check.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from jichitai_ops.workplan import model

from . import records as rec

PATH = "/alerts"
MAX_BODY = 8 * 1024 * 1024  # Alertmanager's default max_alerts is unlimited; a group this big is a fault


class PayloadError(ValueError):
    pass


def _fingerprint(alert: dict) -> str:
    """Alertmanager 0.25 always sends one; a sender that does not gets a stable one from the labels."""
    given = alert.get("fingerprint")
    if given is None or given == "":
        return hashlib.sha256(model.canonical_json(alert["labels"])).hexdigest()[:16]
    if not isinstance(given, str) or not rec.FINGERPRINT_RE.match(given):
        raise PayloadError(f"fingerprint: not lower-case hex: {given!r}")
    return given


def check_payload(payload) -> list[dict]:
    """The payload's alerts, each with its parsed times, or PayloadError naming every fault."""
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    if str(payload.get("version")) != "4":
        raise PayloadError(f"version {payload.get('version')!r}: only Alertmanager's webhook version 4")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts: not a list")
    checked, faults = [], []
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        try:
            if not isinstance(alert, dict):
                raise PayloadError("not an object")
            if alert.get("status") not in rec.STATUSES:
                raise PayloadError(f"status {alert.get('status')!r} is not firing or resolved")
            for field in ("labels", "annotations"):
                value = alert.get(field, {})
                if not isinstance(value, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()
                ):
                    raise PayloadError(f"{field}: not an object of strings")
            if not isinstance(alert.get("generatorURL", ""), str):
                raise PayloadError("generatorURL: not a string")
            detected = rec.parse_am_time(alert.get("startsAt"), "startsAt")
            if detected is None:
                raise PayloadError("startsAt: zero time")
            ended = rec.parse_am_time(alert.get("endsAt", "0001-01-01T00:00:00Z"), "endsAt")
            checked.append(
                alert
                | {
                    "labels": alert.get("labels", {}),
                    "fingerprint": _fingerprint(alert),
                    "detected": detected,
                    "ended": ended,
                }
            )
        except (PayloadError, rec.RecordError) as exc:
            faults.append(f"{where}: {exc}")
    if faults:
        raise PayloadError("; ".join(faults))
    return checked


class Store:
    """The records folder; one writer at a time (threads of this server, and any other process)."""

    def __init__(self, records: str | Path):
        self.records = Path(records)
        self._lock = threading.Lock()
        rec.alerts_dir(self.records).mkdir(parents=True, exist_ok=True)

    def apply(self, alerts: list[dict], received: dt.datetime) -> list[Path]:
        written, records = [], []
        with self._lock, open(rec.alerts_dir(self.records) / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for alert in alerts:
                path = rec.record_path(self.records, alert["fingerprint"], alert["detected"])
                current = rec.load(path) if path.exists() else None
                record = rec.merge(current, alert, received)
                rec.write(path, record)
                written.append(path)
                records.append(record)
        self.open_incidents(records, received)
        return written

    def open_incidents(self, records: list[dict], received: dt.datetime) -> None:
        """An incident for every critical alert that fires without one (SEC-INC: analysis starts at
        once); the alert record stays written when the register cannot be (the error is logged)."""
        from jichitai_ops.records import registers

        for record in records:
            try:
                opened = registers.open_from_alert(self.records, record, received)
            except (OSError, registers.RegisterError) as exc:
                sys.stderr.write(f"cannot open the incident for {record['fingerprint']}: {exc}\n")
                continue
            if opened:
                ref = registers.alert_ref(record)
                sys.stderr.write(f"incident {opened['id']} ({opened['status']}) for alert {ref}\n")


class Handler(BaseHTTPRequestHandler):
    server_version = "jichitai-ops-alerts"
    timeout = 30  # a sender that stops mid-body does not hold a thread for ever
    store: Store  # set on the class made by make_server

    def _answer(self, code: int, message: str) -> None:
        body = (json.dumps({"status": code, "message": message}, ensure_ascii=False) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/-/healthy":
            self._answer(200, "ok")
        elif self.path == PATH:
            self._answer(405, "POST Alertmanager's webhook here")
        else:
            self._answer(404, f"no such path: {self.path}")

    def do_POST(self):  # noqa: N802
        received = dt.datetime.now(model.TZ)
        if self.path != PATH:
            self._answer(404, f"no such path: {self.path} (POST {PATH})")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(411, "Content-Length required")
            return
        if length < 0 or length > MAX_BODY:
            self._answer(413, f"body larger than {MAX_BODY} bytes")
            return
        body = self.rfile.read(length)
        try:
            alerts = check_payload(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._answer(400, f"not JSON: {exc}")
            return
        except PayloadError as exc:
            self._answer(400, f"not an Alertmanager webhook payload: {exc}")
            return
        try:
            written = self.store.apply(alerts, received)
        except (OSError, rec.RecordError) as exc:
            # 5xx: Alertmanager retries the notification
            self.log_error("cannot write the records: %s", exc)
            self._answer(500, f"cannot write the records: {exc}")
            return
        self._answer(200, f"{len(written)} record(s) updated")

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        sys.stderr.write(f"{model.iso(dt.datetime.now(model.TZ))} {self.address_string()} {format % args}\n")


def make_server(host: str, port: int, records: str | Path) -> ThreadingHTTPServer:
    handler = type("AlertHandler", (Handler,), {"store": Store(records)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve(host: str, port: int, records: str | Path) -> None:
    server = make_server(host, port, records)
    bound = server.server_address
    print(f"alert receiver on http://{bound[0]}:{bound[1]}{PATH}, records in {records}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
