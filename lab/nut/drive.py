"""Drive a lab dummy-ups UPS into a power state by rewriting its .dev file.

  python lab/nut/drive.py UPS STATE      STATE: online | on_battery | low_battery | bypass | forced_shutdown

dummy-ups re-reads the whole file when its modification time changes and resets every variable
listed there, so the file is rewritten from the values upsd serves now (a delay changed over the
protocol survives) with only the power-state variables replaced. Waits until upsd reports the
new ups.status.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

LAB_RUN = Path(os.environ.get("LAB_RUN", Path(__file__).resolve().parents[1] / "run"))
UPSD = "127.0.0.1:3493"
STATES = {
    "online": {"ups.status": "OL", "battery.charge": "100", "battery.runtime": "2400",
               "input.voltage": "100.0"},
    "on_battery": {"ups.status": "OB DISCHRG", "battery.charge": "70", "battery.runtime": "1500",
                   "input.voltage": "0.0"},
    "low_battery": {"ups.status": "OB DISCHRG LB", "battery.charge": "12", "battery.runtime": "180",
                    "input.voltage": "0.0"},
    "bypass": {"ups.status": "OL BYPASS", "battery.charge": "100", "battery.runtime": "2400",
               "input.voltage": "100.0"},
    "forced_shutdown": {"ups.status": "FSD OB LB", "battery.charge": "8", "battery.runtime": "60",
                        "input.voltage": "0.0"},
}


def served_vars(ups):
    out = subprocess.run(["upsc", f"{ups}@{UPSD}"], capture_output=True, text=True, check=True).stdout
    return dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)


def drive(ups, state):
    dev = LAB_RUN / "nut" / "conf" / f"{ups}.dev"
    keys = [line.split(":", 1)[0] for line in dev.read_text().splitlines() if ":" in line]
    current = served_vars(ups)
    values = {key: current.get(key, "") for key in keys} | STATES[state]
    old_mtime = dev.stat().st_mtime
    tmp = dev.with_suffix(".tmp")
    tmp.write_text("".join(f"{key}: {value}\n" for key, value in values.items()))
    os.chmod(tmp, 0o664)
    os.chown(tmp, -1, dev.stat().st_gid)
    os.replace(tmp, dev)
    # the driver compares whole seconds: make sure this write is seen as a change
    new_mtime = max(time.time(), int(old_mtime) + 1)
    os.utime(dev, (new_mtime, new_mtime))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if served_vars(ups).get("ups.status") == STATES[state]["ups.status"]:
            return
        time.sleep(0.2)
    sys.exit(f"{ups}: upsd still does not report {STATES[state]['ups.status']!r}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in STATES:
        sys.exit(__doc__)
    drive(sys.argv[1], sys.argv[2])
