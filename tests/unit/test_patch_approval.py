"""WSUS approval as a decision (REQUIREMENTS MNT-PATCH): the decision per update and ring, on
catalogue fixtures recorded in the shape Get-WsusUpdate and the role's read script give through
ConvertTo-Json (tests/fixtures/wsus/). No WSUS server can run here: the fixtures stand for its
output, and the PowerShell leaf (roles/patch_approve/files/) is checked only for what it calls."""

from __future__ import annotations

import copy
import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.patch import catalogue as cat
from ansible.module_utils.patch import policy as pol
from ansible.module_utils.patch.dates import japan_day, parse_instant

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "wsus"
POLICY = yaml.safe_load((ROOT / "group_vars/all/patch_policy.yml").read_text(encoding="utf-8"))[
    "jichitai_patch_policy"
]
_spec = importlib.util.spec_from_file_location("patch_approval_plan", ROOT / "library/patch_approval_plan.py")
module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(module)

CU_W11 = "3b1c7a52-8e0f-4d2b-9a6e-5f1d2c3b4a01"  # KB5034123, released 2024-01-10 in Japan
CU_OLD = "9d4e2f61-0c3a-4b7e-8d15-2a6b7c8d9e02"  # KB5033375, superseded by KB5034123
CU_SRV = "5e7a9b13-2d4c-4f6a-b8e1-3c5d7e9f1a03"  # KB5034129, Windows Server 2022
WINRE = "7f2b4c86-1e3d-4a5b-9c7d-8e1f2a3b4c04"  # KB5034441, on the deny list, approved for pilot
OFFICE = "c41d8e2a-6b5f-4e7c-a9d3-1f2e3d4c5b05"
DRIVER = "e8a3f5b7-9c1d-4b2e-8f6a-4d5c6b7a8e06"
MSRT = "2a6c8e0f-4b1d-4c3e-9a5f-6b7c8d9e0f07"  # KB890830, three failures in the pilot ring


def plan(as_of="2024-01-17", policy=None, fixture="catalogue_ps51.json"):
    return module.plan((FIXTURES / fixture).read_bytes(), policy or POLICY, as_of, "wsus01")


def ring(result, update_id, ring_id):
    decision = next(d for d in result["decisions"] if d["update_id"] == update_id)
    return next(r for r in decision["rings"] if r["ring"] == ring_id)


def changes(result, update_id):
    return [(c["action"], c["target_group"]) for c in result["changes"] if c["update_id"] == update_id]


def test_superseded_update_is_declined_once_for_the_whole_server():
    result = plan()
    assert [ring(result, CU_OLD, r)["decision"] for r in ("pilot", "servers", "clients")] == ["decline"] * 3
    assert changes(result, CU_OLD) == [("decline", None)]
    assert "KB5034123" in ring(result, CU_OLD, "pilot")["reason_ja"]  # named by its successor's KB


def test_superseded_update_on_the_allow_list_is_not_declined():
    policy = copy.deepcopy(POLICY)
    policy["allow_kbs"] = ["KB5033375"]
    result = plan(policy=policy)
    assert ring(result, CU_OLD, "pilot")["decision"] == "approve"
    assert "許可リスト" in ring(result, CU_OLD, "pilot")["reason_ja"]
    assert ("decline", None) not in changes(result, CU_OLD)


def test_deferral_is_honoured_per_ring():
    result = plan("2024-01-17")
    pilot, clients = ring(result, CU_W11, "pilot"), ring(result, CU_W11, "clients")
    assert pilot["decision"] == "approve"
    assert clients["decision"] == "wait" and clients["until"] == "2024-01-24"
    assert clients["reason_ja"] == "公開 2024-01-10 から 14 日の猶予中（2024-01-24 以降に承認）"
    assert changes(result, CU_W11) == [("approve", "LGWAN-Pilot")]


@pytest.mark.parametrize(
    "as_of,decision",
    [("2024-01-16", "wait"), ("2024-01-17", "approve"), ("2024-01-18", "approve")],
)
def test_deferral_boundary_is_the_seventh_day_in_japan(as_of, decision):
    # released 2024-01-09 18:00 UTC = 2024-01-10 03:00 in Japan; the servers ring waits 7 days
    assert ring(plan(as_of), CU_SRV, "servers")["decision"] == decision


def test_a_kb_on_the_deny_list_is_never_approved_and_its_approval_is_withdrawn():
    for as_of in ("2024-01-17", "2024-06-01"):
        result = plan(as_of)
        assert {ring(result, WINRE, r)["decision"] for r in ("pilot", "servers", "clients")} == {"hold"}
        assert changes(result, WINRE) == [("unapprove", "LGWAN-Pilot")]
        assert not [c for c in result["changes"] if "KB5034441" in c["kb"] and c["action"] == "approve"]


