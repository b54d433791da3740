"""UPS metrics from NUT upsd, named as DRuggeri/nut_exporter names them, so the alert rules work with
that exporter in production and with this one in the lab.

- ``network_ups_tools_ups_status{ups, flag}``: 1 for each flag in ``ups.status`` (OL, OB, LB, ...), 0 for
  the other known flags;
- ``network_ups_tools_<variable>{ups}``: every numeric variable, dots as underscores
  (``battery.runtime`` -> ``network_ups_tools_battery_runtime`` in seconds, ``battery.charge`` in %);
- ``network_ups_tools_device_info{ups, model, mfr, serial, type} 1``.

``/ups_metrics?ups=NAME[&server=HOST:PORT]`` serves one UPS (nut_exporter's path); ``/metrics`` serves
every UPS of the default server. A UPS that cannot be read answers 502, so Prometheus records up=0.
Reading needs no NUT login.
"""

from __future__ import annotations

import re

from prometheus_client.core import GaugeMetricFamily

from . import module_utils

module_utils.enable()
from ansible.module_utils.ups.nut import NutClient, NutError  # noqa: E402

PREFIX = "network_ups_tools"
# the flags nut_exporter reports, each as 0 or 1 (ups.status is a space-separated subset of them)
STATUS_FLAGS = (
    "OL",
    "OB",
    "LB",
    "HB",
    "RB",
    "CHRG",
    "DISCHRG",
    "BYPASS",
    "CAL",
    "OFF",
    "OVER",
    "TRIM",
    "BOOST",
    "FSD",
)
INFO = ("device.model", "device.mfr", "device.serial", "device.type")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

__all__ = ["NutError", "collect_ups", "parse_server"]


def parse_server(text: str, default_port: int = 3493) -> tuple[str, int]:
    host, _, port = str(text).rpartition(":") if ":" in str(text) else (str(text), "", "")
    return host, int(port or default_port)


def metric_name(variable: str) -> str:
    return f"{PREFIX}_{re.sub(r'[^a-zA-Z0-9_]', '_', variable)}"


def families(ups: str, variables: dict[str, str]) -> list[GaugeMetricFamily]:
    """The metric families of one UPS from its LIST VAR answer."""
    status = GaugeMetricFamily(f"{PREFIX}_ups_status", "UPS status flag (ups.status)", labels=["ups", "flag"])
    flags = set(variables.get("ups.status", "").split())
    for flag in sorted(set(STATUS_FLAGS) | flags):
        status.add_metric([ups, flag], 1.0 if flag in flags else 0.0)
    info = GaugeMetricFamily(
        f"{PREFIX}_device_info", "UPS device information", labels=["ups", "model", "mfr", "serial", "type"]
    )
    info.add_metric([ups, *(variables.get(name, "") for name in INFO)], 1.0)
    out = [status, info]
    for variable, value in sorted(variables.items()):
        if NUMBER.match(value.strip()):
            family = GaugeMetricFamily(metric_name(variable), f"NUT variable {variable}", labels=["ups"])
            family.add_metric([ups], float(value))
            out.append(family)
    return out


def collect_ups(server: tuple[str, int], ups_names: list[str] | None, timeout: float = 5.0) -> list:
    """Every family of the named UPSes (all the server lists when none is named); NutError when one fails."""
    host, port = server
    with NutClient(host, port, timeout=timeout) as client:
        names = ups_names or sorted(client.list_ups())
        out = []
        for ups in names:
            out.extend(families(ups, client.list_var(ups)))
        return out
