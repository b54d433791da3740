"""Import files of a personnel transfer (hr_transfer_exports.py): SKYSEA, workflow approvers, transfer
systems and the PC ledger, from the planned state; stable across prepare; CP932 with the extension
kanji. No server needed (the in-memory directory of test_hr_plan)."""

from __future__ import annotations

import csv
import io

import pytest
from ansible.module_utils.hr_transfer import exports as hx  # noqa: E402
from test_hr_plan import ALL_KINDS, ROOT, STAFF, apply, orgs, run, seeded  # noqa: E402


def exports_for(result, nxt=True):
    current, new, diff = orgs()
    return hx.Exports(current, new, diff, result.final, result.people, "u")


def rows_of(table):
    header, rows = table
    return [dict(zip(header, r, strict=True)) for r in rows]


def test_skysea_files_follow_the_plan():
    d = seeded(STAFF)
    ex = exports_for(run(ALL_KINDS, d))
    orgs_rows = {r["組織コード"]: r for r in rows_of(ex.skysea_organisation())}
    assert orgs_rows["190300"]["区分"] == "新設" and orgs_rows["130300"]["区分"] == "名称変更"
    assert orgs_rows["190100"]["区分"] == "廃止（後継 190300）"
    users = {r["職員番号"]: r for r in rows_of(ex.skysea_users())}
    assert (
        users["270001"]["組織パス"] == "こども部/こども家庭センター" and users["270001"]["異動区分"] == "採用"
    )
    assert users["200001"]["状態"] == "退職"
    assert users["200003"]["組織コード"] == "140100" and users["200003"]["異動区分"] == "配置換・兼務"
    assert users["200006"]["状態"] == "休職" and users["200006"]["組織パス"] == "企画財政部/DX推進課"
    managers = rows_of(ex.skysea_managers())
    assert {(m["組織コード"], m["管理者ユーザーID"]) for m in managers} == {("110100", "u200002")}


def test_workflow_routes_resolve_approvers_and_flag_vacancies():
    d = seeded(STAFF)
    ex = exports_for(run(ALL_KINDS, d))
    routes = rows_of(ex.workflow_routes())
    hisho = [r for r in routes if r["組織コード"] == "110100"]
    assert hisho[0]["承認者ユーザーID"] == "u200002"  # promoted to 課長 in place of the retiree
    assert hisho[1]["承認者氏名"] == "（空席）"
    assert any("110100 秘書課 第2段階 部長 が空席" in w for w in ex.warnings)


def test_transfer_system_lists_follow_routes():
    d = seeded(STAFF)
    ex = exports_for(run(ALL_KINDS, d))
    inet = {r["職員番号"] for r in rows_of(ex.transfer_users("internet_lgwan", "g-xfer-internet-lgwan"))}
    mynum = {r["職員番号"] for r in rows_of(ex.transfer_users("lgwan_mynumber", "g-xfer-lgwan-mynumber"))}
    assert "270001" in inet and "270001" in mynum  # こども家庭センター has both routes
    assert "200004" in inet and "200004" not in mynum  # 水道課: internet_lgwan only
    assert "200001" not in inet and "200006" not in inet  # retired, on leave


def test_pcs_move_with_their_users_and_the_input_is_not_touched():
    d = seeded(STAFF)
    ex = exports_for(run(ALL_KINDS, d))
    header = ["資産番号", "種別", "設置場所", "所属", "利用者"]
    rows = [
        {
            "資産番号": "NB-1",
            "種別": "ノートPC",
            "設置場所": "守口市役所本庁舎 3階",
            "所属": "人事課の旧パス",
            "利用者": "x",
        },
        {
            "資産番号": "NB-2",
            "種別": "ノートPC",
            "設置場所": "守口市役所本庁舎 4階",
            "所属": "総務部/人事課",
            "利用者": "鈴木　一郎",
        },
        {
            "資産番号": "NB-3",
            "種別": "ノートPC",
            "設置場所": "守口市役所本庁舎 2階",
            "所属": "市民税務部/課税課",
            "利用者": "a",
        },
        {
            "資産番号": "DT-1",
            "種別": "デスクトップPC",
            "設置場所": "守口市役所本庁舎 4階",
            "所属": "総務部/人事課",
            "利用者": "鈴木　一郎",
        },
        {
            "資産番号": "NB-4",
            "種別": "ノートPC",
            "設置場所": "守口市役所本庁舎 1階",
            "所属": "市長公室/秘書課",
            "利用者": "山田 太郎",
        },
        {
            "資産番号": "NB-5",
            "種別": "ノートPC",
            "設置場所": "守口市水道局",
            "所属": "水道局/水道総務課",
            "利用者": "共用",
        },
        {
            "資産番号": "NB-6",
            "種別": "ノートPC",
            "設置場所": "本庁",
            "所属": "企画財政部/デジタル戦略課",
            "利用者": "田中　健",
        },
    ]
    original = [dict(r) for r in rows]
    new_rows, changes = ex.ledger(header, rows, {"ノートPC"}, {})
    by_asset = {r["資産番号"]: r for r in new_rows}
    assert (
        by_asset["NB-2"]["所属"] == "市民税務部/課税課"
        and by_asset["NB-2"]["設置場所"] == "守口市役所本庁舎 2階"
    )
    assert by_asset["DT-1"]["所属"] == "総務部/人事課"  # desktops stay
    assert by_asset["NB-4"]["利用者"] == "未割当"  # a retiree's PC comes back (space-insensitive name match)
    assert by_asset["NB-5"]["所属"] == "水道局/水道課"  # an abolished department's PC goes to its successor
    assert by_asset["NB-6"]["所属"] == "企画財政部/DX推進課"  # renamed department
    assert rows == original
    assert {c[0] for c in changes} == {"NB-2", "NB-4", "NB-5", "NB-6"}


