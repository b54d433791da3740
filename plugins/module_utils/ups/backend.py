# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open the right protocol client for a UPS and read it into the common model (ups_common)."""

from ansible.module_utils.ups.common import DEFAULT_PORTS, status_from_nut, status_from_snmp
from ansible.module_utils.ups.nut import NutClient, NutError
from ansible.module_utils.ups.snmp import OIDS, SnmpUpsClient, SnmpUpsError

UpsError = (NutError, SnmpUpsError)
TIMEOUT_MAX = 60.0  # seconds one request to a UPS may take

STATUS_OBJECTS = [
    "manufacturer", "model", "battery_status", "minutes_remaining", "charge", "input_voltage",
    "output_source", "output_load", "alarms_present", "shutdown_after_delay", "startup_after_delay",
    "auto_restart",
]


def check_params(params):
    """Problems with the connection options for the chosen backend (empty when fine)."""
    problems = []
    if params["backend"] == "nut" and not params.get("name"):
        problems.append("name (the UPS name known to upsd) is required with backend=nut")
    if params.get("port") is not None and not 1 <= params["port"] <= 65535:
        problems.append(f"port {params['port']} is out of range (1 to 65535)")
    timeout = params.get("timeout")
    if timeout is not None and not 0 < timeout <= TIMEOUT_MAX:
        problems.append(f"timeout {timeout} is out of range (more than 0, at most {TIMEOUT_MAX:g} seconds)")
    return problems


def port(params):
    return params.get("port") or DEFAULT_PORTS[params["backend"]]


def nut_client(params):
    return NutClient(params["address"], port(params), timeout=params.get("timeout") or 5.0)


def snmp_client(params):
    return SnmpUpsClient(
        params["address"],
        port(params),
        community=params.get("community") or "public",
        write_community=params.get("write_community"),
        timeout=params.get("timeout") or 5.0,
        retries=1,
    )


def read_status(params):
    """The common status dict of one UPS, plus backend and name."""
    if params["backend"] == "nut":
        with nut_client(params) as client:
            status = status_from_nut(client.list_var(params["name"]))
    else:
        client = snmp_client(params)
        values = client.get(STATUS_OBJECTS)
        alarms = client.alarms() if values.get("alarms_present") else []
        status = status_from_snmp(values, alarms)
        status["alarms"] = alarms
    status["backend"] = params["backend"]
    status["name"] = params.get("name") or params["address"]
    return status


def snmp_control_values(client):
    return client.get(["shutdown_after_delay", "startup_after_delay", "auto_restart"])


__all__ = [
    "OIDS", "UpsError", "check_params", "nut_client", "read_status", "snmp_client", "snmp_control_values",
]
