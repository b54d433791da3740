"""Drive the lab SNMP UPS (ups04) into a power state through the lab-only drive community.

  python lab/snmp/drive.py STATE      STATE: online | on_battery | low_battery | bypass

Speaks SNMP with pysnmp directly, not through the modules' UPS client, so that a bug in that
client cannot put the lab into the state it expects to read.
"""

import asyncio
import os
import sys
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pysnmp imports pysmi, which warns about its own deprecations
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        Integer32,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
        set_cmd,
    )

REPO = Path(__file__).resolve().parents[2]
LAB_RUN = Path(os.environ.get("LAB_RUN", REPO / "lab" / "run"))
AGENT = ("127.0.0.1", 1161)
READ_COMMUNITY = "public"

# RFC 1628 UPS-MIB objects the lab agent lets the drive community write
UPS_MIB = "1.3.6.1.2.1.33.1."
OIDS = {
    "output_source": UPS_MIB + "4.1.0",  # upsOutputSource 3 normal / 4 bypass / 5 battery
    "battery_status": UPS_MIB + "2.1.0",  # upsBatteryStatus 2 normal / 3 low
    "seconds_on_battery": UPS_MIB + "2.2.0",
    "minutes_remaining": UPS_MIB + "2.3.0",
    "charge": UPS_MIB + "2.4.0",
    "input_voltage": UPS_MIB + "3.3.1.3.1",
}
FIELDS = tuple(OIDS)
STATES = {
    "online": dict(zip(FIELDS, (3, 2, 0, 45, 100, 101), strict=True)),
    "on_battery": dict(zip(FIELDS, (5, 2, 120, 30, 70, 0), strict=True)),
    "low_battery": dict(zip(FIELDS, (5, 3, 900, 3, 12, 0), strict=True)),
    "bypass": dict(zip(FIELDS, (4, 2, 0, 45, 100, 101), strict=True)),
}


async def _request(command, community, var_binds):
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create(AGENT, timeout=1, retries=2)
        return await command(engine, CommunityData(community, mpModel=1), target, ContextData(), *var_binds)
    finally:
        engine.close_dispatcher()


def _run(command, community, var_binds):
    error_indication, error_status, _index, binds = asyncio.run(_request(command, community, var_binds))
    if error_indication or error_status:
        sys.exit(f"ups04: SNMP request failed: {error_indication or error_status.prettyPrint()}")
    return binds


def drive(state):
    community = (LAB_RUN / "snmp" / "drive-community").read_text().strip()
    wanted = STATES[state]
    _run(set_cmd, community, [ObjectType(ObjectIdentity(OIDS[n]), Integer32(v)) for n, v in wanted.items()])
    binds = _run(get_cmd, READ_COMMUNITY, [ObjectType(ObjectIdentity(OIDS[n])) for n in wanted])
    now = {name: int(value) for name, (_oid, value) in zip(wanted, binds, strict=True)}
    if now != wanted:
        sys.exit(f"ups04 did not take the {state} state: {now}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in STATES:
        sys.exit(__doc__)
    drive(sys.argv[1])