LEDGER = [
    {
        "資産番号": "NB-2",
        "種別": "ノートPC",
        "設置場所": "4階",
        "所属": "総務部/人事課",
        "利用者": "鈴木　一郎",
    },
    {"資産番号": "NB-3", "種別": "ノートPC", "設置場所": "2階", "所属": "市民税務部/課税課", "利用者": "a"},
    {
        "資産番号": "NB-4",
        "種別": "ノートPC",
        "設置場所": "1階",
        "所属": "市長公室/秘書課",
        "利用者": "山田　太郎",
    },
]


def files_of(result):
    ex = exports_for(result)
    ledger = ex.ledger(list(LEDGER[0]), [dict(r) for r in LEDGER], {"ノートPC"}, {})
    people = sorted((p.staff_no, p.old_dept, p.new_dept, p.title) for p in result.people.values())
    tables = [ex.skysea_organisation(), ex.skysea_users(), ex.skysea_managers(), ex.workflow_routes()]
    return [*tables, ledger, people]


def test_files_are_the_same_before_prepare_after_it_and_after_cutover():
    d = seeded(STAFF)
    first = files_of(run(ALL_KINDS, d))
    assert first[4][1], "the ledger has PCs to move"
    apply(run(ALL_KINDS, d), d, "prepare")
    assert files_of(run(ALL_KINDS, d)) == first
    apply(run(ALL_KINDS, d), d, "cutover")
    assert files_of(run(ALL_KINDS, d)) == first


def test_cp932_rendering_keeps_extension_kanji_and_refuses_what_it_cannot_carry():
    data = hx.render_csv(["氏名"], [["髙橋　美咲"], ["山﨑　直子"]])
    assert data.decode("cp932").splitlines() == ["氏名", "髙橋　美咲", "山﨑　直子"] and b"\r\n" in data
    assert list(csv.reader(io.StringIO(data.decode("cp932"))))[1] == ["髙橋　美咲"]
    with pytest.raises(UnicodeEncodeError):
        hx.render_csv(["氏名"], [["𠮷田　太郎"]])
    assert hx.sha256(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_committed_april_files_are_what_the_generator_makes():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, str(ROOT / "tools/generate_transfer_list.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def _scanning_approver(ex, dept, step, records, org):
    """The approver as found before the indexes: scan all staff in staff-number order."""
    titles = ex.approvers.get(step, [step])
    found = [
        (no, r)
        for no, r in sorted(records.items())
        if r["dept"] == dept.code and r["status"] == "在職" and r["title"] in titles
    ]
    if not found and step in hx.DIVISION_LEVEL:
        division = {d.code for d in org.departments.values() if d.division == dept.division}
        found = [
            (no, r)
            for no, r in sorted(records.items())
            if r["dept"] in division and r["status"] == "在職" and r["title"] in titles
        ]
    return found[0][0] if found else None


def test_indexed_approvers_are_the_ones_a_scan_of_all_staff_finds():
    from ansible.module_utils.hr_transfer import plan as hp
    from ansible.module_utils.hr_transfer import transfer_list as hl
    from test_hr_plan import OPTIONS, TRANSFER, roster_snapshot

    orders, issues, _enc = hl.parse((TRANSFER / "hr_transfer_list.csv").read_bytes())
    current, nxt, diff = orgs()
    result = hp.plan(orders, issues, current, nxt, roster_snapshot().snapshot(), diff, OPTIONS)
    assert result.issues == []
    for approvers in (None, {"課長": ["課長", "参事"], "部長": ["次長", "部長"]}):
        ex = hx.Exports(current, nxt, diff, result.final, result.people, "u", approvers)
        checked = 0
        for records, org in ((result.final, nxt), (result.before, current)):
            for dept in org.departments.values():
                for step in (*dept.approval_route, "局長", "次長"):
                    assert ex.approver(dept, step, records, org)[0] == _scanning_approver(
                        ex, dept, step, records, org
                    ), (dept.code, step)
                    checked += 1
        assert checked > 100
