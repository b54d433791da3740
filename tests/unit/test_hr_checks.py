"""Input checks of the HR transfer list (hr_transfer/checks.py, run by the planner): a row naming
another person than the directory holds under its staff number, an order dated outside the transfer,
and doubtful rows (a concurrent post twice or in the own department, a move within its department,
one new hire under two staff numbers). Each case asserts the whole error as the modules report it:
the list's file, the line, and both values where two disagree; every case is reported in one pass
and nothing is planned. The directory is an in-memory snapshot read through the modules' own
entry point (hr_transfer/run.py) with the LDAP client replaced."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.module_utils.hr_transfer import ad as hr_transfer_ad
from ansible.module_utils.hr_transfer import checks as hr_transfer_checks
from ansible.module_utils.hr_transfer import plan as hr_transfer_plan
from ansible.module_utils.hr_transfer import run as hr_transfer_run
from ansible.module_utils.hr_transfer import transfer_list as hr_transfer_list
from ansible.module_utils.hr_transfer.plan import Account, Snapshot

ROOT = Path(__file__).resolve().parents[2]
BASE = "DC=lab,DC=jichitai,DC=test"
DEPT_OU = f"OU=Departments,{BASE}"
LIVE = yaml.safe_load(
    (ROOT / "inventories/moriguchi/group_vars/all/organisation.yml").read_text(encoding="utf-8")
)
HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"
DEPTS = {d["code"]: d for d in LIVE["jichitai_departments"]}

# staff_no, 氏名, 氏名カナ, department code (or None: in the retirees' OU), title, enabled, concurrent posts
STAFF = [
    ("300001", "山田　太郎", "ヤマダ　タロウ", "110100", "課長", True, []),
    ("300002", "佐藤　花子", "サトウ　ハナコ", "110100", "主事", True, []),
    ("300003", "鈴木　一郎", "スズキ　イチロウ", "120200", "主査", True, ["120300"]),
    ("300004", "髙橋　美咲", "タカハシ　ミサキ", "130300", "主任", True, []),
    ("300005", "田中　健", "タナカ　ケン", None, "主事", False, []),
    ("300006", "山﨑　直子", "ヤマザキ　ナオコ", "140100", "主事", False, []),
    ("300007", "伊藤　翔", "イトウ　ショウ", "140100", "主事", True, []),
    ("300008", "小林　誠", "", "140200", "主事", True, []),  # no kana in the directory
]


def snapshot():
    accounts, groups = {}, {}
    for code, dept in DEPTS.items():
        for group in dept["groups"].values():
            groups[group] = {"dn": f"CN={group},OU={code},{DEPT_OU}", "members": {}, "description": ""}
    for staff_no, name, kana, code, title, enabled, posts in STAFF:
        parent = f"OU={code},{DEPT_OU}" if code else f"OU=退職者,{BASE}"
        member_of = {DEPTS[c]["groups"]["staff"] for c in ([code] if code else []) + posts}
        accounts[staff_no] = Account(
            dn=f"CN=u{staff_no},{parent}",
            staff_no=staff_no,
            name=name,
            kana=kana,
            title=title,
            department=DEPTS[code]["name"] if code else "",
            uac=512 if enabled else 514,
            groups=member_of,
        )
    ous = {
        f"ou={c},{DEPT_OU}".lower(): {"dn": f"OU={c},{DEPT_OU}", "description": d["name"]}
        for c, d in DEPTS.items()
    }
    return Snapshot(accounts=accounts, groups=groups, ous=ous)


class NoLdap:
    """Stands in for LdapDirectory: the snapshot comes from snapshot(); nothing can be written."""

    def __init__(self, *args):
        self.closed = False

    def connect(self):
        return self

    def close(self):
        self.closed = True


@pytest.fixture
def transfer(tmp_path, monkeypatch):
    """plan(rows, effective_dates=()) writes the list (CP932, CRLF) and plans it like the modules do.
    Returns the Context, or the InputProblems raised."""
    snap = snapshot()
    monkeypatch.setattr(hr_transfer_run, "LdapDirectory", NoLdap)
    monkeypatch.setattr(hr_transfer_ad, "read_snapshot", lambda _d, _base, _kana: (snap, 0.0))

    def plan(rows, effective_dates=()):
        path = tmp_path / "hr_transfer_list.csv"
        path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp932"))
        params = {
            "hr_list": str(path),
            "organisation": LIVE,
            "organisation_next": None,
            "effective_date": "2027-04-01",
            "effective_dates": list(effective_dates),
            "ldap_url": "ldaps://dc.invalid",
            "ldap_bind_dn": "CN=x",
            "ldap_bind_password": "x",
            "ldap_ca_file": "/dev/null",
            "ldap_base_dn": BASE,
            "departments_ou": "OU=Departments",
            "account_prefix": "u",
            "upn_suffix": "lab.jichitai.test",
            "kana_attribute": "msDS-PhoneticDisplayName",
            "route_groups": {"internet_lgwan": "g-xfer-internet-lgwan"},
            "route_groups_ou": "CN=Users",
        }
        try:
            return hr_transfer_run.plan_from_inputs(params)
        except hr_transfer_run.InputProblems as exc:
            exc.path = path
            exc.before = snap
            return exc

    return plan


POSITION = {name: i + 1 for i, name in enumerate(HEADER.split(","))}


def doubt(line, column, staff_no):
    """The start of a line of the plan's doubts: line, column (position and header name), staff number."""
    where = f"{line}行目" + (f" {POSITION[column]}列目（{column}）" if column else "")
    return f"{where} 職員番号 {staff_no}: "


