"""pc_restore on a stand-in PC: Windows activated against the KMS once (the second converge changed
nothing: molecule's idempotence step), no reboot for an up-to-date PC."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."))


def test_the_pc_is_activated_and_was_not_restarted():
    state = json.loads((EPHEMERAL / "devices" / "lgnb1501.json").read_text(encoding="utf-8"))
    assert state["licence"] == "licensed"
    assert state["reboots"] == 0 and not state["pending_reboot"]
