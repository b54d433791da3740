"""Every value of a personnel transfer against every target it reaches, before the first change
(plugins/module_utils/hr_transfer/limits.py, called from run.plan_from_inputs): directory attribute
limits and characters, each import file's encoding (the HR list, the PC ledger, the organisation
masters), and rows saved in another encoding. Each error names file, line and column; a refused
input changes nothing (the module-level test runs plan_from_inputs over an in-memory directory)."""

from __future__ import annotations

import pytest
from ansible.module_utils.hr_transfer import limits as hlim  # noqa: E402
from ansible.module_utils.hr_transfer import run as hrun  # noqa: E402
from ansible.module_utils.hr_transfer import transfer_list as hl  # noqa: E402
from test_hr_plan import LIVE, NEXT, ROOT, STAFF, TRANSFER, orgs, roster_snapshot, seeded  # noqa: E402

HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"
GOOD = "200002,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2027/04/01"


def listing(*rows, encoding="utf-8-sig"):
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def problems(*rows, encoding="cp932", prefix="u"):
    orders, issues, _enc = hl.parse(listing(*rows))
    assert issues == [], [i.render() for i in issues]
    return hlim.target_problems(orders, account_prefix=prefix, encoding=encoding)


def only(issues):
    assert len(issues) == 1, [i.render() for i in issues]
    return issues[0]


# ---- the directory's limits and characters ---------------------------------------------------
@pytest.mark.parametrize(
    ("row", "column", "name", "expected"),
    [
        # a NUL in a name: AD refuses it in the middle of prepare
        (
            "270001,德永\x00蓮,トクナガ　レン,採用,,110100,主事,2027/04/01",
            2,
            "氏名",
            "3文字目: NUL（U+0000）",
        ),
        # another control character (ESC) in a title
        (
            "200002,佐藤　花子,サトウ　ハナコ,昇任,110100,110100,課長\x1b,2027/04/01",
            7,
            "新職名",
            "3文字目: 制御文字（U+001B）",
        ),
        # a TAB inside a name, a line break inside a quoted title
        (
            "270001,德永\t蓮,トクナガ　レン,採用,,110100,主事,2027/04/01",
            2,
            "氏名",
            "3文字目: 改行・タブ（TAB",
        ),
        (
            '200002,佐藤　花子,サトウ　ハナコ,昇任,110100,110100,"課長\n補佐",2027/04/01',
            7,
            "新職名",
            "3文字目: 改行・タブ（LF",
        ),
        # bidi override (RLO) and a zero-width space
        (
            "270001,德永\u202e蓮,トクナガ　レン,採用,,110100,主事,2027/04/01",
            2,
            "氏名",
            "双方向制御文字 RLO（U+202E）",
        ),
        (
            "270001,德永　蓮,トクナガ\u200bレン,採用,,110100,主事,2027/04/01",
            3,
            "氏名カナ",
            "見えない書式文字（U+200B",
        ),
        # lengths: displayName 256, title 128, msDS-PhoneticDisplayName 256
        (
            f"270001,{'德' * 60}　{'蓮' * 196},トクナガ,採用,,110100,主事,2027/04/01",
            2,
            "氏名",
            "257 文字あります（AD の displayName は 256",
        ),
        (
            f"270001,德永　蓮,トクナガ,採用,,110100,{'係' * 129},2027/04/01",
            7,
            "新職名",
            "129 文字あります（AD の title は 128",
        ),
        (
            f"270001,德永　蓮,{'ト' * 300},採用,,110100,主事,2027/04/01",
            3,
            "氏名カナ",
            "msDS-PhoneticDisplayName は 256",
        ),
        (f"270001,{'德' * 65}　蓮,トクナガ,採用,,110100,主事,2027/04/01", 2, "氏名", "姓（sn）が 65 文字"),
        # the account name: prefix + staff number, 20 characters at most
        (
            "12345678901234567890,德永　蓮,トクナガ,採用,,110100,主事,2027/04/01",
            1,
            "職員番号",
            "u12345678901234567890 が 21 文字",
        ),
    ],
    ids=[
        "nul",
        "esc",
        "tab",
        "lf",
        "rlo",
        "zwsp",
        "displayName",
        "title",
        "phonetic",
        "sn",
        "sAMAccountName",
    ],
)
def test_a_value_the_directory_refuses_is_an_input_error_of_its_line_and_column(row, column, name, expected):
    issues = problems(row)
    assert {(i.line, i.column, i.column_name) for i in issues} == {(2, column, name)}
    issue = next(i for i in issues if expected in i.message)
    assert (issue.line, issue.column, issue.column_name) == (2, column, name)
    assert expected in issue.message
    assert issue.render("list.csv").startswith(f"list.csv 2行目 {column}列目（{name}）")


