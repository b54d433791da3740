"""Fault drill: dhcp01 stops right after its own config-write during an approved apply of
playbooks/dhcp_sync.yml; the result and the work report tell the truth, and a converge plan mends it.

How the fault is injected: a stand-in proxy (``FaultProxy`` below, in this test process) sits between
the modules and dhcp01's Kea Control Agent; the snapshot's inventory points dhcp01 at it. It forwards
every command unchanged. When it has forwarded the first ``config-write`` and received Kea's answer,
it stops dhcp01's Kea for real (``lab/components/30-kea.sh stop-peer dhcp01``: control agent and
kea-dhcp4) and only then hands the answer to the module. Every later command to dhcp01 finds the
connection closed, as a peer that went away does. dhcp01 has saved the new configuration, so it
comes back with it when restarted; dhcp02 was never touched.

Then: the module's result and the work report say dhcp01 was NOT rolled back and how to converge;
dhcp01 is restarted; the converge plan (``-e dhcp_sync_converge=true``) shows the difference, is
approved and applied, and both peers hold the ledger's reservations; applying it again changes
nothing, and a new plan without converge has nothing to do.

Shares the lab's Kea pair (the session's ``lab`` bring-up) and the project snapshot and plan helpers
of tests/e2e/test_workplan_dhcp.py; the pair's configurations are put back afterwards.
"""

from __future__ import annotations

import copy
import http.server
import json
import re
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from appliance_helpers import (
    LAB_SCOPES,
    PAIR,
    kea_clients,
    kea_component,
    reservation_set,
    restored_pair,
    wait_ha,
)
from e2e.test_workplan_dhcp import apply as apply_plan
from e2e.test_workplan_dhcp import changes, snapshot  # noqa: F401 (snapshot: a fixture)
from e2e.test_workplan_dhcp import plan as make_plan

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TASK = "dhcp_sync : Make each scope's reservations on both peers match the ledger"
# five printers the ledger gains; the apply adds them (dhcp01 takes them, then stops)
NEW = [
    {"hostname": f"prn-annex-{i}f-01", "mac": f"02:4a:00:10:60:{i:02x}", "ip": f"198.18.100.{60 + i}"}
    for i in range(1, 6)
]