def at(line, column, staff_no):
    """The start of an error line: the list's file name, then as doubt()."""
    return f"hr_transfer_list.csv {doubt(line, column, staff_no)}"


def refused(outcome, *expected):
    """OUTCOME is a refusal naming the list's file and exactly the EXPECTED error lines; returns the
    lines that follow them (the doubts to check)."""
    assert isinstance(outcome, hr_transfer_run.InputProblems), "the list was accepted"
    head, *lines = str(outcome).split("\n")
    encoding = hr_transfer_list.parse(outcome.path.read_bytes())[2]
    assert head == (
        f"人事異動リスト {outcome.path}（{encoding}）に {len(outcome.problems)} 件の誤りがあります。"
        "何も変更していません:"
    )
    errors = lines[: len(outcome.problems)]
    assert errors == list(expected)
    return lines[len(outcome.problems) :]


def accepted(outcome):
    assert not isinstance(outcome, hr_transfer_run.InputProblems), str(outcome)
    return outcome.result


# ---- the normalisation is the parser's -----------------------------------------------------------
def test_names_are_compared_after_the_parsers_width_and_space_normalisation():
    assert hr_transfer_checks.name_key("ｻﾄｳ ﾊﾅｺ") == hr_transfer_checks.name_key("サトウ　ハナコ")
    assert (
        hr_transfer_checks.name_key("佐藤 花子") == "佐藤花子" == hr_transfer_checks.name_key(" 佐藤　花子 ")
    )
    assert hr_transfer_checks.name_key("ＡＢＣ") == hr_transfer_list.nfkc("ＡＢＣ") == "ABC"
    assert not hr_transfer_checks.same_name("髙橋　美咲", "高橋　美咲")  # kanji as written


def test_the_same_person_written_another_way_is_accepted(transfer):
    result = accepted(
        transfer(
            [
                "300002,佐藤 花子,ｻﾄｳ ﾊﾅｺ,配置換,110100,120100,主事,2027/04/01",
                "300003,鈴木一郎,スズキイチロウ,昇任,120200,120200,係長,令和9年4月1日",
                "300008,小林　誠,コバヤシ　マコト,配置換,140200,140300,主事,2027-04-01",  # AD has no kana
                "300005,田中　健,タナカ　ケン,退職,140100,,,2027/03/31",  # already retired: a re-run
            ]
        )
    )
    assert set(result.people) == {"300002", "300003", "300008", "300005"}
    assert result.warnings == []


