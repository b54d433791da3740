"""Accounts of a transfer system as data: α-model checks naming each row, the change set, the CSV batch."""

import importlib.util
import json
from pathlib import Path

from ansible.module_utils.transfer import accounts as model
from ansible.module_utils.transfer import csvimport

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("transfer_info", ROOT / "library/transfer_info.py")
transfer_info = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(transfer_info)

GROUP = {"name": "g-xfer-internet-lgwan", "description": "無害化転送 利用者"}
ROUTES = [
    {"group": "g-xfer-internet-lgwan", "from": "internet", "to": "lgwan", "approval": "none"},
    {"group": "g-xfer-internet-lgwan", "from": "lgwan", "to": "internet", "approval": "required"},
]


def user(uid, approver="", side="lgwan", dept="120200", name="人事課"):
    return {
        "id": uid,
        "name": f"職員 {uid}",
        "department": dept,
        "department_name": name,
        "group": GROUP["name"],
        "approver": approver,
        "side": side,
    }


WANTED = {"groups": [GROUP], "routes": ROUTES, "users": [user("m001"), user("m002", approver="m001")]}


def test_a_sound_account_set_has_no_problem():
    assert model.check(WANTED, ["internet", "lgwan"]) == []
    assert model.dangling(WANTED, model.apply_to({}, model.changes({}, WANTED, "exact"))) == []


def test_a_route_between_internet_and_my_number_is_refused_with_its_row():
    wanted = dict(
        WANTED,
        routes=[
            *ROUTES,
            {"group": GROUP["name"], "from": "internet", "to": "mynumber", "source": "transfer.yml line 12"},
        ],
    )
    problems = model.check(wanted, ["internet", "lgwan"])
    assert len(problems) == 1
    assert problems[0].startswith(
        "routes[2] (transfer.yml line 12): 経路 インターネット接続系→個人番号利用事務系"
    )
    assert "α モデルで認められていません" in problems[0]


def test_a_system_joining_internet_and_my_number_is_refused_outright():
    problems = model.check(WANTED, ["internet", "mynumber"])
    assert problems and "インターネット接続系⇔個人番号利用事務系" in problems[0]


def test_a_sanctioned_route_of_the_other_system_and_an_account_on_the_wrong_side_are_refused():
    wanted = dict(
        WANTED,
        routes=[{"group": GROUP["name"], "from": "lgwan", "to": "mynumber"}],
        users=[user("m001"), user("m003", side="mynumber")],
    )
    problems = model.check(wanted, ["internet", "lgwan"])
    assert any(
        p.startswith("routes[0]: 経路 LGWAN接続系→個人番号利用事務系 はこのシステム") for p in problems
    )
    assert any(p.startswith("users[1]: 利用者 m003 の側 個人番号利用事務系 は") for p in problems), problems


def test_every_bad_row_is_named_at_once():
    wanted = {
        "groups": [GROUP, GROUP],
        "routes": [{"group": GROUP["name"], "from": "lgwan", "to": "internet", "approval": "maybe"}],
        "users": [dict(user("m 1"), name=""), user("m002")],
    }
    problems = model.check(wanted, ["lgwan", "internet"])
    assert [p.split(":")[0] for p in problems] == ["groups[1]", "users[0]", "users[0]", "routes[0]"]


def test_a_group_or_approver_the_system_will_not_hold_is_refused():
    wanted = dict(WANTED, groups=[], users=[user("m002", approver="m009")])
    problems = model.dangling(wanted, model.apply_to({}, model.changes({}, wanted, "exact")))
    assert (
        "routes[0]: グループ g-xfer-internet-lgwan が転送システムにありません（groups にも指定がありません）"
        in problems
    )
    assert "users[0]: 承認者 m009 が転送システムの利用者にいません" in problems


