"""The HR transfer list parser (plugins/module_utils/hr_transfer/transfer_list.py): encodings, width
normalisation, dates, and every bad row reported with its line number. No server needed."""

from __future__ import annotations

import pytest
from ansible.module_utils.hr_transfer import transfer_list as hl  # noqa: E402

HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"


def csv_bytes(*rows, header=HEADER, encoding="utf-8-sig", newline="\r\n"):
    return newline.join([header, *rows]).encode(encoding) + newline.encode()


def test_cp932_keeps_extension_kanji_in_both_byte_forms():
    # 髙 is 0xFBFC (IBM extension) or 0xEEE0 (NEC-selected IBM extension); 﨑 is 0xED95 / 0xFAB1
    row = "200001,{name},タカハシ　ハナコ,配置換,110100,120100,主事,2027/04/01"
    data = csv_bytes(row.format(name="髙橋　花子"), encoding="cp932")
    assert "髙".encode("cp932") in data
    data = data.replace("髙".encode("cp932"), b"\xfb\xfc")
    data += "200002,山﨑　一郎,ヤマザキ　イチロウ,退職,110100,,,2027/03/31\r\n".encode("cp932").replace(
        "﨑".encode("cp932"), b"\xfa\xb1"
    )
    orders, issues, encoding = hl.parse(data)
    assert issues == [] and encoding == "cp932"
    assert [o.name for o in orders] == ["髙橋　花子", "山﨑　一郎"]


def test_utf8_with_and_without_bom():
    row = "200001,德永　蓮,トクナガ　レン,採用,,110100,主事,2027-04-01"
    for encoding, expected in (("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8")):
        orders, issues, enc = hl.parse(csv_bytes(row, encoding=encoding))
        assert issues == [] and enc == expected and orders[0].name == "德永　蓮"


def test_codes_are_width_normalised_but_names_are_not():
    row = "２００００１,塚本　ﾀﾛｳ,ﾂｶﾓﾄ ﾀﾛｳ,配置換,１１０１００,１２０１００,主事,２０２７／４／１"
    (order,), issues, _ = hl.parse(csv_bytes(row))
    assert issues == []
    assert (order.staff_no, order.old_dept, order.new_dept, order.date) == (
        "200001",
        "110100",
        "120100",
        "2027-04-01",
    )
    assert order.kana == "ツカモト タロウ"  # half-width kana become full-width
    assert order.name == "塚本　ﾀﾛｳ"  # a name is kept exactly as HR wrote it


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2027-04-01", "2027-04-01"),
        ("2027/4/1", "2027-04-01"),
        ("20270401", "2027-04-01"),
        ("2027年4月1日", "2027-04-01"),
        ("令和9年4月1日", "2027-04-01"),
        ("R9.4.1", "2027-04-01"),
        ("平成31年4月30日", "2019-04-30"),
        ("令和元年5月1日", "2019-05-01"),
        ("2027/02/30", None),
        ("4月1日", None),
        ("", None),
    ],
)
def test_dates(text, iso):
    assert hl.parse_date(text) == iso


def test_missing_column_is_reported_on_line_one_and_stops_there():
    header = "職員番号,氏名,異動区分,旧所属,新所属,新職名"
    orders, issues, _ = hl.parse(csv_bytes("200001,山田　太郎,配置換,110100,120100,主事", header=header))
    assert orders == []
    assert [(i.line, i.message) for i in issues] == [(1, "必須の列がありません: 氏名カナ, 発令日")]


def test_every_bad_row_is_reported_with_its_line():
    data = csv_bytes(
        "200001,山田　太郎,ヤマダ　タロウ,配置換,110100,120100,主事,2027/04/01",  # line 2, fine
        "",  # line 3, blank lines are skipped but counted
        "20-01,佐藤　花子,サトウ　ハナコ,配置換,110100,120100,主事,2027/04/01",  # line 4: staff number
        "200003,,スズキ,配置換,110100,120100,主事,2027/04/01",  # line 5: no name
        "200004,鈴木　一郎,スズキ　イチロウ,異動,110100,120100,主事,2027/04/01",  # line 6: kind
        "200005,田中　健,タナカ　ケン,配置換,110100,120100,主事,2027/13/01",  # line 7: date
        "270001,髙橋　蓮,,採用,,110100,,2027/04/01",  # line 8: hire without kana and title
        "200006,伊藤　誠,イトウ　マコト,配置換,110100,120100",  # line 9: short row (and no date)
    )
    _orders, issues, _ = hl.parse(data)
    lines = sorted({i.line for i in issues})
    assert lines == [4, 5, 6, 7, 8, 9]
    text = "\n".join(i.render() for i in issues)
    for expected in (
        "4行目",
        "職員番号が不正",
        "氏名が空",
        "異動区分 '異動'",
        "発令日が日付ではありません",
        "採用には氏名カナが必要",
        "採用には新職名が必要",
        "列数が見出しと違います",
    ):
        assert expected in text


