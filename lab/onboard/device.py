#!/usr/bin/env python3
"""Stand-in for a new Windows device during onboarding (no Windows runs in the lab).

It keeps what the onboarding reads and changes on a real device - the uninstall registry's
products, a pending reboot, the domain, the running services - in one JSON file per device under
STATE_DIR (lab/run/onboard/devices), and answers as the leaf would: JSON with changed, rc and
reboot_required, as ansible.windows.win_package and microsoft.ad.membership return them. The domain
join is checked against the real directory: the computer object must have been pre-staged (LDAPS).

  device.py STATE_DIR NAME seed JSON          the device as it arrives (test set-up)
  device.py STATE_DIR NAME inventory          {"installed": [...], "domain": ..., "pending_reboot": ...}
  device.py STATE_DIR NAME uninstall PRODUCT_ID [--check]
  device.py STATE_DIR NAME install PRODUCT_ID NAME VERSION [--services a,b] [--check]
  device.py STATE_DIR NAME reboot [--check]
  device.py STATE_DIR NAME join DOMAIN [--check]     joined, then restarted (membership reboot=true)
  device.py STATE_DIR NAME services            {"running": [...]}
  device.py STATE_DIR NAME activate [--check]  Windows activated against the KMS (slmgr /ato)
A device without a state file does not answer (exit 4), as a device switched off.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def load(path: Path) -> dict:
    if not path.exists():
        print(json.dumps({"unreachable": True, "msg": f"{path.stem}: no answer"}))
        sys.exit(4)
    return json.loads(path.read_text(encoding="utf-8"))


def save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    state_dir, name, action, args = Path(argv[0]), argv[1].lower(), argv[2], argv[3:]
    path = state_dir / f"{name}.json"
    if action == "seed":
        state_dir.mkdir(parents=True, exist_ok=True)
        seed = {"installed": [], "domain": None, "pending_reboot": False, "reboots": 0, "services": [],
                "licence": "licensed"}
        save(path, seed | json.loads(args[0]))
        return 0
    state = load(path)
    out: dict = {"changed": False, "rc": 0, "reboot_required": False}
    if action == "inventory":
        out = {k: state.get(k) for k in ("installed", "domain", "pending_reboot", "licence")}
    elif action == "services":
        out = {"running": [] if state["pending_reboot"] else state["services"]}
    elif action == "uninstall":
        found = [p for p in state["installed"] if p["product_id"].upper() == args[0].upper()]
        if found:
            out = {"changed": True, "rc": 3010 if found[0].get("reboot_on_removal") else 0,
                   "reboot_required": bool(found[0].get("reboot_on_removal"))}  # fmt: skip
            if not check:
                state["installed"] = [p for p in state["installed"] if p not in found]
                state["services"] = [s for s in state["services"] if s not in found[0].get("services", [])]
                state["pending_reboot"] = state["pending_reboot"] or out["reboot_required"]
    elif action == "install":
        product_id, label, version = args[0], args[1], args[2]
        services = args[args.index("--services") + 1].split(",") if "--services" in args else []
        current = next((p for p in state["installed"] if p["product_id"].upper() == product_id.upper()), None)
        if current is None or current["version"] != version:
            out = {"changed": True, "rc": 0, "reboot_required": False}
            if not check:
                state["installed"] = [p for p in state["installed"] if p is not current]
                state["installed"].append({"name": label, "version": version, "product_id": product_id,
                                           "publisher": "", "services": services})  # fmt: skip
                state["services"] = sorted(set(state["services"]) | set(services))
    elif action == "activate":
        if state.get("licence") != "licensed":
            out = {"changed": True, "rc": 0}
            if not check:
                state["licence"] = "licensed"
    elif action == "reboot":
        out = {"changed": True, "rebooted": True}
        if not check:
            state["pending_reboot"] = False
            state["reboots"] += 1
    elif action == "join":
        # as microsoft.ad.membership with reboot=true: joined, then restarted
        if str(state["domain"] or "").lower() != args[0].lower():
            out = {"changed": True, "rc": 0, "reboot_required": False, "rebooted": True}
            if not check:
                state["domain"] = args[0]
                state["pending_reboot"] = False
                state["reboots"] += 1
    else:
        print(f"unknown action {action}", file=sys.stderr)
        return 2
    if action not in ("inventory", "services") and not check:
        save(path, state)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
