"""The USB device control register (USB機器管理台帳, OPS-ENDPT §6-3(3)②): the lab's and the city's registers
are valid; every bad row is named with its line (hex ids, a serial or 管理番号 given twice, an unknown
department, an expiry date passed, an unknown kind or permission, a missing field, a row saved in another
encoding); the SKYSEA import file; the diff against the register last imported in Japanese; and the
module through Ansible - check mode writes nothing and shows the diff, a second run changes nothing."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.endpoint import usb

REPO = Path(__file__).resolve().parents[2]
AS_OF = datetime.date(2026, 12, 1)
HEADER = "管理番号,種別,メーカー,型番,シリアル番号,ベンダーID,プロダクトID,所属,利用者,許可区分,有効期限,備考"
GOOD = [
    "USB-0001,USBメモリ,SanDisk,SDCZ73-032G,4C530001,0781,5581,120100,佐藤　一郎,読み書き,2027-03-31,",
    "USB-0002,外付けHDD,BUFFALO,HD-PCFS1.0U3,SER-2,0x0411,0301,人事課,,読み取りのみ,2027/3/31,課共用",
    "USB-0003,スマートフォン,Apple,iPhone SE,SER-3,05ac,12a8,総務部/総務課,山田　花子,禁止,,私物",
]


def org(inventory="moriguchi"):
    path = REPO / "inventories" / inventory / "group_vars/all/organisation.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["jichitai_departments"]


ORG = org()


def data(*rows, encoding="utf-8-sig"):
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


def problems(*rows, as_of=AS_OF):
    with pytest.raises(usb.RegisterError) as err:
        usb.read(data(*rows), ORG, as_of)
    return err.value.problems


@pytest.mark.parametrize("inventory", ["lab", "moriguchi"])
def test_the_committed_registers_are_valid(inventory):
    register = REPO / "inventories" / inventory / "registers" / "usb_devices.csv"
    rows = usb.read(register.read_bytes(), org(inventory), AS_OF)
    assert len(rows) >= (30 if inventory == "moriguchi" else 10)
    assert {r["permission"] for r in rows} == set(usb.PERMISSIONS)


def test_rows_are_normalised():
    rows = usb.read(data(*GOOD), ORG, AS_OF)
    assert [(r["vid"], r["pid"]) for r in rows] == [("0781", "5581"), ("0411", "0301"), ("05AC", "12A8")]
    assert [r["department"] for r in rows] == ["120100", "120200", "120100"]
    assert [r["expires"] for r in rows] == ["2027-03-31", "2027-03-31", ""]
    assert [r["line"] for r in rows] == [2, 3, 4]
    assert rows[1]["skysea_group"] == "総務部/人事課" and rows[1]["department_name"] == "人事課"


def test_a_cp932_register_reads_the_same():
    assert usb.read(data(*GOOD, encoding="cp932"), ORG, AS_OF) == usb.read(data(*GOOD), ORG, AS_OF)


def test_every_bad_row_is_named_with_its_line():
    lines = problems(
        GOOD[0],
        "USB-0002,USBメモリ,BUFFALO,RUF3,SER-2,G411,12345,120100,,読み書き,,",
        "USB-0003,USBメモリ,BUFFALO,RUF3,4c530001,0411,01E8,120100,,読み書き,,",
        "USB-0004,USBメモリ,BUFFALO,RUF3,SER-4,0411,01E8,宇宙開発課,,読み書き,,",
        "USB-0005,USBメモリ,BUFFALO,RUF3,SER-5,0411,01E8,120100,,読み書き,2026-11-30,",
        "USB-0001,フロッピー,BUFFALO,RUF3,SER-6,0411,01E8,120100,,使ってよい,2026-02-30,",
        "USB-0007,USBメモリ,,RUF3,,0411,01E8,120100,,読み書き,,",
        "USB-0008,USBメモリ,BUFFALO,RUF3,SER-8,0411,01E8",
    )
    text = "\n".join(lines)
    hex_line = "ベンダーID 'G411' は 16 進 4 桁です（例 0781）; プロダクトID '12345' は 16 進 4 桁です"
    assert f"usb_devices.csv 3 行目（USB-0002）: {hex_line}" in text
    assert "usb_devices.csv 4 行目（USB-0003）: シリアル番号 4c530001 が 2 行目と重複しています" in text
    assert "usb_devices.csv 5 行目（USB-0004）: 所属 '宇宙開発課' は所属マスタにありません" in text
    assert "usb_devices.csv 6 行目（USB-0005）: 有効期限 2026-11-30 を過ぎています（2026-12-01 現在）" in text
    six = next(line for line in lines if line.startswith("usb_devices.csv 7 行目"))
    for part in ("種別 'フロッピー'", "許可区分 '使ってよい'", "有効期限 '2026-02-30' は日付ではありません",
                 "管理番号 USB-0001 が 2 行目と重複しています"):  # fmt: skip
        assert part in six, six
    assert "usb_devices.csv 8 行目（USB-0007）: メーカーが空です; シリアル番号が空です" in text
    assert "usb_devices.csv 9 行目: 列の数が 7 です（見出しは 12 列）" in text
    assert len(lines) == 7 and not any(" 2 行目（" in line for line in lines)


def test_a_department_name_two_departments_share_is_ambiguous():
    shared = [{"code": "1", "name": "総務課"}, {"code": "2", "name": "総務課"}]
    with pytest.raises(usb.RegisterError, match="所属 '総務課' は複数の所属に当たります"):
        usb.read(data("USB-1,USBメモリ,A,B,S,0781,5581,総務課,,読み書き,,"), shared, AS_OF)


def test_the_header_and_the_encoding_are_checked():
    with pytest.raises(usb.RegisterError, match="1 行目（見出し）: ない列: 備考; 知らない列: メモ"):
        usb.read(data().replace("備考".encode(), "メモ".encode()), ORG, AS_OF)
    with pytest.raises(usb.RegisterError, match="空です"):
        usb.read(b"", ORG, AS_OF)
    mixed = data(GOOD[0]) + (GOOD[1] + "\r\n").encode("cp932")
    with pytest.raises(usb.RegisterError, match="3 行目: この行だけ CP932"):
        usb.read(mixed, ORG, AS_OF)


def test_the_skysea_import_file():
    rows = usb.read(data(*GOOD), ORG, AS_OF)
    text = usb.skysea_csv(rows, "cp932").decode("cp932")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == list(usb.SKYSEA_COLUMNS)
    assert table[2] == ["BUFFALO HD-PCFS1.0U3", "外付けHDD", "0411", "0301", "SER-2", "読み取りのみ許可",
                        "総務部/人事課", "", "2027/03/31", "USB-0002", "課共用"]  # fmt: skip
    assert table[3][5] == "使用禁止"
    assert usb.skysea_csv(rows, "utf-8-sig").startswith(b"\xef\xbb\xbf")


def test_the_diff_against_the_register_last_imported():
    before = usb.read(data(*GOOD), ORG, AS_OF)
    added = "USB-0009,USBメモリ,ELECOM,MF-PSU3,SER-9,056E,6009,140100,,読み書き,,"
    after = usb.read(data(GOOD[0].replace("読み書き", "読み取りのみ"), GOOD[2], added), ORG, AS_OF)
    got = usb.diff(before, after)
    assert got["added"] == ["USB-0009"] and got["removed"] == ["USB-0002"]
    assert got["changed"] == [{"id": "USB-0001", "fields": [{"column": "許可区分", "before": "読み書き",
                                                              "after": "読み取りのみ"}]}]  # fmt: skip
    assert got["lines_ja"] == [
        "追加: USB-0009 USBメモリ ELECOM MF-PSU3（シリアル SER-9、課税課、読み書き）",
        "削除: USB-0002 外付けHDD BUFFALO HD-PCFS1.0U3（シリアル SER-2、人事課、読み取りのみ）",
        "変更: USB-0001 許可区分 読み書き → 読み取りのみ",
    ]
    assert usb.diff(after, after)["lines_ja"] == []


def test_the_register_as_imported_is_read_back_as_the_baseline_even_when_dates_passed():
    rows = usb.read(data(*GOOD), ORG, AS_OF)
    back = usb.read(usb.register_csv(rows), ORG, datetime.date(2028, 1, 1), baseline=True)
    assert usb.diff(rows, back)["lines_ja"] == []
    with pytest.raises(usb.RegisterError, match="過ぎています"):
        usb.read(usb.register_csv(rows), ORG, datetime.date(2028, 1, 1))


def run(book: Path, tmp_path: Path) -> list[dict]:
    env = os.environ | {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "JICHITAI_WORKPLAN_DIR": str(tmp_path / "plans"),
    }
    args = ["-i", "localhost,", "-c", "local", "--diff", "-e", f"ansible_python_interpreter={sys.executable}"]
    command = [str(REPO / ".venv/bin/ansible-playbook"), *args, str(book)]
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    report = json.loads(proc.stdout)
    return [t["hosts"]["localhost"] | {"name": t["task"]["name"]} for t in report["plays"][0]["tasks"]]


def test_the_module_plans_writes_once_and_refuses_a_bad_register(tmp_path):
    first, second, bad = tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "bad.csv"
    first.write_bytes(data(*GOOD))
    second.write_bytes(data(GOOD[0], GOOD[1].replace("0301", "0302")))
    bad.write_bytes(data(GOOD[0], GOOD[0].replace("USB-0001", "USB-0009")))
    out = tmp_path / "out"
    (tmp_path / "org.yml").write_text(yaml.safe_dump({"org": ORG}, allow_unicode=True), encoding="utf-8")

    def step(name, register, **extra):
        args = {"register": str(register), "departments": "{{ org }}", "output_dir": str(out)}
        return {"name": name, "usb_register": args | {"as_of": "2026-12-01"}, **extra}

    book = tmp_path / "book.yml"
    book.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                     "vars_files": [str(tmp_path / "org.yml")], "tasks": [
        step("plan", first, check_mode=True),
        step("apply", first),
        step("again", first),
        step("next plan", second, check_mode=True),
        step("next apply", second),
        step("bad", bad, ignore_errors=True),
    ]}], allow_unicode=True), encoding="utf-8")  # fmt: skip
    results = {r["name"]: r for r in run(book, tmp_path)}
    plan = results["plan"]
    assert plan["changed"] is True and plan["added"] == ["USB-0001", "USB-0002", "USB-0003"]
    assert plan["diff"]["prepared"].startswith("追加: USB-0001 USBメモリ SanDisk")
    assert {f["action"] for f in plan["files"]} == {"create"}
    assert results["apply"]["changed"] is True and results["again"]["changed"] is False
    assert {f["action"] for f in results["again"]["files"]} == {"unchanged"}
    assert results["next plan"]["changes_ja"] == [
        "削除: USB-0003 スマートフォン Apple iPhone SE（シリアル SER-3、総務課、禁止）",
        "変更: USB-0002 プロダクトID 0301 → 0302",
    ]
    assert results["next apply"]["changed"] is True
    assert sorted(os.listdir(out)) == [
        "skysea_usb_devices.csv",
        "usb_devices.csv",
        "usb_register.html",
        "usb_register.md",
    ]
    report = (out / "usb_register.md").read_text(encoding="utf-8")
    assert (
        "# USB機器管理台帳 取込ファイル作成報告" in report
        and "変更: USB-0002 プロダクトID 0301 → 0302" in report
    )
    assert "登録 2 台（読み書き 1 台、読み取りのみ 1 台、禁止 0 台）" in report
    assert results["bad"]["failed"] is True
    assert results["bad"]["problems"] == [
        "bad.csv 3 行目（USB-0009）: シリアル番号 4C530001 が 2 行目と重複しています"
    ]
    assert "\u5909\u66f4: USB-0002" in (out / "usb_register.html").read_text(encoding="utf-8")