def test_empty_and_undecodable_files():
    assert hl.parse(b"")[1][0].message.startswith("見出し行がありません")
    assert hl.parse(csv_bytes())[1][0].message == "発令が 1 件もありません"
    assert "文字コード" in hl.parse(b"\x81\x00\xff\xfe")[1][0].message


def test_duplicate_header_columns():
    header = HEADER + ",氏名"
    _o, issues, _ = hl.parse(csv_bytes(header=header))
    assert issues[0].line == 1 and "列名が重複" in issues[0].message


# ---- rows saved in another encoding, and the column of every error --------------------------------
def test_a_utf8_row_in_a_cp932_list_is_an_error_of_its_line_and_column_not_mojibake():
    data = csv_bytes(
        "200001,髙橋　花子,タカハシ　ハナコ,配置換,110100,120100,主事,2027/04/01", encoding="cp932"
    )
    data += "200002,山田　太郎,ヤマダ　タロウ,退職,110100,,,2027/03/31\r\n".encode()
    data += "200003,山﨑　一郎,ヤマザキ　イチロウ,退職,110100,,,2027/03/31\r\n".encode("cp932")
    orders, issues, encoding = hl.parse(data, "list.csv")
    assert encoding == "cp932"
    assert [i.render() for i in issues] == [
        "list.csv 3行目 2列目（氏名）: この行だけ UTF-8 で保存されています（ファイルは CP932）。"
        "行の内容: 200002,山田　太郎,ヤマダ　タロウ,退職,110100,,,2027/03/31"
    ]
    assert [o.name for o in orders] == [
        "髙橋　花子",
        "山田　太郎",
        "山﨑　一郎",
    ]  # read as written, not mojibake


def test_a_cp932_row_in_a_utf8_list_is_an_error_of_its_line_and_column():
    for bom in (b"\xef\xbb\xbf", b""):
        data = bom + csv_bytes(
            "200001,德永　蓮,トクナガ　レン,配置換,110100,120100,主事,2027/04/01",
            "200004,田中　健,タナカ　ケン,配置換,110100,120100,主事,2027/04/01",
            encoding="utf-8",
        )
        data += "200002,ABC,ﾔﾏﾀﾞ ﾀﾛｳ,退職,110100,,,2027/03/31\r\n".encode("cp932")
        _orders, issues, encoding = hl.parse(data)
        assert encoding == ("utf-8-sig" if bom else "utf-8")
        ((line, column, name, message),) = [(i.line, i.column, i.column_name, i.message) for i in issues]
        assert (line, column, name) == (4, 3, "氏名カナ")
        assert message.startswith(
            f"この行だけ CP932（Shift_JIS） で保存されています（ファイルは {encoding}）"
        )


def test_bytes_in_neither_encoding_name_their_line_and_column():
    data = csv_bytes("200001,德永　蓮,トクナガ　レン,配置換,110100,120100,主事,2027/04/01", encoding="utf-8")
    data += b"200002,\xff\xfe,x,\xe9\x80,110100,,,2027/03/31\r\n"
    _orders, issues, _enc = hl.parse(data)
    assert (issues[0].line, issues[0].column, issues[0].column_name) == (3, 2, "氏名")
    assert "UTF-8 でも CP932 でもないバイトがあります（0xFF）" in issues[0].message


def test_every_row_error_names_its_column():
    rows = [
        "２０００Ｘ!,,,異動,110100,,,2027/13/01",
        "270001,德永　蓮,,採用,,110100,,2027/04/01",
    ]
    _orders, issues, _enc = hl.parse(csv_bytes(*rows), "list.csv")
    assert sorted((i.line, i.column, i.column_name) for i in issues) == [
        (2, 1, "職員番号"),
        (2, 2, "氏名"),
        (2, 4, "異動区分"),
        (2, 8, "発令日"),
        (3, 3, "氏名カナ"),
        (3, 7, "新職名"),
    ]
    assert all(i.render().startswith(f"list.csv {i.line}行目 {i.column}列目（") for i in issues)
