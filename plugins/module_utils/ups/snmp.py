# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMP client for UPSes that implement the RFC 1628 UPS-MIB (SNMP v2c, pysnmp 7 asyncio).

Numeric OIDs only: no MIB compilation at run time, so it works on an offline controller.
"""

import asyncio
import warnings

try:
    with warnings.catch_warnings():
        # pysnmp imports pysmi, which warns about its own deprecations on import
        warnings.simplefilter("ignore")
        from pysnmp.hlapi.v3arch.asyncio import (
            CommunityData,
            ContextData,
            Integer32,
            ObjectIdentity,
            ObjectType,
            SnmpEngine,
            UdpTransportTarget,
            get_cmd,
            next_cmd,
            set_cmd,
        )
        from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject
    HAS_PYSNMP = True
    PYSNMP_IMPORT_ERROR = None
except ImportError as exc:  # reported by the modules through missing_required_lib
    HAS_PYSNMP = False
    PYSNMP_IMPORT_ERROR = exc

UPS_MIB = "1.3.6.1.2.1.33.1."
# name -> OID of the RFC 1628 objects this project reads or writes
OIDS = {
    "manufacturer": UPS_MIB + "1.1.0",  # upsIdentManufacturer
    "model": UPS_MIB + "1.2.0",  # upsIdentModel
    "ident_name": UPS_MIB + "1.5.0",  # upsIdentName
    "battery_status": UPS_MIB + "2.1.0",  # upsBatteryStatus: 1 unknown 2 normal 3 low 4 depleted
    "seconds_on_battery": UPS_MIB + "2.2.0",  # upsSecondsOnBattery
    "minutes_remaining": UPS_MIB + "2.3.0",  # upsEstimatedMinutesRemaining
    "charge": UPS_MIB + "2.4.0",  # upsEstimatedChargeRemaining (percent)
    "input_voltage": UPS_MIB + "3.3.1.3.1",  # upsInputVoltage, first input line (RMS volts)
    # upsOutputSource: 2 none 3 normal 4 bypass 5 battery 6 booster 7 reducer
    "output_source": UPS_MIB + "4.1.0",
    "output_load": UPS_MIB + "4.4.1.5.1",  # upsOutputPercentLoad, first output line
    "alarms_present": UPS_MIB + "6.1.0",  # upsAlarmsPresent
    "shutdown_type": UPS_MIB + "8.1.0",  # upsShutdownType: 1 output 2 system
    "shutdown_after_delay": UPS_MIB + "8.2.0",  # upsShutdownAfterDelay (s, -1 = no countdown)
    "startup_after_delay": UPS_MIB + "8.3.0",  # upsStartupAfterDelay (s, -1 = no countdown)
    "reboot_with_duration": UPS_MIB + "8.4.0",  # upsRebootWithDuration
    "auto_restart": UPS_MIB + "8.5.0",  # upsAutoRestart: 1 on 2 off
}
ALARM_DESCR_COLUMN = UPS_MIB + "6.2.1.2"  # upsAlarmDescr: the OID of each present well-known alarm
WELL_KNOWN_ALARMS = UPS_MIB + "6.3."
ALARMS = {
    "2": "on_battery",
    "3": "low_battery",
    "4": "depleted_battery",
    "9": "on_bypass",
    "22": "shutdown_pending",
    "23": "shutdown_imminent",
}


class SnmpUpsError(Exception):
    """An SNMP request failed; the message names the agent and what went wrong."""


def _python_value(value):
    if isinstance(value, (NoSuchObject, NoSuchInstance, EndOfMibView)):
        return None
    if value.__class__.__name__ in ("OctetString", "DisplayString"):
        return value.prettyPrint()
    if value.__class__.__name__ == "ObjectIdentifier":
        return str(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return value.prettyPrint()


class SnmpUpsClient:
    """Reads and writes RFC 1628 objects of one UPS agent."""

    def __init__(self, host, port=161, community="public", write_community=None, timeout=2.0, retries=1):
        if not HAS_PYSNMP:
            raise SnmpUpsError(f"pysnmp is not importable: {PYSNMP_IMPORT_ERROR}")
        self.host = host
        self.port = int(port)
        self.community = community
        self.write_community = write_community
        self.timeout = float(timeout)
        self.retries = int(retries)

    @property
    def endpoint(self):
        return f"udp {self.host}:{self.port}"

    async def _request(self, command, community, var_binds):
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create(
                (self.host, self.port), timeout=self.timeout, retries=self.retries
            )
            auth = CommunityData(community, mpModel=1)  # SNMP v2c
            return await command(engine, auth, target, ContextData(), *var_binds)
        finally:
            engine.close_dispatcher()

    def _run(self, command, community, var_binds, what):
        try:
            error_indication, error_status, error_index, binds = asyncio.run(
                self._request(command, community, var_binds)
            )
        except OSError as exc:
            raise SnmpUpsError(f"{what} on {self.endpoint} failed: {exc}") from exc
        if error_indication:
            hint = ""
            if "timeout" in str(error_indication).lower():
                hint = " (agent unreachable or community not accepted)"
            raise SnmpUpsError(f"{what} on {self.endpoint} failed: {error_indication}{hint}")
        if error_status:
            failed = ""
            if error_index and int(error_index) <= len(var_binds):
                failed = f" at {var_binds[int(error_index) - 1][0]}"
            status = error_status.prettyPrint()
            raise SnmpUpsError(f"{what} on {self.endpoint} refused by the agent: {status}{failed}")
        return binds

    def get(self, names):
        """{name: value} for names of OIDS (None when the agent has no such object)."""
        names = list(names)
        var_binds = [ObjectType(ObjectIdentity(OIDS[n])) for n in names]
        binds = self._run(get_cmd, self.community, var_binds, "SNMP GET")
        return {name: _python_value(value) for name, (_oid, value) in zip(names, binds, strict=True)}

    def set(self, values):
        """Write {name: integer} in one SET request with the write community."""
        if not self.write_community:
            raise SnmpUpsError(f"SNMP SET on {self.endpoint} needs a write community")
        var_binds = [(ObjectIdentity(OIDS[n]), Integer32(int(v))) for n, v in values.items()]
        var_binds = [ObjectType(oid, value) for oid, value in var_binds]
        self._run(set_cmd, self.write_community, var_binds, "SNMP SET")

    def alarms(self, limit=64):
        """Names (or OIDs) of the well-known alarms present in upsAlarmTable."""
        found = []
        oid = ALARM_DESCR_COLUMN
        for _step in range(limit):
            binds = self._run(next_cmd, self.community, [ObjectType(ObjectIdentity(oid))], "SNMP GETNEXT")
            name, value = binds[0]
            oid = str(name)
            if not oid.startswith(ALARM_DESCR_COLUMN + ".") or isinstance(value, EndOfMibView):
                break
            alarm = str(value)
            key = alarm[len(WELL_KNOWN_ALARMS):] if alarm.startswith(WELL_KNOWN_ALARMS) else None
            found.append(ALARMS.get(key, alarm))
        return found
