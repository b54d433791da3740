"""RADIUS service of the servers named with ``--radius``: one Access-Request with the probe account per
scrape, through the project's RADIUS probe (``plugins/module_utils/radius/probe.py``), as
``jichitai_radius_up{target}`` (1 on Access-Accept) and ``jichitai_radius_response_seconds{target}``.
The shared secret and the probe account come from files (mode 0600), never from a command line or URL."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from . import module_utils

module_utils.enable()
from ansible.module_utils.radius.probe import OK, probe_server  # noqa: E402

DEFAULT_PORT = 1812


class RadiusError(Exception):
    pass


def _first_line(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\r\n")


def read_secret(path: str) -> str:
    """The shared secret: the first line of a 0600 file."""
    secret = _first_line(path)
    if not secret:
        raise RadiusError(f"{path}: expected the shared secret on the first line")
    return secret


def read_auth(path: str) -> tuple[str, str]:
    """``user:password`` of the probe account (first line of a 0600 file)."""
    user, sep, password = _first_line(path).partition(":")
    if not sep or not user or not password:
        raise RadiusError(f"{path}: expected one line user:password")
    return user, password


def parse_target(text: str) -> tuple[str, str, int]:
    """``NAME=HOST[:PORT]`` of ``--radius`` as (name, host, port)."""
    name, sep, endpoint = str(text).partition("=")
    if not sep or not name or not endpoint:
        raise RadiusError(f"--radius {text!r}: expected NAME=HOST[:PORT]")
    host, colon, port = endpoint.rpartition(":") if ":" in endpoint else (endpoint, "", "")
    try:
        number = int(port) if colon else DEFAULT_PORT
    except ValueError as exc:
        raise RadiusError(f"--radius {text!r}: port {port!r} is not a number") from exc
    return name, host, number


def collect(name: str, target: dict, timeout: float = 5.0) -> list[GaugeMetricFamily]:
    """Probe one server; a server that does not accept is a sample of 0, not an error."""
    row = {"name": name, **target}
    # one attempt per scrape within the scrape's time; Prometheus repeats it at the next interval
    result = probe_server(row, timeout=timeout, retries=0)
    up = GaugeMetricFamily(
        "jichitai_radius_up", "1 when the probe account got Access-Accept", labels=["target"]
    )
    up.add_metric([name], 1.0 if result["state"] == OK else 0.0)
    seconds = GaugeMetricFamily(
        "jichitai_radius_response_seconds",
        "Seconds until the server answered the Access-Request",
        labels=["target"],
    )
    if result["response_ms"] is not None:
        seconds.add_metric([name], result["response_ms"] / 1000)
    return [up, seconds]