class FaultProxy(http.server.ThreadingHTTPServer):
    """Forwards Kea Control Agent commands to `upstream`; stops dhcp01 right after its first
    config-write (once), then behaves like the stopped peer (connection closed, no answer)."""

    daemon_threads = True

    def __init__(self, upstream: str):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream = upstream
        self.armed = True
        self.fired = threading.Event()
        self.commands: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        server: FaultProxy = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        command = json.loads(body or b"{}").get("command", "")
        request = urllib.request.Request(
            server.upstream,
            data=body,
            method="POST",
            headers={k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 (lab loopback URL)
                status, answer = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
        except OSError:
            # the peer is gone: close the connection without an answer
            server.commands.append(f"{command} (down)")
            self.close_connection = True
            return
        server.commands.append(command)
        if command == "config-write" and server.armed:
            server.armed = False
            kea_component("stop-peer", "dhcp01")  # dhcp01 saved the new configuration, then stops
            server.fired.set()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args):
        pass


@pytest.fixture
def pair(lab, lab_vars):
    clients = kea_clients(lab_vars)
    with restored_pair(clients):  # restarts a stopped peer and puts both configurations back
        yield clients


@pytest.fixture
def proxy(lab_vars):
    server = FaultProxy(lab_vars("dhcp01")["jichitai_kea_api_url"])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def git(project, *args):
    subprocess.run(
        ["git", "-c", "user.email=ops@example.invalid", "-c", "user.name=ops", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def ledger_file(tmp_path) -> Path:
    scopes = copy.deepcopy(LAB_SCOPES)
    scopes[0]["reservations"] += NEW
    path = tmp_path / "ledger.yml"
    path.write_text(yaml.safe_dump({"jichitai_dhcp_scopes": scopes}, allow_unicode=True))
    return path


def ledger_set() -> set[tuple[str, str, str]]:
    rows = LAB_SCOPES[0]["reservations"] + NEW
    return {(r["mac"], r["ip"], r.get("hostname") or "") for r in rows}


def test_dhcp01_stopped_after_its_config_write_is_reported_not_rolled_back_and_converged(
    pair, proxy, snapshot, tmp_path  # noqa: F811 (snapshot: the e2e fixture, imported)
):
    before = {host: reservation_set(pair[host]) for host in PAIR}
    assert before["dhcp01"] == before["dhcp02"] != ledger_set()
    # dhcp01 is reached through the fault proxy in this snapshot of the project
    host_vars = snapshot / "inventories" / "lab" / "host_vars" / "dhcp01.yml"
    text = host_vars.read_text()
    host_vars.write_text(
        re.sub(r"(?m)^jichitai_kea_api_url: .*$", f"jichitai_kea_api_url: {proxy.url}", text)
    )
    git(snapshot, "commit", "-qam", "dhcp01 through the fault proxy")
    ledger = ledger_file(tmp_path)

    # the approved plan adds the five printers; its apply stops dhcp01 after dhcp01's config-write
    plan_id, folder, _plan = make_plan(snapshot, ledger, "2026-12-01T10:00")
    rc, out = apply_plan(snapshot, ledger, plan_id, "2026-12-16T18:40")
    assert rc != 0 and proxy.fired.is_set(), out
    assert proxy.commands.count("config-set") == 1, proxy.commands  # dhcp01 took it once, no rollback
    assert any(c.endswith("(down)") for c in proxy.commands), proxy.commands
    assert "Rolled back: dhcp01" not in out
    assert "Rolled back: none; NOT rolled back: dhcp01" in out
    assert "dhcp01: changed and NOT rolled back: holds the new configuration, saved too" in out
    assert "dhcp02: not touched" in out
    assert "-e dhcp_sync_converge=true" in out and "bring dhcp01 back first" in out

    # the work report says the same (its note is the message's Japanese part)
    report = json.loads((folder / "report.json").read_text())
    assert report["verdict"] == "review"
    (row,) = [r for r in report["rows"] if r["task"] == TASK]
    assert row["verdict"] == "failed"
    assert "dhcp01: 変更済み・切り戻し失敗（新しい設定のまま）・保存済み" in row["note"], row
    assert "dhcp02: 未変更" in row["note"] and "-e dhcp_sync_converge=true" in row["note"], row
    assert "dhcp_sync_converge=true" in (folder / "report.md").read_text()
    # the plan's change journal holds what dhcp01 took and the rollback that failed
    journal = [
        json.loads(line)
        for path in sorted((folder / "journal").glob("*.changes.jsonl"))
        for line in path.read_text().splitlines()
    ]
    steps = [(j["action"], j["target"], j["ok"]) for j in journal if j["module"] == "dhcp_reservations"]
    assert steps == [
        ("config-set", "dhcp01", True),
        ("config-write", "dhcp01", True),
        ("rollback config-set", "dhcp01", False),
    ], journal
    assert reservation_set(pair["dhcp02"]) == before["dhcp02"]

    # dhcp01 comes back with what it saved: the pair differs; the same plan is refused by the module
    kea_component("up")
    wait_ha(pair, dict.fromkeys(PAIR, ("hot-standby",)), timeout=90)
    assert reservation_set(pair["dhcp01"]) == ledger_set()
    assert reservation_set(pair["dhcp02"]) == before["dhcp02"]

    # the converge plan: its diff shows dhcp02 before and after; dhcp01 already holds the ledger
    converge = ("-e", "dhcp_sync_converge=true")
    plan_id, folder, plan_data = make_plan(snapshot, ledger, "2026-12-02T10:00", *converge)
    planned = changes(plan_data["tasks"])
    assert [p[3] for p in planned if p[1] == TASK] == ["dhcp02 subnet 198.18.100.0/22"], planned
    (peer_diff,) = [
        d
        for r in plan_data["tasks"]
        for e in r["entries"]
        for d in e["diffs"]
        if d.get("header", "").startswith("dhcp02")
    ]
    added = set(peer_diff["after"].splitlines()) - set(peer_diff["before"].splitlines())
    removed = set(peer_diff["before"].splitlines()) - set(peer_diff["after"].splitlines())
    assert removed == set() and len(added) == len(NEW), added
    assert all(any(row["mac"] in line for line in added) for row in NEW), added
    assert reservation_set(pair["dhcp02"]) == before["dhcp02"]  # check mode changed nothing

    rc, out = apply_plan(snapshot, ledger, plan_id, "2026-12-16T18:45", *converge)
    assert rc == 0, out
    report = json.loads((folder / "report.json").read_text())
    assert report["verdict"] == "ok", [r for r in report["rows"] if r["flag"]]
    assert [r["verdict"] for r in report["rows"]] == ["matched"]
    assert {host: reservation_set(pair[host]) for host in PAIR} == dict.fromkeys(PAIR, ledger_set())

    # applied again, the converge plan changes nothing; a new plan without converge has nothing to do
    rc, out = apply_plan(snapshot, ledger, plan_id, "2026-12-16T18:50", *converge)
    assert rc == 0, out
    report = json.loads((folder / "report.json").read_text())
    # the step ran and changed nothing (the report tells it was done by the earlier run of the plan)
    assert [(r["task"], r["actual"]) for r in report["rows"]] == [(TASK, "ok")], report["rows"]
    _id, _folder, again = make_plan(snapshot, ledger, "2026-12-03T10:00")
    assert changes(again["tasks"]) == []
    assert {host: reservation_set(pair[host]) for host in PAIR} == dict.fromkeys(PAIR, ledger_set())
