"""Drive the lab SNMP UPS (ups04) into a power state through the lab-only drive community.

  python lab/snmp/drive.py STATE      STATE: online | on_battery | low_battery | bypass
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_RUN = Path(os.environ.get("LAB_RUN", REPO / "lab" / "run"))
sys.path.insert(0, str(REPO / "plugins" / "module_utils" / "ups"))

from snmp import SnmpUpsClient  # noqa: E402 - after the path set-up

# upsOutputSource 3 normal / 4 bypass / 5 battery; upsBatteryStatus 2 normal / 3 low
FIELDS = (
    "output_source", "battery_status", "seconds_on_battery", "minutes_remaining", "charge", "input_voltage",
)
STATES = {
    "online": dict(zip(FIELDS, (3, 2, 0, 45, 100, 101), strict=True)),
    "on_battery": dict(zip(FIELDS, (5, 2, 120, 30, 70, 0), strict=True)),
    "low_battery": dict(zip(FIELDS, (5, 3, 900, 3, 12, 0), strict=True)),
    "bypass": dict(zip(FIELDS, (4, 2, 0, 45, 100, 101), strict=True)),
}


def drive(state):
    community = (LAB_RUN / "snmp" / "drive-community").read_text().strip()
    client = SnmpUpsClient("127.0.0.1", 1161, write_community=community, timeout=1, retries=2)
    client.set(STATES[state])
    now = client.get(STATES[state])
    if now != STATES[state]:
        sys.exit(f"ups04 did not take the {state} state: {now}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in STATES:
        sys.exit(__doc__)
    drive(sys.argv[1])
