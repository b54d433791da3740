"""セキュリティパッチ適用状況 (REQUIREMENTS MNT-PATCH, PM-REPORT): the summary of one run's patch records
(tests/fixtures/patch/: LGWAN, Internet and My Number hosts, a PC not reached, an update failed with
0x80240022) and the patch_status_report module writing Markdown, HTML, Excel and the JSON record,
run through Ansible on the controller."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import openpyxl
import pytest
from ansible.module_utils.patch import status as st
from conftest import _adhoc

REPO = Path(__file__).resolve().parents[2]
RECORDS = json.loads((REPO / "tests/fixtures/patch/records_2026-12.json").read_text(encoding="utf-8"))
TITLES = {"KB5071001": "2026-12 Windows 11 Version 24H2 x64 ベース システム用の累積更新プログラム"}


def records():
    return copy.deepcopy(RECORDS)


def by_segment(summary):
    return {s["segment"]: s for s in summary["segments"]}


def test_counts_per_segment_with_not_reached_apart():
    summary = st.summarise(records())
    lgwan = by_segment(summary)["lgwan"]
    assert (lgwan["hosts"], lgwan["reached"], lgwan["not_reached"]) == (7, 6, 1)
    assert (lgwan["compliant"], lgwan["missing"], lgwan["failed"], lgwan["pending_reboot"]) == (3, 1, 1, 1)
    assert lgwan["compliance_percent"] == 50.0  # 3 of the 6 reached; the PC not reached is not in it
    mynumber = by_segment(summary)["mynumber"]
    assert (mynumber["compliant"], mynumber["reached"], mynumber["compliance_percent"]) == (2, 3, 66.7)
    total = summary["total"]
    assert (total["hosts"], total["reached"], total["not_reached"], total["compliant"]) == (12, 11, 1, 6)
    assert total["compliance_percent"] == 54.5
    assert summary["verdict"] == "critical"


def test_oldest_missing_age_in_days_per_segment():
    summary = st.summarise(records())
    assert summary["as_of"] == "2026-12-18"  # the latest check's day in Japan
    seg = by_segment(summary)
    assert (seg["internet"]["oldest_missing_days"], seg["internet"]["oldest_missing_host"]) == (
        64,
        "fs-inet01",
    )
    assert (seg["lgwan"]["oldest_missing_days"], seg["lgwan"]["oldest_missing_host"]) == (36, "LGTB0001")
    assert seg["mynumber"]["oldest_missing_days"] == 9
    assert summary["total"]["oldest_missing_days"] == 64
    later = st.summarise(records(), as_of="2026-12-31")
    assert later["total"]["oldest_missing_days"] == 77


def test_host_statuses_worst_first_and_the_failed_update_with_its_hresult():
    summary = st.summarise(records())
    hosts = {h["host"]: h for h in summary["hosts"]}
    assert summary["hosts"][0]["host"] == "LGNB0003" and summary["hosts"][0]["status"] == "not_reached"
    assert hosts["LGNB0003"]["oldest_missing_days"] is None
    failed = hosts["LGNB0002"]
    assert failed["status"] == "failed"
    assert [(f["kb"], f["hresult"]) for f in failed["failed"]] == [
        ("KB5071001", "0x80240022"),
        ("KB890830", "0x80240022"),
    ]
    assert "WU_E_ALL_UPDATES_FAILED" in failed["failed"][0]["hint_ja"]
    assert hosts["fs01"]["status"] == "pending_reboot"  # installed but not yet in effect: not compliant
    assert hosts["mnapp02"]["status"] == "missing" and hosts["mnapp02"]["missing"] == ["KB5071009"]
    order = [st.STATUSES.index(h["status"]) for h in summary["hosts"]]
    assert order == sorted(order)


def test_per_kb_matrix_counts():
    summary = st.summarise(records(), kb_titles=TITLES)
    kbs = {k["kb"]: k for k in summary["kbs"]}
    assert (kbs["KB5071001"]["installed"], kbs["KB5071001"]["failed"]) == (5, 1)
    assert kbs["KB5071001"]["hosts_short"] == ["LGNB0002"]
    assert kbs["KB5071001"]["title"].startswith("2026-12 Windows 11")
    assert kbs["KB5068861"]["missing"] == 1 and kbs["KB5068861"]["title"] is None


def test_every_bad_record_is_named_at_once():
    bad = records()
    bad[0]["segment"] = "dmz"
    bad[1]["kbs"]["KB5071001"] = "failed"
    bad[2]["checked_at"] = "yesterday"
    bad[3]["host"] = "LGNB0001"  # twice in one run
    bad[6]["result"] = "up_to_date"
    bad[6]["kbs"]["KB5071009"] = "missing"
    del bad[7]["ring"]
    with pytest.raises(st.StatusInputError) as err:
        st.summarise(bad)
    text = "\n".join(err.value.problems)
    for expected in (
        "dmz",
        "LGNB0002",
        "failed(0x........)",
        "yesterday",
        "LGNB0001: 1 回の実行に記録が 2 件",
        "up_to_date なのに",
        "TWPC0001）: ring がありません",
    ):
        assert expected in text, text
    assert len(err.value.problems) == 6


def test_no_host_reached_has_no_rate():
    only = [r for r in records() if r["result"] == "not_reached"]
    summary = st.summarise(only)
    assert summary["total"]["compliance_percent"] is None and summary["total"]["reached"] == 0


# ---- the module, through Ansible on the controller ----


def run_module(tmp_path, recs, check=False, **extra):
    args = {
        "report_dir": str(tmp_path / "report"),
        "records": recs,
        "inventory": "moriguchi",
        "kb_titles": TITLES,
        **extra,
    }
    options = ("--check",) if check else ()
    result = _adhoc("localhost", "patch_status_report", json.dumps(args, ensure_ascii=False), options=options)
    return result["localhost"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("patch_status")
    result = run_module(tmp, records(), check=True)
    assert not result.get("failed"), result
    return tmp / "report", result


def test_module_writes_every_format_even_in_check_mode(written):
    report_dir, result = written
    assert result["changed"] is False
    assert sorted(Path(p).name for p in result["files"].values()) == [
        "patch_status.html",
        "patch_status.json",
        "patch_status.md",
        "patch_status.xlsx",
    ]
    assert result["summary"]["compliance_percent"] == 54.5 and result["summary"]["verdict"] == "critical"
    assert [s["segment_ja"] for s in result["segments"]] == [
        "LGWAN接続系",
        "インターネット接続系",
        "個人番号利用事務系",
    ]


def test_record_for_the_monthly_report(written):
    report_dir, _ = written
    record = json.loads((report_dir / "patch_status.json").read_text(encoding="utf-8"))
    assert record["clauses"] == ["MNT-PATCH", "PM-REPORT"] and record["inventory"] == "moriguchi"
    assert record["as_of"] == "2026-12-18" and record["total"]["not_reached"] == 1
    assert len(record["hosts"]) == 12 and {s["segment"] for s in record["segments"]} == {
        "lgwan",
        "internet",
        "mynumber",
    }


def test_markdown_and_html_in_japanese_with_era_date_and_what_to_do(written):
    report_dir, _ = written
    md = (report_dir / "patch_status.md").read_text(encoding="utf-8")
    html = (report_dir / "patch_status.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "セキュリティパッチ適用状況" in text and "令和8年12月18日（金）" in text
        assert "54.5%" in text and "個人番号利用事務系" in text
        assert "0x80240022" in text and "WU_E_ALL_UPDATES_FAILED" in text
        assert "64 日（令和8年10月15日（木）公開）" in text
        assert "承認済み更新の持ち込み" in text  # a My Number host's missing update comes by the bundle
        assert TITLES["KB5071001"] in text
    statuses = tuple(f"| {ja} |" for ja in st.STATUS_JA.values())
    host_rows = [line for line in md.splitlines() if line.startswith(statuses)]
    assert (
        len(host_rows) == 12 and host_rows[0].startswith("| 未到達") and host_rows[-1].startswith("| 適用済")
    )
    assert html.index('class="not_reached"') < html.index('class="failed"') < html.index('class="missing"')
    assert 'class="nowrap late">64 日' in html


def test_workbook_has_one_sheet_per_view(written):
    report_dir, _ = written
    wb = openpyxl.load_workbook(report_dir / "patch_status.xlsx")
    assert wb.sheetnames == ["概要", "ホスト別", "KB 別"]
    info = wb["概要"]
    assert info["B3"].number_format.startswith("[$-411]ggge") and info["B4"].value.startswith("要対応")
    assert info["B5"].value == pytest.approx(0.545) and info["B5"].number_format == "0.0%"
    segment_head = next(r for r in range(1, info.max_row + 1) if info.cell(r, 1).value == "接続系")
    assert info.cell(segment_head + 4, 1).value == "合計" and info.cell(segment_head + 4, 2).value == 12
    hosts = wb["ホスト別"]
    assert hosts["A1"].value == "状態" and hosts["A2"].value == "未到達" and hosts.max_row == 13
    assert hosts.freeze_panes == "A2" and hosts.print_title_rows == "$1:$1"
    kb = wb["KB 別"]
    header = [c.value for c in kb[1]]
    assert header[:3] == ["ホスト", "接続系", "状態"] and "KB5071001" in header
    row = next(r for r in kb.iter_rows(min_row=2) if r[0].value == "LGNB0002")
    assert row[header.index("KB5071001")].value == "失敗"
    assert next(r for r in kb.iter_rows(min_row=2) if r[0].value == "LGNB0003")[3].value == "？"


def test_module_refuses_bad_records_naming_each_and_writes_nothing(tmp_path):
    bad = records()
    bad[1]["kbs"]["KB5071001"] = "broken"
    bad[4]["segment"] = "lan"
    result = run_module(tmp_path, bad)
    assert result.get("failed")
    assert "LGNB0002" in result["msg"] and "LGTB0001" in result["msg"] and len(result["problems"]) == 2
    assert not (tmp_path / "report").exists()


def test_a_large_estate_lists_only_the_hosts_needing_action_in_the_pages():
    from jichitai_ops.reports import patch_status as ps

    many = records() + [
        {
            "host": f"LGNB{n:04d}",
            "segment": "lgwan",
            "ring": "clients",
            "result": "up_to_date",
            "kbs": {"KB5071001": "installed"},
            "checked_at": "2026-12-18T19:50:00+09:00",
            "oldest_missing_release": None,
        }
        for n in range(100, 300)
    ]
    record = st.summarise(many)
    assert record["total"]["hosts"] == 212 and record["total"]["compliant"] == 206
    html = ps.render(record, "html")
    assert "対応が必要な 6 台だけを載せています" in html and "LGNB0150" not in html
    assert ps.workbook(record)["ホスト別"].max_row == 213


def test_debian_packages_are_updates_beside_kbs_and_a_bad_key_is_named():
    linux = {
        "host": "mail01", "segment": "internet", "ring": "servers", "result": "pending_reboot",
        "kbs": {"jichitai-lab-agent=1.1.0-1": "installed", "openssl=3.0.15-1~deb12u1": "missing"},
        "checked_at": "2026-12-10T22:10:00+09:00", "oldest_missing_release": None,
    }  # fmt: skip
    summary = st.summarise([*records(), linux])
    columns = {k["kb"] for k in summary["kbs"]}
    assert {"jichitai-lab-agent=1.1.0-1", "openssl=3.0.15-1~deb12u1"} <= columns
    bad = dict(linux, kbs={"jichitai lab agent 1.1": "installed"})
    with pytest.raises(st.StatusInputError) as err:
        st.summarise([bad])
    said = str(err.value)
    assert "mail01）: KB 番号（KB1234567）でもパッケージ＝版（name=1.0-1）でもありません" in said
    assert "（jichitai lab agent 1.1）" in said