# ---- 1. a row that names one person and points at another ---------------------------------------
def test_a_staff_number_of_another_person_is_refused_with_both_names(transfer):
    outcome = transfer(
        [
            # 2: a mover's number with another serving person's name
            "300002,山田　太郎,ヤマダ　タロウ,配置換,110100,120100,主事,2027/04/01",
            # 3: a retiree row: the number is someone else's
            "300001,渡辺　誠,ワタナベ　マコト,退職,110100,,,2027/03/31",
            # 4: a concurrent post, one kanji off
            "300003,鈴木　一朗,スズキ　イチロウ,兼務,120200,130100,主査（兼務）,2027/04/01",
            # 5: a new hire whose number collides with an existing account
            "300004,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
            # 6: 高 for 髙: not the directory's name
            "300006,山崎　直子,ヤマザキ　ナオコ,復職,140100,140100,,2027/04/01",
            # 7: the right name, the wrong kana
            "300007,伊藤　翔,イトウ　カケル,昇任,140100,140100,主任,2027/04/01",
            # 8: an account already in the retirees' OU, another name
            "300005,田中　建,タナカ　タケル,退職,140100,,,2027/03/31",
        ]
    )
    refused(
        outcome,
        f"{at(2, '氏名', '300002')}氏名が AD の職員番号 300002 の氏名と違います（リスト: 山田　太郎、"
        "AD: 佐藤　花子）。"
        "別の職員の番号ではありませんか。リストの氏名は AD では職員番号 300001 です",
        f"{at(3, '氏名', '300001')}氏名が AD の職員番号 300001 の氏名と違います（リスト: 渡辺　誠、"
        "AD: 山田　太郎）。"
        "別の職員の番号ではありませんか",
        f"{at(4, '氏名', '300003')}氏名が AD の職員番号 300003 の氏名と違います（リスト: 鈴木　一朗、"
        "AD: 鈴木　一郎）。"
        "別の職員の番号ではありませんか",
        f"{at(5, None, '300004')}採用の職員は既に AD にアカウントがあります"
        f"（CN=u300004,OU=130300,{DEPT_OU}）",
        f"{at(5, '氏名', '300004')}氏名が AD の職員番号 300004 の氏名と違います（リスト: 中村　蒼、"
        "AD: 髙橋　美咲）。"
        "別の職員の番号ではありませんか",
        f"{at(6, '氏名', '300006')}氏名が AD の職員番号 300006 の氏名と違います（リスト: 山崎　直子、"
        "AD: 山﨑　直子）。"
        "別の職員の番号ではありませんか",
        f"{at(7, '氏名カナ', '300007')}氏名カナが AD の職員番号 300007 の氏名カナと違います"
        "（リスト: イトウ　カケル、AD: イトウ　ショウ）",
        f"{at(8, '氏名', '300005')}氏名が AD の職員番号 300005 の氏名と違います（リスト: 田中　建、"
        "AD: 田中　健）。"
        "別の職員の番号ではありませんか",
    )


def test_a_number_not_in_the_directory_names_where_the_persons_name_is(transfer):
    refused(
        transfer(
            [
                "30002,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2027/04/01",  # a digit lost
                "399999,架空　花子,カクウ　ハナコ,退職,110100,,,2027/03/31",  # nobody of that name
            ]
        ),
        f"{at(2, None, '30002')}AD にアカウントがありません（配置換）。"
        "リストの氏名は AD では職員番号 300002 です",
        f"{at(3, None, '399999')}AD にアカウントがありません（退職）",
    )


def test_one_staff_number_with_two_kana_is_refused_on_each_row(transfer):
    outcome = transfer(
        [
            "390001,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
            "390001,中村　蒼,ナカムラ　ソウ,兼務,,130100,主事（兼務）,2027/04/01",
        ]
    )
    refused(
        outcome,
        f"{at(2, '氏名カナ', '390001')}"
        "職員番号 390001 の氏名カナが行によって違います（この行: ナカムラ　アオイ、3行目 ナカムラ　ソウ）",
        f"{at(3, '氏名カナ', '390001')}"
        "職員番号 390001 の氏名カナが行によって違います（この行: ナカムラ　ソウ、2行目 ナカムラ　アオイ）",
    )


# ---- 2. orders that do not belong to this transfer -----------------------------------------------
def test_an_order_of_another_date_is_refused_with_its_date_and_the_transfers(transfer):
    outcome = transfer(
        [
            "300002,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2024/04/01",  # years off
            "300003,鈴木　一郎,スズキ　イチロウ,昇任,120200,120200,係長,2027/10/01",  # the next transfer
            "300004,髙橋　美咲,タカハシ　ミサキ,配置換,130300,130100,主任,令和8年4月1日",  # era, a year off
            "300001,山田　太郎,ヤマダ　タロウ,退職,110100,,,2027/03/30",  # a retirement two days early
        ]
    )
    refused(
        outcome,
        f"{at(2, '発令日', '300002')}発令日 2024/04/01（2024-04-01）がこの異動の発令日（2027-04-01）"
        "ではありません。"
        "別の異動の発令ではありませんか",
        f"{at(3, '発令日', '300003')}発令日 2027/10/01（2027-10-01）がこの異動の発令日（2027-04-01）"
        "ではありません。"
        "別の異動の発令ではありませんか",
        f"{at(4, '発令日', '300004')}発令日 令和8年4月1日（2026-04-01）がこの異動の発令日（2027-04-01）"
        "ではありません。"
        "別の異動の発令ではありませんか",
        f"{at(5, '発令日', '300001')}発令日 2027/03/30（2027-03-30）がこの異動の発令日（2027-04-01）"
        "ではありません"
        "（退職はその前日も可）。別の異動の発令ではありませんか",
    )


