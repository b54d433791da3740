"""Two runs of the role on the lab: each wrote its documents; the second found nothing changed; the server
list carries the Kea pair's HA mode and each UPS's state as read; no account register without a directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
REPORTS = EPHEMERAL / "registers"


def runs():
    return sorted(p for p in REPORTS.iterdir() if p.is_dir())


def record(run):
    return json.loads((run / "registers.json").read_text(encoding="utf-8"))


def test_each_run_wrote_its_documents_and_the_second_found_no_change():
    found = runs()
    assert len(found) == 2, found  # converge and idempotence
    for run in found:
        names = {p.name for p in run.iterdir()}
        assert {"registers.xlsx", "registers.html", "registers.json", "changes.json", "diagrams"} <= names
        assert {p.suffix for p in (run / "diagrams").iterdir()} == {".dot", ".svg"}
    first, second = record(found[0]), record(found[1])
    assert first["first"] is True and second["first"] is False
    assert second["total_changes"] == 0 and second["diagram_changes"] == []
    history = (REPORTS / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["total"] for line in history] == [0, 0]


def test_the_server_list_carries_what_the_appliances_answered():
    last = record(runs()[-1])
    assert "accounts" not in {r["id"] for r in last["registers"]}
    servers = {r["host"]: r for r in next(r for r in last["registers"] if r["id"] == "servers")["rows"]}
    assert "冗長構成 hot-standby" in servers["dhcp01"]["settings"]
    assert all(servers[u]["measured"].startswith("状態 ") for u in ("ups01", "ups02", "ups03", "ups04"))
