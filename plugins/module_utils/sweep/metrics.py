# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep as Prometheus textfile-collector metrics, written atomically (the node exporter must
never read half a file)."""

from __future__ import annotations

import os
import re
import tempfile

from ansible.module_utils.sweep.states import CRITICAL, OK, WARNING

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
UP = {OK: 1, WARNING: 1, CRITICAL: 0}  # UNKNOWN: not measured, so no up sample

HELP = {
    "jichitai_sweep_up": ("gauge", "1 when the check answered (OK, WARNING), 0 when down (CRITICAL)."),
    "jichitai_sweep_state": ("gauge", "State of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."),
    "jichitai_sweep_latency_seconds": ("gauge", "Time of the check's successful attempt."),
    "jichitai_sweep_cert_expiry_days": ("gauge", "Days until the TLS certificate's notAfter."),
    "jichitai_sweep_duration_seconds": ("gauge", "Wall time of the whole sweep."),
}


def escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, labels: dict, value) -> str:
    if not METRIC_NAME.match(name):
        raise ValueError(f"invalid metric name {name!r}")
    for key in labels:
        if not LABEL_NAME.match(key) or key.startswith("__"):
            raise ValueError(f"invalid label name {key!r}")
    text = ",".join(f'{key}="{escape(value)}"' for key, value in labels.items())
    return f"{name}{{{text}}} {value}" if text else f"{name} {value}"


def render(report: dict) -> str:
    lines = {name: [] for name in HELP}
    for target in report["targets"]:
        for check in target["checks"]:
            labels = {"target": target["name"], "check": check["type"],
                      "port": "" if check["port"] is None else check["port"], "address": check["address"]}
            if check["state"] in UP:
                lines["jichitai_sweep_up"].append(sample("jichitai_sweep_up", labels, UP[check["state"]]))
            lines["jichitai_sweep_state"].append(sample("jichitai_sweep_state", labels, check["state_code"]))
            if check["latency_ms"] is not None:
                seconds = f"{check['latency_ms'] / 1000.0:.6f}"
                lines["jichitai_sweep_latency_seconds"].append(
                    sample("jichitai_sweep_latency_seconds", labels, seconds))
            if check.get("cert_days_left") is not None:
                lines["jichitai_sweep_cert_expiry_days"].append(
                    sample("jichitai_sweep_cert_expiry_days", labels, check["cert_days_left"]))
    lines["jichitai_sweep_duration_seconds"].append(
        sample("jichitai_sweep_duration_seconds", {}, report["duration_seconds"]))
    out = []
    for name, (kind, text) in HELP.items():
        if lines[name]:
            out += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *lines[name]]
    return "\n".join(out) + "\n"


def write_atomically(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".sweep-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
