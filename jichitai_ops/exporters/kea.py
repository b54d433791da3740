"""Address-pool use of a Kea DHCPv4 server, read through its Control Agent (``config-get`` for the
subnets, ``statistic-get-all`` for the counters), in the metric names of mayflower/kea-exporter:
``kea_dhcp4_addresses_assigned_total`` and ``kea_dhcp4_addresses_total``, labelled ``subnet`` (prefix)
and ``subnet_id``. The Control Agent wants HTTP basic auth; the credentials come from a file."""

from __future__ import annotations

import base64
import json
import re
import urllib.request

from prometheus_client.core import GaugeMetricFamily

STAT = re.compile(r"^subnet\[(\d+)\]\.(assigned-addresses|total-addresses)$")


class KeaError(Exception):
    pass


def read_auth(path: str) -> str:
    """``user:password`` (first line of a 0600 file) as a basic-auth header value."""
    with open(path, encoding="utf-8") as handle:
        pair = handle.readline().strip()
    if ":" not in pair:
        raise KeaError(f"{path}: expected one line user:password")
    return "Basic " + base64.b64encode(pair.encode()).decode()


def call(url: str, auth: str | None, command: str, timeout: float = 5.0) -> dict:
    body = json.dumps({"command": command, "service": ["dhcp4"]}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": auth} if auth else {})}
    request = urllib.request.Request(url, body, headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - configured URLs only
            data = json.loads(answer.read())
    except (OSError, ValueError) as exc:
        raise KeaError(f"{url} {command}: {exc}") from exc
    first = data[0] if isinstance(data, list) and data else data
    if not isinstance(first, dict) or first.get("result") != 0:
        raise KeaError(f"{url} {command}: {first!r:.200}")
    return first.get("arguments") or {}


def pool_families(config: dict, stats: dict) -> list[GaugeMetricFamily]:
    prefixes = {str(s.get("id")): s.get("subnet", "") for s in config.get("Dhcp4", {}).get("subnet4", [])}
    assigned = GaugeMetricFamily(
        "kea_dhcp4_addresses_assigned_total", "Addresses leased in the subnet", labels=["subnet", "subnet_id"]
    )
    total = GaugeMetricFamily(
        "kea_dhcp4_addresses_total", "Addresses in the subnet's pools", labels=["subnet", "subnet_id"]
    )
    for name, samples in sorted(stats.items()):
        found = STAT.match(name)
        if not found or not samples:
            continue
        subnet_id, kind = found.groups()
        family = assigned if kind == "assigned-addresses" else total
        family.add_metric([prefixes.get(subnet_id, ""), subnet_id], float(samples[0][0]))
    return [assigned, total]


def collect_pools(url: str, auth: str | None, timeout: float = 5.0) -> list[GaugeMetricFamily]:
    return pool_families(
        call(url, auth, "config-get", timeout), call(url, auth, "statistic-get-all", timeout)
    )