def test_declared_dates_of_the_transfer_are_accepted_and_others_still_refused(transfer):
    rows = [
        "300003,鈴木　一郎,スズキ　イチロウ,昇任,120200,120200,係長,2027/10/01",
        "300001,山田　太郎,ヤマダ　タロウ,退職,110100,,,2027/09/30",  # the eve of a declared date
        "300002,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2027/07/01",
    ]
    refused(
        transfer(rows, effective_dates=["2027-10-01"]),
        f"{at(4, '発令日', '300002')}発令日 2027/07/01（2027-07-01）がこの異動の発令日（2027-04-01、"
        "2027-10-01）"
        "ではありません。別の異動の発令ではありませんか",
    )
    accepted(transfer(rows, effective_dates=["2027-10-01", "2027-07-01"]))


def test_a_declared_date_that_is_not_a_date_is_refused(transfer):
    refused(
        transfer(
            ["300002,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2027/04/01"],
            effective_dates=["R9.10.1"],
        ),
        "transfer.yml 全体: 発令日 'R9.10.1' が日付（YYYY-MM-DD）ではありません"
        "（personnel_transfer_effective_date / personnel_transfer_effective_dates）",
    )


# ---- 6. doubtful rows -----------------------------------------------------------------------------
def test_a_concurrent_post_ordered_twice_or_in_the_own_department_is_refused(transfer):
    outcome = transfer(
        [
            "300003,鈴木　一郎,スズキ　イチロウ,兼務,120200,130100,主査（兼務）,2027/04/01",
            "300003,鈴木　一郎,スズキ　イチロウ,兼務,120200,企画課,課長（兼務）,2027/04/01",  # by name
            "300002,佐藤　花子,サトウ　ハナコ,兼務,110100,１１０１００,主事（兼務）,2027/04/01",  # own dept
            "300007,伊藤　翔,イトウ　ショウ,配置換,140100,140300,主事,2027/04/01",
            "300007,伊藤　翔,イトウ　ショウ,配置換,140100,140300,主事,2027/04/01",  # the same row twice
        ]
    )
    refused(
        outcome,
        f"{at(2, '新所属', '300003')}同じ兼務先 130100 企画課 への兼務が重複しています（3行目）",
        f"{at(3, '新所属', '300003')}同じ兼務先 130100 企画課 への兼務が重複しています（2行目）",
        f"{at(4, '新所属', '300002')}兼務先 110100 秘書課 が本務の所属（AD）と同じです",
        f"{at(5, None, '300007')}同じ職員への配置換が重複しています（6行目）",
        f"{at(6, None, '300007')}同じ職員への配置換が重複しています（5行目）",
    )


def test_one_new_hire_under_two_staff_numbers_is_refused_when_everything_else_agrees(transfer):
    outcome = transfer(
        [
            "390001,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
            "390002,中村 蒼,ﾅｶﾑﾗ ｱｵｲ,採用,,総務課,主事,2027/04/01",
        ]
    )
    refused(
        outcome,
        f"{at(2, '氏名', '390001')}"
        "同じ氏名・氏名カナの採用が別の職員番号にもあります（3行目 職員番号 390002）。"
        "同じ人を二重に採用していませんか",
        f"{at(3, '氏名', '390002')}"
        "同じ氏名・氏名カナの採用が別の職員番号にもあります（2行目 職員番号 390001）。"
        "同じ人を二重に採用していませんか",
    )