def test_a_line_break_is_allowed_nowhere_it_reaches_the_directory_but_lengths_are_counted_per_value():
    assert problems(GOOD) == []
    assert problems(f"270001,{'德' * 60}　{'蓮' * 60},トクナガ,採用,,110100,主事,2027/04/01") == []


# ---- the import files' encoding ------------------------------------------------------------------
def test_a_character_cp932_cannot_carry_is_an_error_where_the_import_files_are_cp932_only():
    row = "270001,𠮷田　太郎,ヨシダ　タロウ,採用,,110100,主事,2027/04/01"
    issue = only(problems(row))
    assert (issue.line, issue.column, issue.column_name) == (2, 2, "氏名")
    assert "1文字目: 「𠮷」（U+20BB7）は CP932 で書けません" in issue.message
    assert problems(row, encoding="utf-8-sig") == []  # the import files in UTF-8 carry it


def test_a_radical_in_place_of_a_kanji_is_refused_with_the_kanji_to_use():
    # ⾧ (U+2FA7) is not 長: 課⾧ would silently miss the manager group; 長谷川 would not match the ledger
    issues = problems(
        "200002,佐藤　花子,サトウ　ハナコ,昇任,110100,110100,課⾧,2027/04/01",
        "270002,⾧谷川　蓮,ハセガワ　レン,採用,,110100,主事,2027/04/01",
        encoding="utf-8-sig",
    )
    assert [(i.line, i.column) for i in issues] == [(2, 7), (3, 2)]
    assert (
        "2文字目: 部首の文字「⾧」（U+2FA7" in issues[0].message
        and "「長」（U+9577）に直して" in issues[0].message
    )
    assert "管理職の判定" in issues[0].message
    assert "1文字目: 部首の文字「⾧」" in issues[1].message


def test_a_compatibility_ideograph_cp932_carries_is_accepted_one_it_cannot_names_its_form():
    assert problems("270001,山﨑　蓮,ヤマザキ　レン,採用,,110100,主事,2027/04/01") == []  # 﨑 U+FA11
    assert (
        problems("270001,\uf9dc田　蓮,タカダ　レン,採用,,110100,主事,2027/04/01") == []
    )  # 隆 U+F9DC (IBM ext.)
    issue = only(problems("270001,\ufa5c田　蓮,タカダ　レン,採用,,110100,主事,2027/04/01"))  # 臭 U+FA5C
    assert "互換文字です。「臭」に直してください" in issue.message


def test_an_external_origin_reaches_plan_by_person_and_must_be_cp932():
    issue = only(problems("279001,濵田　湊,ハマダ　ミナト,転入,𠮷野町,120200,主査,2027/04/01"))
    assert (issue.column, issue.column_name) == (5, "旧所属")


def test_a_bad_account_prefix_is_reported_once_as_a_module_argument():
    issues = problems(GOOD, prefix="u@")
    assert [i.render() for i in issues] == [
        "モジュール引数 全体 列「account_prefix」: "
        "account_prefix 'u@' に sAMAccountName に使えない文字があります: '@'"
    ]


# ---- the PC ledger ---------------------------------------------------------------------------
LEDGER_HEADER = "資産番号,種別,設置場所,所属,利用者,備考"


def ledger(*rows, encoding="cp932", raw=b""):
    data = ("\r\n".join([LEDGER_HEADER, *rows]) + "\r\n").encode(encoding) + raw
    return hlim.read_table(data, "pc_assets.csv")


def test_a_ledger_cell_the_ledger_copy_cannot_carry_is_an_error_of_the_ledger_line_and_column():
    table = ledger("NB-1,ノートPC,本庁,総務部/人事課,鈴木　一郎,", encoding="utf-8-sig")
    table.rows.append((3, {"資産番号": "NB-2", "利用者": "𠮷田　花子", "備考": "𠮷"}))
    # UTF-8 with BOM ledger: its copy stays UTF-8, but 利用者 reaches plan_by_person.csv (CP932)
    issue = only(hlim.ledger_problems(table, "cp932"))
    assert issue.render() == (
        "pc_assets.csv 3行目 5列目（利用者）: 1文字目: "
        "「𠮷」（U+20BB7）は CP932 で書けません（plan_by_person.csv）"
    )
    assert hlim.ledger_problems(table, "utf-8-sig") == []
    # a UTF-8 ledger without BOM is written back as CP932: every column counts
    table.encoding = "utf-8"
    assert [(i.column_name, i.message.rsplit("（", 1)[1]) for i in hlim.ledger_problems(table, "cp932")] == [
        ("利用者", "pc_assets.csv・plan_by_person.csv）"),
        ("備考", "pc_assets.csv）"),
    ]