def test_changes_create_first_and_remove_last_and_exact_removes_the_rest():
    current = {
        "groups": [GROUP, {"name": "g-old", "description": ""}],
        "routes": [ROUTES[0]],
        "users": [user("m001"), user("m999")],
    }
    current["routes"].append({"group": "g-old", "from": "internet", "to": "lgwan", "approval": "none"})
    steps = [(op, kind, key) for op, kind, key, _b, _a in model.changes(current, WANTED, "exact")]
    assert steps == [
        ("create", "users", "m002"),
        ("create", "routes", "g-xfer-internet-lgwan:lgwan>internet"),
        ("delete", "routes", "g-old:internet>lgwan"),
        ("delete", "users", "m999"),
        ("delete", "groups", "g-old"),
    ]
    present = [(op, key) for op, _k, key, _b, _a in model.changes(current, WANTED, "present")]
    assert ("delete", "m999") not in present
    after = model.apply_to(current, model.changes(current, WANTED, "exact"))
    assert model.changes(after, WANTED, "exact") == []  # the second run changes nothing


def test_a_csv_batch_round_trips_through_the_export_format(tmp_path):
    accounts = model.apply_to({}, model.changes({}, WANTED, "exact"))
    files = csvimport.batch_files(accounts)
    assert list(files) == ["users.csv", "groups.csv", "routes.csv", "SHA256SUMS"]
    assert files["routes.csv"].decode("cp932").splitlines()[1] == "g-xfer-internet-lgwan,internet,lgwan,不要"
    assert b"\r\n" in files["users.csv"]
    sums = csvimport.hand_over(str(tmp_path), "b1", files)
    assert sorted(p.name for p in (tmp_path / "b1").iterdir()) == [
        "SHA256SUMS",
        "groups.csv",
        "routes.csv",
        "users.csv",
    ]
    assert (tmp_path / "b1" / "SHA256SUMS").read_text().count("\n") == 3
    assert sums["users.csv"] in (tmp_path / "b1" / "SHA256SUMS").read_text()
    # the export folder has the same format: reading the batch back gives the same accounts
    assert model.apply_to(csvimport.read_export(str(tmp_path / "b1")), []) == accounts


def test_the_product_s_answer_is_waited_for(tmp_path):
    assert csvimport.wait_result(str(tmp_path), "b1", 0.3) is None
    (tmp_path / "b1.result.json").write_text(json.dumps({"batch": "b1", "ok": True}))
    assert csvimport.wait_result(str(tmp_path), "b1", 0.3)["ok"] is True


def test_info_findings_name_down_engines_queues_and_failing_routes():
    status = {
        "engines": {"clamav": "ok", "sanitiser": "down"},
        "queue": 30,
        "routes": [
            {
                "from": "internet",
                "to": "lgwan",
                "last_success": "2026-12-05T09:00:00+09:00",
                "last_failure": "2026-12-06T08:00:00+09:00",
            },
            {
                "from": "lgwan",
                "to": "internet",
                "last_success": "2026-12-06T08:30:00+09:00",
                "last_failure": None,
            },
        ],
    }
    now = transfer_info._when("2026-12-06T09:00:00+09:00")
    found = transfer_info.findings(status, 20, 12, now=now)
    assert found == [
        "エンジン sanitiser が停止しています（down）",
        "処理待ちのファイルが 30 件あります（上限 20 件）",
        "経路 インターネット接続系→LGWAN接続系 は 24 時間、転送に成功していません",
        "経路 インターネット接続系→LGWAN接続系 の直近の転送が失敗しています（2026-12-06T08:00:00+09:00）",
    ]
    assert (
        transfer_info.findings(dict(status, engines={}, queue=0, routes=status["routes"][1:]), 20, 12, now)
        == []
    )


def test_exact_leaves_kept_service_accounts_their_group_and_routes():
    probe = {"id": "xfer-probe", "name": "probe", "group": "xfer-probe", "side": "lgwan"}
    current = {
        "groups": [GROUP, {"name": "xfer-probe", "description": ""}],
        "routes": [*ROUTES, {"group": "xfer-probe", "from": "internet", "to": "lgwan", "approval": "none"}],
        "users": [user("m001"), user("m002", approver="m001"), probe],
    }
    assert (
        model.changes(current, WANTED, "exact", keep_users=["xfer-probe"], keep_groups=["xfer-probe"]) == []
    )
    removed = {key for op, _k, key, _b, _a in model.changes(current, WANTED, "exact") if op == "delete"}
    assert removed == {"xfer-probe", "xfer-probe:internet>lgwan"}