def test_deny_wins_over_every_other_rule():
    policy = copy.deepcopy(POLICY)
    policy["deny_kbs"] = ["KB5033375", "5034123"]  # superseded, and the newest cumulative update
    result = plan("2024-06-01", policy=policy)
    assert changes(result, CU_OLD) == [
        ("unapprove", g) for g in ("LGWAN-Pilot", "LGWAN-Servers", "LGWAN-Clients")
    ]
    assert changes(result, CU_W11) == []


def test_an_allowed_kb_missing_from_the_catalogue_is_a_clear_error():
    policy = copy.deepcopy(POLICY)
    policy["allow_kbs"] = ["KB5099999", "KB5034123"]
    result = plan(policy=policy)
    assert result == {
        "problems": [
            "パッチ適用方針 allow_kbs の KB5099999 がカタログにありません"
            "（WSUS に同期されているか、KB 番号を確かめてください）"
        ]
    }


def test_microsoft_365_apps_are_not_approved_through_wsus():
    result = plan("2024-06-01")
    for ring_id in ("pilot", "servers", "clients"):
        entry = ring(result, OFFICE, ring_id)
        assert entry["decision"] == "not_applicable"
        assert entry["reason_ja"] == (
            "Microsoft 365 Apps の更新は WSUS では配信しない"
            "（半期エンタープライズ チャネル（Microsoft 365 Apps 管理センター経由））"
        )
    assert changes(result, OFFICE) == []


def test_an_office_product_among_the_wsus_products_is_a_policy_error():
    policy = copy.deepcopy(POLICY)
    policy["products"].append("Office 365 Client")
    problems = plan(policy=policy)["problems"]
    assert any("products: Office 365 Client は office.products にあり" in p for p in problems), problems


def test_classifications_products_and_groups_without_computers_are_not_applicable():
    result = plan("2024-06-01")
    assert ring(result, DRIVER, "pilot")["reason_ja"] == "分類「Drivers」は承認対象外"
    servers = ring(result, CU_W11, "servers")  # no server needs a Windows 11 update
    assert servers["decision"] == "not_applicable" and "該当する端末なし" in servers["reason_ja"]


def test_failures_in_the_pilot_ring_hold_the_later_rings():
    result = plan("2024-06-01")
    assert ring(result, MSRT, "pilot")["decision"] == "approve"
    assert ring(result, MSRT, "clients")["reason_ja"] == "先行適用で 3 台が失敗しているため保留"
    policy = copy.deepcopy(POLICY)
    policy["hold_on_pilot_failures"] = False
    assert ring(plan("2024-06-01", policy=policy), MSRT, "clients")["decision"] == "approve"


def test_approvals_in_place_are_no_change():
    result = plan("2024-06-01")
    assert not any(c["before"] == "Install" and c["action"] == "approve" for c in result["changes"])
    assert result["summary"]["changes"] == {"approve": 7, "decline": 1, "unapprove": 1}


def test_dirty_catalogue_rows_are_each_named():
    problems = plan(fixture="catalogue_dirty.json")["problems"]
    assert problems == [
        "カタログ 行 1（not-a-guid 2024-01 Cumulative Update for Windows 11）: "
        "UpdateId が GUID ではありません: 'not-a-guid'",
        "カタログ 行 2（9d4e2f61-0c3a-4b7e-8d15-2a6b7c8d9e02 2023-12 Cumulative Update for Windows 11）: "
        "KnowledgebaseArticles の 'KB-unknown' が KB 番号ではありません",
        "カタログ 行 2（9d4e2f61-0c3a-4b7e-8d15-2a6b7c8d9e02 2023-12 Cumulative Update for Windows 11）: "
        "CreationDate が読めません: '2024-13-45' is not a date (expected /Date(ms)/ or ISO 8601)",
        "カタログ 行 3（5e7a9b13-2d4c-4f6a-b8e1-3c5d7e9f1a03）: Title がありません",
        "カタログ 行 3（5e7a9b13-2d4c-4f6a-b8e1-3c5d7e9f1a03）: "
        "ComputersWithErrors が 0 以上の整数ではありません: -1",
    ]


def test_a_duplicate_update_is_named_with_both_rows():
    rows = json.loads((FIXTURES / "catalogue_ps51.json").read_text(encoding="utf-8-sig"))["Updates"]
    _, _, problems = cat.parse(rows + [rows[2]])
    assert problems == [f"行 9: UpdateId {CU_SRV} が行 3 と重複しています"]


def test_one_update_alone_in_utf16_as_out_file_writes_it():
    raw = (FIXTURES / "catalogue_one_update_ps51.json").read_bytes()
    assert raw.startswith(b"\xff\xfe")
    header, updates, problems = cat.parse(cat.decode_text(raw))
    assert problems == [] and header == {}
    [update] = updates
    assert update["kbs"] == ["KB5034123"] and list(update["groups"]) == ["LGWAN-Pilot"]
    assert update["release_date"] == date(2024, 1, 10)