def test_a_utf8_row_in_a_cp932_ledger_is_an_error_of_its_line_and_column_not_mojibake():
    table = ledger(
        "NB-1,ノートPC,本庁,総務部/人事課,鈴木　一郎,",
        raw="NB-2,ノートPC,本庁,総務部/人事課,山田　太郎,\r\n".encode(),
    )
    issue = only(hlim.ledger_problems(table))
    assert (issue.file, issue.line, issue.column, issue.column_name) == ("pc_assets.csv", 3, 2, "種別")
    assert "この行だけ UTF-8 で保存されています（ファイルは CP932）" in issue.message
    assert table.rows[1][1]["利用者"] == "山田　太郎"  # read as what it is, for the message


# ---- the organisation masters ------------------------------------------------------------------
def test_a_department_name_the_import_files_cannot_carry_is_named_by_master_and_code():
    import copy

    bad = copy.deepcopy(NEXT)
    bad["jichitai_departments"][0]["name"] = "𠮷野課"
    current, nxt, _diff = orgs(bad)
    issues = hlim.target_problems([], orgs=[("新しい所属マスタ", nxt)])
    assert [i.render() for i in issues] == [
        "新しい所属マスタ 全体: 新しい所属マスタ 所属コード 110100 の name: 1文字目: 「𠮷」（U+20BB7）は"
        " CP932 で書けません（SKYSEA・ワークフロー・転送システムの取込ファイルと plan_by_person.csv）。"
        "人事課で代わりの字（例: 𠮷→吉）に直すか、外字の扱いを決めてください"
    ]
    assert hlim.target_problems([], orgs=[("現行", current)]) == []


# ---- the real inputs have none ---------------------------------------------------------------
def test_the_april_list_the_ledger_and_the_masters_have_no_problem():
    orders, issues, _enc = hl.parse((TRANSFER / "hr_transfer_list.csv").read_bytes())
    assert issues == []
    table = hlim.read_table(
        (ROOT / "inventories/moriguchi/ledgers/pc_assets.csv").read_bytes(), "pc_assets.csv"
    )
    current, nxt, _diff = orgs()
    assert hlim.target_problems(orders, ledger=table, orgs=[("現", current), ("新", nxt)]) == []
    assert LIVE and len(table.rows) > 1000


# ---- through the modules' common step: every error together, nothing changed -------------------
class _Connection:
    def connect(self):
        return self

    def close(self):
        self.closed = True


def plan_inputs(monkeypatch, tmp_path, rows, ledger_bytes=None, directory=None):
    directory = directory or seeded(STAFF)
    monkeypatch.setattr(hrun, "LdapDirectory", lambda *a: _Connection())
    monkeypatch.setattr(hrun.hr_transfer_ad, "read_snapshot", lambda *a: (directory.snapshot(), 0.0))
    hr_list = tmp_path / "hr_transfer_list.csv"
    hr_list.write_bytes(listing(*rows, encoding="cp932") if isinstance(rows, tuple) else rows)
    params = {
        "hr_list": str(hr_list),
        "organisation": LIVE,
        "organisation_next": NEXT,
        "effective_date": "2027-04-01",
        "ldap_url": "ldaps://x",
        "ldap_bind_dn": "x",
        "ldap_bind_password": "x",
        "ldap_ca_file": "x",
        "ldap_base_dn": "DC=lab,DC=jichitai,DC=test",
        "departments_ou": "OU=Departments",
        "account_prefix": "u",
        "upn_suffix": None,
        "kana_attribute": "msDS-PhoneticDisplayName",
        "route_groups": hrun.DEFAULT_ROUTE_GROUPS,
        "route_groups_ou": "CN=Users",
        "encoding": "cp932",
    }
    if ledger_bytes is not None:
        params["ledger"] = str(tmp_path / "pc_assets.csv")
        (tmp_path / "pc_assets.csv").write_bytes(ledger_bytes)
    return params, directory


