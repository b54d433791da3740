"""The processing pipeline of the transfer stand-in: a real ClamAV scan (clamd over its Unix socket,
INSTREAM), then, under the `sanitize` rule, content disarm (cdr.py). It returns the result in the
shape of MetaDefender Core's GET /file/{data_id} answer (the fields this lab's clients read)."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
import uuid
from dataclasses import dataclass

import cdr

CHUNK = 1 << 16


class EngineDown(Exception):
    """clamd does not answer: the file stays where it is."""


def clamd_command(sock_path: str, command: bytes, timeout: float = 5.0) -> bytes:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(sock_path)
            s.sendall(b"z" + command + b"\0")
            return _read_reply(s)
    except OSError as exc:
        raise EngineDown(f"clamd ({sock_path}): {exc}") from exc


def clamd_ok(sock_path: str) -> bool:
    try:
        return clamd_command(sock_path, b"PING", timeout=2.0) == b"PONG"
    except EngineDown:
        return False


def clamd_version(sock_path: str) -> str:
    return clamd_command(sock_path, b"VERSION").decode("utf-8", "replace")


def clamd_scan(sock_path: str, data: bytes) -> str | None:
    """The signature name when clamd finds a threat, None when the stream is clean."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(sock_path)
            s.sendall(b"zINSTREAM\0")
            for i in range(0, len(data), CHUNK):
                chunk = data[i : i + CHUNK]
                s.sendall(struct.pack("!L", len(chunk)) + chunk)
            s.sendall(struct.pack("!L", 0))
            reply = _read_reply(s).decode("utf-8", "replace")
    except OSError as exc:
        raise EngineDown(f"clamd ({sock_path}): {exc}") from exc
    # "stream: OK" | "stream: <name> FOUND" | "... ERROR"
    status = reply.split(":", 1)[-1].strip()
    if status == "OK":
        return None
    if status.endswith(" FOUND"):
        return status[: -len(" FOUND")]
    raise EngineDown(f"clamd: {reply}")


def _read_reply(s: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\0"):
        part = s.recv(4096)
        if not part:
            break
        buf += part
    return buf.rstrip(b"\0")


@dataclass
class Result:
    report: dict
    data: bytes | None  # what GET /file/converted returns: None when blocked
    name: str


def new_data_id() -> str:
    return uuid.uuid4().hex


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def processing_report(data_id: str, name: str, size: int, profile: str) -> dict:
    """The answer while a file waits for the engines."""
    return {
        "data_id": data_id,
        "file_info": {"display_name": name, "file_size": size, "sha256": "", "file_type_description": ""},
        "scan_results": {
            "scan_all_result_a": "In Progress",
            "scan_all_result_i": 255,
            "progress_percentage": 0,
            "scan_details": {},
        },
        "process_info": {
            "progress_percentage": 0,
            "result": "Processing",
            "blocked_reason": "",
            "profile": profile,
            "post_processing": {},
        },
    }


def process(data_id: str, name: str, data: bytes, rule: str, clamd_sock: str) -> Result:
    """Scan, then sanitise under rule `sanitize`. Raises EngineDown when clamd does not answer."""
    started = time.monotonic()
    threat = clamd_scan(clamd_sock, data)
    scan_ms = int((time.monotonic() - started) * 1000)
    kind = cdr.file_kind(data)
    outcome = cdr.Outcome(kind, data, name)
    blocked = ""
    if threat:
        blocked = "Infected"
    elif rule == "sanitize":
        outcome = cdr.sanitise(name, data)
        blocked = outcome.blocked
    post = {
        "actions_ran": "Sanitized" if outcome.sanitised else "",
        "actions_failed": "Sanitization failed" if outcome.blocked and not threat else "",
        "converted_destination": outcome.name if outcome.sanitised else "",
        "converted_to": outcome.converted_to,
        "copy_move_destination": "",
    }
    if outcome.removed:
        post["sanitization_details"] = {
            "description": "Sanitization failed." if outcome.blocked else "Sanitized successfully.",
            "details": outcome.removed,
        }
    report = {
        "data_id": data_id,
        "file_info": {
            "display_name": name,
            "file_size": len(data),
            "sha256": hashlib.sha256(data).hexdigest().upper(),
            "file_type_description": cdr.TYPE_DESC[kind],
            "upload_timestamp": iso_now(),
        },
        "scan_results": {
            "scan_all_result_a": "Infected" if threat else "No Threat Detected",
            "scan_all_result_i": 1 if threat else 0,
            "progress_percentage": 100,
            "total_avs": 1,
            "total_detected_avs": 1 if threat else 0,
            "scan_details": {
                "ClamAV": {
                    "scan_result_i": 1 if threat else 0,
                    "threat_found": threat or "",
                    "scan_time": scan_ms,
                    "def_time": "",
                }
            },
        },
        "process_info": {
            "progress_percentage": 100,
            "result": "Blocked" if blocked else "Allowed",
            "blocked_reason": blocked,
            "profile": rule,
            "post_processing": post,
        },
    }
    if rule == "sanitize":
        report["sanitized"] = {
            "data_id": data_id,
            "file_path": f"/file/converted/{data_id}" if outcome.sanitised and not blocked else "",
            "progress_percentage": 100,
            "result": "Allowed"
            if outcome.sanitised and not blocked
            else ("Failed" if blocked else "Skipped"),
        }
        if outcome.sanitised and not blocked:
            report["sanitized"]["file_name"] = outcome.name
    return Result(report, None if blocked else outcome.data, outcome.name)