@pytest.mark.parametrize(
    "value",
    ["/Date(1704823200000)/", "/Date(1704823200000+0900)/", "2024-01-09T18:00:00Z",
     "2024-01-09T18:00:00.0000000Z", "2024-01-10T03:00:00+09:00"],
)  # fmt: skip
def test_powershell_dates_are_read_as_the_day_in_japan(value):
    assert japan_day(value) == date(2024, 1, 10)
    assert parse_instant(value).timestamp() == 1704823200


def test_enums_as_ansible_windows_returns_them_are_read():
    rows = json.loads((FIXTURES / "catalogue_ps51.json").read_text(encoding="utf-8-sig"))["Updates"][:1]
    rows[0]["TargetGroups"][0]["Approval"] = {"Type": "UpdateApprovalAction", "String": "Install", "Value": 0}
    _, [update], problems = cat.parse(rows)
    assert problems == [] and update["groups"]["LGWAN-Pilot"]["approval"] == "Install"


def test_a_bad_policy_names_each_bad_key():
    policy = copy.deepcopy(POLICY)
    policy["rings"]["servers"]["deferral_days"] = "7 days"
    policy["rings"]["clients"]["target_groups"] = ["LGWAN-Pilot"]
    del policy["rings"]["pilot"]["target_groups"]
    policy["rings"]["canary"] = {"target_groups": ["X"], "deferral_days": 1}
    policy["deny_kbs"] = ["KB12"]
    policy["decline_superseded"] = "yes"
    policy["deferral_basis"] = "sync"
    policy["colour"] = "blue"
    _, problems = pol.validate(policy)
    assert problems == [
        "colour: 知らないキーです",
        "deferral_basis: release か arrival にしてください（'sync'）",
        "deny_kbs: 'KB12' は KB 番号ではありません（例 KB5034441）",
        "rings.canary: 知らないリングです（pilot・servers・clients のみ）",
        "rings.pilot.target_groups: 文字列の一覧にしてください（None）",
        "rings.servers.deferral_days: 0〜365 の整数にしてください（'7 days'）",
        "decline_superseded: true か false にしてください（'yes'）",
    ], problems
    # the clients ring naming the pilot's group is caught once the pilot names it
    policy = copy.deepcopy(POLICY)
    policy["rings"]["clients"]["target_groups"] = ["LGWAN-Pilot"]
    policy["rings"]["clients"]["deferral_days"] = -1
    assert pol.validate(policy)[1] == [
        "rings.clients.target_groups: LGWAN-Pilot は rings.pilot にもあります",
        "rings.clients.deferral_days: 0〜365 の整数にしてください（-1）",
    ]


def test_the_policy_in_group_vars_is_valid():
    _, problems = pol.validate(POLICY)
    assert problems == []


def test_the_plan_reads_in_japanese():
    text = plan()["table"]
    assert text.startswith(
        "wsus01 の承認の変更（基準日 2024-01-17、更新プログラム 8 件）: 承認 5 件・拒否 1 件・承認取消 1 件"
    )
    assert "| 拒否 | KB5033375 |" in text and "| 承認取消 | KB5034441 |" in text
    assert "| KB5034123 | 2024-01 Cumulative Update for Windows 11" in text and "| 端末 | 猶予中 |" in text
    assert "リングごとの判定件数: 先行適用 承認 4" in text


def test_apply_list_matches_the_changes():
    result = plan()
    assert len(result["apply"]) == len(result["changes"])
    assert {"UpdateId": CU_OLD, "Action": "decline", "TargetGroup": None} in result["apply"]


def test_the_powershell_leaf_is_small_reads_only_or_honours_check_mode():
    files = ROOT / "roles" / "patch_approve" / "files"
    read = (files / "read_catalogue.ps1").read_text(encoding="utf-8")
    apply = (files / "apply_approvals.ps1").read_text(encoding="utf-8")
    for verb in ("Approve-WsusUpdate", "Deny-WsusUpdate", ".Approve(", ".Decline("):
        assert verb not in read, f"the read script must only read: {verb}"
    assert "[CmdletBinding(SupportsShouldProcess)]" in apply and "$Ansible.CheckMode" in apply
    assert "Approve-WsusUpdate" in apply and "Deny-WsusUpdate" in apply
    assert len(apply.splitlines()) < 80 and len(read.splitlines()) < 80


def test_rollout_settings_are_checked_and_defaulted():
    normal, problems = pol.validate({**POLICY, "rollout": {"client_max_fail_percentage": 150, "speed": 1}})
    assert "rollout.client_max_fail_percentage: 0〜100 の整数にしてください（150）" in problems
    assert "rollout.speed: 知らないキーです" in problems
    normal, problems = pol.validate(POLICY)
    assert normal["rollout"]["server_max_wave"] == 5 and normal["rollout"]["client_pilot_percent"] == 5