def test_namesakes_a_move_within_the_department_and_a_hire_like_serving_staff_are_warned(transfer):
    result = accepted(
        transfer(
            [
                "390001,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
                "390002,中村　蒼,ナカムラ　アオイ,転入,大阪府,140100,主査,2027/04/01",  # another department
                "300002,佐藤　花子,サトウ　ハナコ,配置換,110100,110100,主事,2027/04/01",
                "390003,伊藤　翔,イトウ　ショウ,採用,,120100,主事,2027/04/01",
            ]
        )
    )
    assert result.warnings == [
        f"{doubt(2, '氏名', '390001')}"
        "同じ氏名・氏名カナの採用が別の職員番号にもあります（3行目 職員番号 390002）。"
        "同姓同名の別人か確認してください",
        f"{doubt(3, '氏名', '390002')}"
        "同じ氏名・氏名カナの転入が別の職員番号にもあります（2行目 職員番号 390001）。"
        "同姓同名の別人か確認してください",
        f"{doubt(4, '新所属', '300002')}配置換ですが旧所属と新所属が同じです（110100 秘書課）。"
        "課内の異動なら AD の所属は変わりません。新所属の誤りでないか確認してください",
        f"{doubt(5, '氏名', '390003')}採用の 伊藤　翔 と同じ氏名・氏名カナの職員が AD に在職しています"
        "（職員番号 300007）。同一人物なら既存の職員番号で発令してください",
    ]
    # the plan shows them once, with the prepare step (a check run plans both phases), one per line:
    # text, which Ansible's default callback prints (it fails on a list)
    prepare = hr_transfer_plan.render_diff(result, "prepare", result.ops_for("prepare"))
    assert prepare[-1] == {
        "before_header": "要確認（誤りではありません）",
        "before": "",
        "after": "".join(f"{warning}\n" for warning in result.warnings),
    }
    cutover = hr_transfer_plan.render_diff(
        result, "cutover", result.ops_for("cutover", pending_prepare=False)
    )
    assert all(e["before_header"] != "要確認（誤りではありません）" for e in cutover)


# ---- all together, one pass -------------------------------------------------------------------------
def test_every_class_is_reported_in_one_pass_with_the_doubts_and_nothing_is_planned(transfer):
    outcome = transfer(
        [
            "300002,山田　太郎,ヤマダ　タロウ,配置換,110100,120100,主事,2027/04/01",
            "300004,髙橋　美咲,タカハシ　ミサキ,配置換,130300,130100,主任,2026/04/01",
            "300003,鈴木　一郎,スズキ　イチロウ,兼務,120200,130100,主査（兼務）,2027/04/01",
            "300003,鈴木　一郎,スズキ　イチロウ,兼務,120200,130100,主査（兼務）,2027/04/01",
            "390001,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
            "390002,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
            "300007,伊藤　翔,イトウ　ショウ,配置換,140100,140100,主事,2027/04/01",
            "300008,小林　誠,,配置換,140200,999999,主事,2027/04/01",  # a check the planner had before
        ]
    )
    doubts = refused(
        outcome,
        f"{at(2, '氏名', '300002')}氏名が AD の職員番号 300002 の氏名と違います（リスト: 山田　太郎、"
        "AD: 佐藤　花子）。"
        "別の職員の番号ではありませんか。リストの氏名は AD では職員番号 300001 です",
        f"{at(3, '発令日', '300004')}発令日 2026/04/01（2026-04-01）がこの異動の発令日（2027-04-01）"
        "ではありません。"
        "別の異動の発令ではありませんか",
        f"{at(4, '新所属', '300003')}同じ兼務先 130100 企画課 への兼務が重複しています（5行目）",
        f"{at(5, '新所属', '300003')}同じ兼務先 130100 企画課 への兼務が重複しています（4行目）",
        f"{at(6, '氏名', '390001')}"
        "同じ氏名・氏名カナの採用が別の職員番号にもあります（7行目 職員番号 390002）。"
        "同じ人を二重に採用していませんか",
        f"{at(7, '氏名', '390002')}"
        "同じ氏名・氏名カナの採用が別の職員番号にもあります（6行目 職員番号 390001）。"
        "同じ人を二重に採用していませんか",
        f"{at(9, None, '300008')}新所属 999999 は所属マスタにありません（機構改革で新設される所属なら、"
        "新しい所属マスタを指定してください）",
    )
    assert doubts == [
        "要確認（誤りではありません）:",
        f"{doubt(8, '新所属', '300007')}配置換ですが旧所属と新所属が同じです（140100 課税課）。"
        "課内の異動なら AD の所属は変わりません。新所属の誤りでないか確認してください",
    ]
    assert outcome.before == snapshot()  # the snapshot the planner read is untouched
