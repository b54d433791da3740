"""Rollback bookkeeping of a Kea pair change (module_utils/kea/rollback.py and dhcp_reservations).

A fake peer stands in for the Kea Control Agent (pure Python, no lab): it keeps a running and a saved
configuration and can be told to fail a command, or to go down right after one succeeded, as the lab
drill stops dhcp01 right after its own config-write (tests/integration/test_dhcp_rollback_truth.py).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils.kea import rollback
from ansible.module_utils.kea.client import KeaCommandError, KeaUnreachable

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("dhcp_reservations", ROOT / "library" / "dhcp_reservations.py")
dhcp_reservations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dhcp_reservations)

SUBNET = "198.18.100.0/22"


def config(*macs):
    reservations = [
        {"hw-address": mac, "ip-address": f"198.18.100.{20 + i}", "hostname": f"prn-{i}"}
        for i, mac in enumerate(macs)
    ]
    return {
        "Dhcp4": {
            "subnet4": [
                {"id": 1, "subnet": SUBNET, "pools": [{"pool": "198.18.103.1-198.18.103.250"}],
                 "reservations": reservations}
            ]
        }
    }  # fmt: skip


OLD = config("02:4a:00:10:01:01")
NEW = config("02:4a:00:10:01:01", "02:4a:00:10:06:01")


class FakePeer:
    """A Kea peer: fail={command: error} makes that command fail; down_after=command takes the peer
    down right after that command succeeded (the next command finds it unreachable)."""

    def __init__(self, name, cfg=OLD, fail=None, down_after=None, ha="hot-standby"):
        self.name = name
        self.running = copy.deepcopy(cfg)
        self.saved = copy.deepcopy(cfg)
        self.fail = dict(fail or {})
        self.down_after = down_after
        self.up = True
        self.ha = ha
        self.log = []

    def _call(self, command):
        if not self.up:
            self.log.append(f"{command}!")
            raise KeaUnreachable(self.name, f"cannot reach the control agent of {self.name}")
        error = self.fail.pop(command, None)
        if error is not None:
            self.log.append(f"{command}!")
            raise error(self.name, f"{command} failed")
        self.log.append(command)

    def _after(self, command):
        if self.down_after == command:
            self.up = False
            self.down_after = None

    def config_get(self):
        self._call("config-get")
        return copy.deepcopy(self.running)

    def config_test(self, cfg):
        self._call("config-test")

    def config_set(self, cfg):
        self._call("config-set")
        self.running = copy.deepcopy(cfg)
        self._after("config-set")

    def config_write(self):
        self._call("config-write")
        self.saved = copy.deepcopy(self.running)
        self._after("config-write")

    def wait_serving(self, timeout):
        self._call("status-get")
        return self.ha

    def leases_in_subnets(self, ids):
        self._call("lease4-get-all")
        return []


def change(*peers, journal=None):
    clients = {p.name: p for p in peers}
    order = [p.name for p in peers]
    return rollback.change_one_at_a_time(
        clients,
        order,
        dict.fromkeys(order, NEW),
        {p.name: copy.deepcopy(p.running) for p in peers},
        1.0,
        record=(lambda *event: journal.append(event)) if journal is not None else rollback._noop,
    )


def states(outcome):
    return {name: peer["state"] for name, peer in outcome.peers.items()}


def test_both_peers_changed_one_after_the_other():
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02")
    outcome = change(one, two)
    assert outcome.ok and outcome.changed and not outcome.peers_differ
    assert states(outcome) == {"dhcp01": "changed", "dhcp02": "changed"}
    assert outcome.rollback == []
    assert one.saved == two.saved == NEW
    assert one.log == ["config-set", "config-write", "status-get"]


def test_second_peer_fails_and_the_first_is_rolled_back():
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02", fail={"config-set": KeaCommandError})
    events = []
    outcome = change(one, two, journal=events)
    assert not outcome.ok and outcome.failed_peer == "dhcp02"
    assert states(outcome) == {"dhcp01": "rolled_back", "dhcp02": "untouched"}
    assert outcome.rollback == [{"peer": "dhcp01", "ok": True, "error": None}]
    assert not outcome.peers_differ
    assert one.running == one.saved == OLD and two.saved == OLD
    assert events == [
        ("config-set", "dhcp01", True, None),
        ("config-write", "dhcp01", True, None),
        ("config-set", "dhcp02", False, "dhcp02: config-set failed"),
        ("rollback config-set", "dhcp01", True, None),
        ("rollback config-write", "dhcp01", True, None),
    ]


def test_peer_stopped_right_after_its_own_config_write_is_not_rolled_back():
    """The lab drill: dhcp01 goes down right after its config-write; its rollback cannot happen."""
    one, two = FakePeer("dhcp01", down_after="config-write"), FakePeer("dhcp02")
    outcome = change(one, two)
    assert not outcome.ok and outcome.failed_peer == "dhcp01"
    assert isinstance(outcome.error, KeaUnreachable)
    assert states(outcome) == {"dhcp01": "not_rolled_back", "dhcp02": "untouched"}
    assert outcome.peers["dhcp01"]["written"] and not outcome.peers["dhcp01"]["reachable"]
    assert [r["peer"] for r in outcome.rollback] == ["dhcp01"] and outcome.rollback[0]["ok"] is False
    assert "cannot reach" in outcome.rollback[0]["error"]
    assert outcome.peers_differ and outcome.changed
    assert one.saved == NEW and two.log == []  # dhcp02 was never sent anything
    assert "dhcp01: changed and NOT rolled back" in rollback.describe(outcome.peers)
    assert "saved too" in rollback.describe(outcome.peers)
    assert "切り戻し失敗" in rollback.describe(outcome.peers, 0)


def test_peer_down_after_config_set_keeps_its_previous_saved_configuration():
    one, two = FakePeer("dhcp01", down_after="config-set"), FakePeer("dhcp02")
    outcome = change(one, two)
    assert states(outcome) == {"dhcp01": "not_rolled_back", "dhcp02": "untouched"}
    assert not outcome.peers["dhcp01"]["written"] and one.saved == OLD
    assert "not saved: a restart brings the previous one back" in rollback.describe(outcome.peers)


def test_config_set_without_an_answer_is_unreachable_not_untouched():
    """No answer to config-set: it may have taken effect, so the peer is 'unreachable', never 'untouched'."""
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02", fail={"config-set": KeaUnreachable})
    outcome = change(one, two)
    # dhcp02 answers again for the rollback: set back to its previous configuration
    assert states(outcome) == {"dhcp01": "rolled_back", "dhcp02": "rolled_back"}
    assert [r["peer"] for r in outcome.rollback] == ["dhcp02", "dhcp01"]

    one, two = FakePeer("dhcp01"), FakePeer("dhcp02")
    two.up = False
    outcome = change(one, two)
    assert states(outcome) == {"dhcp01": "rolled_back", "dhcp02": "unreachable"}
    error = "dhcp02: cannot reach the control agent of dhcp02"
    assert outcome.rollback[0] == {"peer": "dhcp02", "ok": False, "error": error}
    assert outcome.peers_differ and one.saved == OLD


def test_rollback_config_write_failure_says_what_a_restart_brings_back():
    one = FakePeer("dhcp01")
    two = FakePeer("dhcp02", fail={"status-get": KeaCommandError})
    # dhcp02 fails its health gate after its config-write; its rollback config-write fails too
    original = two.config_write
    calls = []

    def config_write():
        calls.append(1)
        if len(calls) == 2:
            raise KeaCommandError("dhcp02", "config-write failed (result 1): disk full")
        original()

    two.config_write = config_write
    outcome = change(one, two)
    assert states(outcome) == {"dhcp01": "rolled_back", "dhcp02": "not_rolled_back"}
    assert two.running == OLD and two.saved == NEW
    error = outcome.rollback[0]["error"]
    assert outcome.rollback[0]["peer"] == "dhcp02" and "a restart brings the new configuration back" in error


# ---- the module's failure result ---------------------------------------------------------------
class Exit(Exception):
    def __init__(self, kind, result):
        super().__init__(kind)
        self.kind, self.result = kind, result


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.params = {
            "peers": [{"name": "dhcp01", "url": "http://x/"}, {"name": "dhcp02", "url": "http://y/"}],
            "service": "dhcp4", "timeout": 1.0, "validate_certs": True, "ca_path": None,
            "subnet": SUBNET, "reservations": [], "state": "present", "converge": False,
            "allow_peer_down": False, "check_leases": True, "ha_wait_timeout": 1.0, "journal": None,
            "scopes": None,
        } | params  # fmt: skip
        self.check_mode = check_mode
        self._diff = True
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, **result):
        raise Exit("fail", result)

    def exit_json(self, **result):
        raise Exit("exit", result)


PRINTER = {"mac": "02:4a:00:10:06:01", "ip": "198.18.100.21", "hostname": "prn-1"}


def run_module(peers, monkeypatch, **params):
    monkeypatch.setattr(dhcp_reservations, "clients", lambda _p: list(peers))
    module = FakeModule(**({"reservations": [PRINTER]} | params))
    with pytest.raises(Exit) as caught:
        dhcp_reservations.Run(module).run()
    return caught.value.kind, caught.value.result, module


def test_module_failure_names_each_peer_and_never_claims_a_failed_rollback(monkeypatch):
    one, two = FakePeer("dhcp01", down_after="config-write"), FakePeer("dhcp02")
    kind, result, module = run_module([one, two], monkeypatch)
    assert kind == "fail" and result["changed"] is True
    msg = result["msg"]
    assert "Rolled back: none; NOT rolled back: dhcp01" in msg
    assert "Rolled back: dhcp01" not in msg
    assert "dhcp01: 変更済み・切り戻し失敗（新しい設定のまま）・保存済み" in msg and "dhcp02: 未変更" in msg
    assert "dhcp01: changed and NOT rolled back: holds the new configuration" in msg
    assert "dhcp02: not touched" in msg
    assert "-e dhcp_sync_converge=true" in msg and "bring dhcp01 back first" in msg
    # the Japanese part, which the work report shows (first 300 characters), says it all
    assert "切り戻し失敗" in msg[:300] and "dhcp_sync_converge=true" in msg[:300]
    assert [(p["name"], p["state"]) for p in result["peers"]] == [
        ("dhcp01", "not_rolled_back"),
        ("dhcp02", "untouched"),
    ]
    assert result["rollback"][0]["peer"] == "dhcp01" and result["rollback"][0]["ok"] is False
    assert result["converge_plan"]["needed"] and result["converge_plan"]["reference"] == "dhcp01"
    assert any("rollback of dhcp01 failed" in w for w in module.warnings)


def test_module_failure_after_a_rollback_that_worked_says_the_plan_can_run_again(monkeypatch):
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02", fail={"config-write": KeaCommandError})
    kind, result, _module = run_module([one, two], monkeypatch)
    assert kind == "fail"
    assert [p["state"] for p in result["peers"]] == ["rolled_back", "rolled_back"]
    assert "Rolled back: dhcp02, dhcp01; NOT rolled back: none" in result["msg"]
    assert result["converge_plan"]["needed"] is False and "dhcp_sync_converge" not in result["msg"]
    assert one.saved == OLD and two.saved == OLD


def test_converge_takes_the_peer_that_holds_the_ledger_target(monkeypatch):
    # an interrupted apply left dhcp02 with the ledger's reservations and dhcp01 without
    one, two = FakePeer("dhcp01", cfg=OLD), FakePeer("dhcp02", cfg=NEW)
    kind, result, _module = run_module([one, two], monkeypatch)
    assert kind == "fail" and "already differ" in result["msg"]
    assert "-e dhcp_sync_converge=true" in result["msg"]
    assert "dhcp02, which holds the ledger's" in result["msg"]
    assert one.saved == OLD and two.saved == NEW

    kind, result, _module = run_module([one, two], monkeypatch, converge=True, check_mode=True)
    assert kind == "exit" and result["changed"] and result["reference"] == "dhcp02"
    assert result["changes"] == []  # nothing to change on the reference
    assert [(p["name"], p["changed"], p["difference"]) for p in result["peers"]] == [
        ("dhcp01", True, {"added": 1, "updated": 0, "removed": 0}),
        ("dhcp02", False, {"added": 0, "updated": 0, "removed": 0}),
    ]
    (entry,) = result["diff"]
    assert entry["before_header"] == f"dhcp01 subnet {SUBNET}" and "+1 ~0 -0" in entry["after_header"]
    assert "02:4a:00:10:06:01" in entry["after"] and "02:4a:00:10:06:01" not in entry["before"]

    kind, result, _module = run_module([one, two], monkeypatch, converge=True)
    assert kind == "exit" and result["changed"] and one.saved == two.saved == NEW
    kind, result, _module = run_module([one, two], monkeypatch, converge=True)
    assert kind == "exit" and not result["changed"]


def test_converge_without_a_peer_at_the_target_takes_the_first():
    subnets = {
        "dhcp01": config("02:4a:00:10:01:01")["Dhcp4"]["subnet4"][0],
        "dhcp02": config("02:4a:00:10:02:01")["Dhcp4"]["subnet4"][0],
    }
    rows, errors = dhcp_reservations.parse_rows([PRINTER], "present")
    assert not errors
    assert dhcp_reservations.converge_reference(subnets, rows, "present") == "dhcp01"
    assert dhcp_reservations.converge_reference(dict(reversed(subnets.items())), rows, "present") == "dhcp02"


# ---- the change journal and a controller that went away ---------------------------------------------
class Gone(Exception):
    pass


def test_a_stop_before_a_write_sends_nothing_more_not_even_a_rollback():
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02")

    def before_write(peer):
        if peer == "dhcp02":
            raise Gone("controller gone")

    outcome = rollback.change_one_at_a_time(
        {"dhcp01": one, "dhcp02": two}, ["dhcp01", "dhcp02"], dict.fromkeys(PAIR_NAMES, NEW),
        {"dhcp01": OLD, "dhcp02": OLD}, 1.0, before_write=before_write, stop=(Gone,),
    )  # fmt: skip
    assert outcome.stopped and outcome.failed_peer == "dhcp02" and isinstance(outcome.error, Gone)
    assert states(outcome) == {"dhcp01": "not_rolled_back", "dhcp02": "untouched"}
    assert outcome.rollback == [] and two.log == [] and one.saved == NEW


def test_a_stop_during_the_rollback_leaves_the_rest_not_rolled_back():
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02", fail={"config-write": KeaCommandError})
    calls = []

    def before_write(peer):
        calls.append(peer)
        if len(calls) == 4:  # dhcp01, dhcp02, rollback dhcp02, then rollback dhcp01: gone
            raise Gone("controller gone")

    outcome = rollback.change_one_at_a_time(
        {"dhcp01": one, "dhcp02": two}, ["dhcp01", "dhcp02"], dict.fromkeys(PAIR_NAMES, NEW),
        {"dhcp01": OLD, "dhcp02": OLD}, 1.0, before_write=before_write, stop=(Gone,),
    )  # fmt: skip
    assert outcome.stopped and outcome.failed_peer == "dhcp02"
    assert states(outcome) == {"dhcp01": "not_rolled_back", "dhcp02": "rolled_back"}
    assert outcome.rollback == [
        {"peer": "dhcp02", "ok": True, "error": None},
        {"peer": "dhcp01", "ok": False, "error": "not attempted: controller gone"},
    ]
    assert one.saved == NEW and two.saved == OLD


PAIR_NAMES = ("dhcp01", "dhcp02")


def journal_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_module_journals_each_write_and_rollback_step(monkeypatch, tmp_path):
    path = tmp_path / "journal" / "run.changes.jsonl"
    journal = {"path": str(path), "controller_pid": os.getpid(), "controller_start": None, "run": "r1"}
    one, two = FakePeer("dhcp01", down_after="config-write"), FakePeer("dhcp02")
    kind, result, _module = run_module([one, two], monkeypatch, journal=journal)
    assert kind == "fail"
    lines = journal_lines(path)
    assert [(x["action"], x["target"], x["ok"]) for x in lines] == [
        ("config-set", "dhcp01", True),
        ("config-write", "dhcp01", True),
        ("rollback config-set", "dhcp01", False),
    ]
    assert any("02:4a:00:10:06:01" in line for line in lines[0]["after"])
    assert not any("02:4a:00:10:06:01" in line for line in lines[0]["before"])
    assert "cannot reach" in lines[2]["note"] and lines[2]["run"] == "r1"


def test_module_stops_before_any_write_when_the_controller_is_gone(monkeypatch, tmp_path):
    path = tmp_path / "journal" / "run.changes.jsonl"
    dead = subprocess.Popen(["true"])
    dead.wait()
    journal = {"path": str(path), "controller_pid": dead.pid, "controller_start": None, "run": "r1"}
    one, two = FakePeer("dhcp01"), FakePeer("dhcp02")
    kind, result, _module = run_module([one, two], monkeypatch, journal=journal)
    assert kind == "fail" and result["changed"] is False
    assert "ansible-playbook が終了したため、dhcp01 への書き込みの前に止めました" in result["msg"]
    assert "config-set" not in one.log and "config-set" not in two.log
    assert [x["action"] for x in journal_lines(path)] == ["abandoned"]
    assert [p["state"] for p in result["peers"]] == ["untouched", "untouched"]
    assert "No peer was changed" in result["msg"] and not result["converge_plan"]["needed"]
