"""patch_approve from a recorded WSUS catalogue: the decision the role made on the controller, and the
refusal of a bad policy. No WSUS server can run here: the PowerShell leaf has no peer and is skipped."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def result(converge_output):
    return converge_output("patch_approve")


def test_the_role_decided_from_the_recorded_catalogue(result):
    plan = result["plan"]
    assert plan["summary"]["as_of"] == "2024-01-17"
    assert plan["summary"]["changes"] == {"approve": 5, "decline": 1, "unapprove": 1}
    actions = {(c["kb"], c["action"], c["target_group"]) for c in plan["changes"]}
    assert ("KB5033375", "decline", None) in actions
    assert ("KB5034441", "unapprove", "LGWAN-Pilot") in actions
    assert not any(kb == "KB5034441" and action == "approve" for kb, action, _ in actions)


def test_the_decision_reads_in_japanese(result):
    table = result["plan"]["table"]
    assert "| 拒否 | KB5033375 |" in table
    assert "公開 2024-01-10 から 14 日の猶予中（2024-01-24 以降に承認）" in table


def test_a_bad_policy_is_refused_naming_each_bad_key(result):
    problems = result["bad_policy"]
    assert "パッチ適用方針 colour: 知らないキーです" in problems
    assert "パッチ適用方針 deny_kbs: 'KB12' は KB 番号ではありません（例 KB5034441）" in problems


def test_nothing_was_applied_without_a_wsus_server(controller):
    # the apply task is skipped with a catalogue file; no PowerShell exists on the controller either
    assert not controller.exists("pwsh") and not controller.exists("powershell")