def test_plan_from_inputs_refuses_every_target_problem_together_and_changes_nothing(monkeypatch, tmp_path):
    before_list = listing(encoding="cp932")
    rows = (
        "270001,德永\x00蓮,トクナガ　レン,採用,,110100,主事,2027/04/01",
        "200002,佐藤　花子,サトウ　ハナコ,昇任,110100,110100,課⾧,2027/04/01".replace("⾧", "長"),
    )
    data = before_list + (rows[0] + "\r\n").encode("cp932") + (rows[1] + "\r\n").encode("cp932")
    data += "200003,鈴木　一郎,スズキ　イチロウ,配置換,120200,140100,主\t査,2027/04/01\r\n".encode("cp932")
    data += "270002,⾧谷川　蓮,ハセガワ　レン,採用,,110100,主事,2027/04/01\r\n".encode()  # a UTF-8 row
    ledger_bytes = (LEDGER_HEADER + "\r\nNB-1,ノートPC,本庁,総務部/人事課,𠮷田　花子,\r\n").encode("utf-8")
    params, directory = plan_inputs(monkeypatch, tmp_path, data, ledger_bytes)
    entries = {k: dict(v) for k, v in directory.entries.items()}
    with pytest.raises(hrun.InputProblems) as caught:
        hrun.plan_from_inputs(params)
    assert caught.value.problems == [
        "hr_transfer_list.csv 2行目 2列目（氏名） 職員番号 270001: 3文字目: NUL（U+0000）は使えません"
        "（AD が拒否し、取込ファイルを壊します）",
        "hr_transfer_list.csv 4行目 7列目（新職名） 職員番号 200003: "
        "2文字目: 改行・タブ（TAB, U+0009）は使えません"
        "（1 行の値です）",
        "hr_transfer_list.csv 5行目 2列目（氏名）: この行だけ UTF-8 で保存されています（ファイルは CP932）。"
        "行の内容: 270002,⾧谷川　蓮,ハセガワ　レン,採用,,110100,主事,2027/04/01",
        "hr_transfer_list.csv 5行目 2列目（氏名） 職員番号 270002: "
        "1文字目: 部首の文字「⾧」（U+2FA7 KANGXI RADICAL LONG）"
        "は漢字ではありません。「長」（U+9577）に直してください（職名なら管理職の判定も外れます）",
        "pc_assets.csv 2行目 5列目（利用者）: 1文字目: 「𠮷」（U+20BB7）は CP932 で書けません"
        "（pc_assets.csv・plan_by_person.csv）",
    ]
    assert directory.writes == 0 and {k: dict(v) for k, v in directory.entries.items()} == entries
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hr_transfer_list.csv", "pc_assets.csv"]


def test_plan_from_inputs_accepts_the_april_list(monkeypatch, tmp_path):
    data = (TRANSFER / "hr_transfer_list.csv").read_bytes()
    ledger_bytes = (ROOT / "inventories/moriguchi/ledgers/pc_assets.csv").read_bytes()
    params, _d = plan_inputs(monkeypatch, tmp_path, data, ledger_bytes, roster_snapshot())
    ctx = hrun.plan_from_inputs(params)
    assert ctx.result.issues == [] and len(ctx.orders) == 400


def test_a_module_that_writes_no_import_file_checks_what_the_directory_refuses():
    # ad_personnel has no `encoding`: the import files (and their encoding) are import_files' part,
    # which the role runs before any other change; a utf-8-sig import must not fail ad_personnel later
    orders, issues, _enc = hl.parse(
        listing(
            "270001,𠮷田　太郎,ヨシダ　タロウ,採用,,110100,主事,2027/04/01",
            "270002,德永\x00蓮,トクナガ　レン,採用,,110100,主事,2027/04/01",
        )
    )
    current, _nxt, _diff = orgs(None)
    hr, other = hlim.check_inputs({"account_prefix": "u"}, orders, current, current)
    assert [(i.line, i.column, i.message.split("（")[0]) for i in hr] == [
        (3, 2, "3文字目: NUL")
    ] and other == []
    hr, other = hlim.check_inputs({"account_prefix": "u", "encoding": "cp932"}, orders, current, current)
    assert [(i.line, i.column) for i in hr] == [(2, 2), (3, 2)]
    hr, other = hlim.check_inputs({"account_prefix": "u", "encoding": "utf-8-sig"}, orders, current, current)
    assert [(i.line, i.column) for i in hr] == [(3, 2)]
