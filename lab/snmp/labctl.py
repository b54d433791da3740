"""Lab helper for the SNMP UPS (ups04, snmpsim), used by lab/components/50-snmp.sh.

  labctl.py render DATA_DIR    write the three community views of lab/snmp/ups04.snmprec
                               (stdin: read-write community, then the lab drive community)
  labctl.py wait [TIMEOUT_S]   wait until the agent answers a GET of upsBatteryStatus

snmpsim picks the data file by community name, and writecache keeps written values in one cache
shared by every file, so the views below see the same UPS:
  public             read-only: every SET is refused
  <rw community>     the UPS's control group (upsShutdownType .. upsAutoRestart) is writable
  <drive community>  lab only: the power-state objects are writable, so tests can drive the UPS
"""

import asyncio
import os
import sys
import time
from pathlib import Path

RECORDING = Path(__file__).with_name("ups04.snmprec")
UPS_MIB = "1.3.6.1.2.1.33.1."
# power state a test may drive: battery status, seconds on battery, minutes left, charge,
# input voltage, output source, output load
STATE_OIDS = {UPS_MIB + s for s in ("2.1.0", "2.2.0", "2.3.0", "2.4.0", "3.3.1.3.1", "4.1.0", "4.4.1.5.1")}
# the UPS's control group, writable by the read-write community
CONTROL_OIDS = {UPS_MIB + s for s in ("8.1.0", "8.2.0", "8.3.0", "8.4.0", "8.5.0")}
# values the control objects accept (RFC 1628 ranges): lower and upper bound
CONTROL_RANGES = {
    UPS_MIB + "8.1.0": (1, 2),
    UPS_MIB + "8.2.0": (-1, 2147483647),
    UPS_MIB + "8.3.0": (-1, 2147483647),
    UPS_MIB + "8.4.0": (-1, 2147483647),
    UPS_MIB + "8.5.0": (1, 2),
}
# every integer is either < 0 or > -1: a vlist that refuses any SET
REFUSE_ALL = "vlist=lt:0:notwritable:gt:-1:notwritable"


def _oid_key(line):
    return tuple(int(part) for part in line.split("|", 1)[0].split("."))


def view(lines, writable):
    out = []
    for line in sorted(lines, key=_oid_key):
        oid, tag, value = line.split("|", 2)
        if oid not in STATE_OIDS | CONTROL_OIDS:
            out.append(line)
            continue
        if oid not in writable:
            out.append(f"{oid}|{tag}:writecache|value={value},{REFUSE_ALL}")
        elif oid in CONTROL_RANGES:
            low, high = CONTROL_RANGES[oid]
            out.append(f"{oid}|{tag}:writecache|value={value},vlist=lt:{low}:wrongvalue:gt:{high}:wrongvalue")
        else:
            out.append(f"{oid}|{tag}:writecache|value={value}")
    return "\n".join(out) + "\n"


def render(data_dir, rw_community, drive_community):
    lines = [ln for ln in RECORDING.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    views = (("public", set()), (rw_community, CONTROL_OIDS), (drive_community, STATE_OIDS))
    for community, writable in views:
        path = Path(data_dir) / f"{community}.snmprec"
        path.write_text(view(lines, writable))
        os.chmod(path, 0o644)


async def _get_battery_status():
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create(("127.0.0.1", 1161), timeout=0.5, retries=0)
        err, status, _, binds = await get_cmd(
            engine, CommunityData("public", mpModel=1), target, ContextData(),
            ObjectType(ObjectIdentity(UPS_MIB + "2.1.0")),
        )
        return not err and not status and int(binds[0][1]) > 0
    finally:
        engine.close_dispatcher()


def wait(timeout):
    import warnings

    warnings.simplefilter("ignore")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if asyncio.run(_get_battery_status()):
                return 0
        except Exception:  # not answering yet
            pass
        time.sleep(0.2)
    print("the SNMP agent on 127.0.0.1:1161 does not answer", file=sys.stderr)
    return 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "render":
        rw_community = sys.stdin.readline().strip()
        drive_community = sys.stdin.readline().strip()
        render(argv[2], rw_community, drive_community)
        return 0
    if len(argv) >= 2 and argv[1] == "wait":
        return wait(float(argv[2]) if len(argv) > 2 else 20)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
