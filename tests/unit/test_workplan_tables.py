"""Change tables: the plan shows what a module changes as rows with Japanese columns, the raw diff in
an appendix."""

from jichitai_ops.workplan import documents, record, render, tables
from jichitai_ops.workplan import plan as plan_mod

DHCP = {
    "changed": True,
    "changed_hosts": ["dhcp01", "dhcp02"],
    "changes": [
        {"action": "add", "row": "row 25 (prn-5f-01)", "mac": "02:4a:00:10:05:01", "ip": "198.18.100.25",
         "hostname": "prn-5f-01", "before": None, "after": {}},
        {"action": "update", "row": "row 3", "mac": "02:4a:00:10:05:02", "ip": "198.18.100.26",
         "hostname": "pc-2", "before": {"ip-address": "198.18.100.99", "hostname": "pc-2"}, "after": {}},
        {"action": "remove", "mac": "02:4a:00:10:05:03", "ip": "198.18.100.27", "hostname": None,
         "before": {}, "after": None},
    ],
    "diff": [{"before": "a\n", "after": "a\nhw-address 02:4a:00:10:05:01\n"}],
}  # fmt: skip


def test_dhcp_changes_read_as_add_change_delete_with_the_ledger_row():
    t = tables.table("dhcp_reservations", DHCP)
    assert t["columns"][:5] == ["操作", "台帳の行", "MAC アドレス", "IP アドレス", "ホスト名"]
    assert [r[0] for r in t["rows"]] == ["追加", "変更", "削除"]
    assert t["rows"][0][1] == "row 25 (prn-5f-01)" and t["rows"][1][5] == "198.18.100.99 pc-2"
    assert all(r[-1] == "dhcp01・dhcp02" for r in t["rows"])


def test_personnel_changes_read_per_person():
    t = tables.table(
        "ad_personnel",
        {"people": [{"staff_no": "270001", "name": "守口 太郎", "kinds": ["転出"], "old_dept": "150600",
                     "new_dept": "190300", "title": "主事", "lines": [12]}]},
    )  # fmt: skip
    assert t["columns"][:5] == ["職員番号", "氏名", "異動の種類", "旧所属", "新所属"]
    assert t["rows"] == [["270001", "守口 太郎", "転出", "150600", "190300", "主事", "12"]]


def test_a_module_without_a_table_keeps_its_diff_and_a_hidden_result_has_no_table():
    assert tables.table("ansible.builtin.copy", {"changed": True}) is None
    rec = record.record(
        host="dhcp01", task="t", key="k", action="dhcp_reservations", role=None, handler=False, result=DHCP,
        status="ok", planning=True, no_log=True, ignore_errors=False, sensitive=False, ran_for_real=False,
        minutes=None, seq=1, occurrence=1, started=None, ended=None,
    )  # fmt: skip
    assert "table" not in rec["entries"][0]


def test_the_plan_shows_the_table_and_keeps_the_diff_in_the_appendix():
    rec = record.record(
        host="dhcp01", task="dhcp_sync : Make the pair match", key="k", action="dhcp_reservations", role=None,
        handler=False, result=DHCP, status="ok", planning=True, no_log=False, ignore_errors=False,
        sensitive=False, ran_for_real=False, minutes=None, seq=1, occurrence=1, started=None, ended=None,
        title_ja="DHCP 予約を台帳に合わせる",
    )  # fmt: skip
    plan = sample_plan([rec])
    for fmt in ("md", "html"):
        text = render.render_plan(documents.in_japanese(plan), "0" * 64, fmt)
        assert "DHCP 予約の変更" in text and "追加" in text and "row 25 (prn-5f-01)" in text
        assert "付録: 差分（技術者向け）" in text and "hw-address 02:4a:00:10:05:01" in text
        assert text.index("付録: 差分") < text.index("hw-address 02:4a:00:10:05:01")


def sample_plan(records):
    from test_workplan_render import guard  # the renderer tests' sample guard

    run = {"forks": 5, "check": True, "diff": True}
    return plan_mod.assemble_plan(guard(), records, run, guard()["hosts"])


def test_the_report_shows_the_table_of_what_was_changed():
    from jichitai_ops.workplan import report

    planned = record.record(
        host="dhcp01", task="t", key="k", action="dhcp_reservations", role=None, handler=False, result=DHCP,
        status="ok", planning=True, no_log=False, ignore_errors=False, sensitive=False, ran_for_real=False,
        minutes=None, seq=1, occurrence=1, started=None, ended=None,
    )  # fmt: skip
    actual = {**planned, "entries": [dict(e) for e in planned["entries"]]}
    built = report.build({"tasks": [planned]}, [actual], {"title": "t", "plan_id": "x", "run": {}})
    assert built["rows"][0]["verdict"] == "matched" and built["rows"][0]["table"]["rows"][0][0] == "追加"
    meta = {"mode": "apply", "started": "2026-12-13T09:30:00+09:00", "ended": "2026-12-13T09:40:00+09:00"}
    guard = {"id": "20261201T100000-0a1b2c3d", "mode": "apply", "meta": {"title": "t", "clause": "c"}}
    full = plan_mod.assemble_report(
        {"tasks": [planned], "title": "t", "clause": "c"},
        guard,
        [actual],
        {},
        meta["started"],
        meta["ended"],
        False,
    )
    text = render.render_report(full, "md")
    assert "| 追加 | row 25 (prn-5f-01) |" in text


def test_import_files_read_as_one_line_per_file():
    t = tables.table(
        "import_files",
        {"files": [{"name": "skysea_users.csv", "system": "SKYSEA", "rows": 1150, "sha256": "9f2c" * 16}]},
    )
    assert t["columns"][:3] == ["ファイル", "取込先", "行数"]
    assert t["rows"] == [["skysea_users.csv", "SKYSEA", 1150, "9f2c" * 4]]


def test_a_personnel_phase_reads_as_its_people_or_else_its_import_files():
    people = {"people": [{"staff_no": "100123", "name": "山田 太郎", "kinds": ["異動"], "lines": [2]}]}
    files = {"files": [{"name": "skysea_users.csv", "system": "SKYSEA", "rows": 3, "sha256": "ab" * 32}]}
    assert tables.table("personnel_phase", people | files)["title"] == "異動者ごとの変更"
    assert tables.table("personnel_phase", files)["rows"] == [["skysea_users.csv", "SKYSEA", 3, "ab" * 8]]
    assert tables.table("personnel_phase", {"changed": True}) is None


def test_dhcp_changes_of_several_scopes_name_their_scope():
    changes = [dict(c, subnet="10.10.16.0/20", scope="cityhall-pc") for c in DHCP["changes"]]
    scoped = dict(DHCP, changes=changes)
    t = tables.table("dhcp_reservations", scoped)
    assert t["columns"][-2:] == ["スコープ", "対象機器"]
    assert all(r[-2] == "cityhall-pc 10.10.16.0/20" and r[-1] == "dhcp01・dhcp02" for r in t["rows"])
    assert "スコープ" not in tables.table("dhcp_reservations", DHCP)["columns"]
