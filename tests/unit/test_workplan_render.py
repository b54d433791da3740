"""作業計画書 and 作業報告書 renderings: Markdown, HTML and an .xlsx that opens and holds the rows."""


import openpyxl
import pytest

from jichitai_ops.workplan import documents, presentation, render
from jichitai_ops.workplan import plan as plan_mod
from jichitai_ops.workplan import record as rec


def record(host, task, result, seq, status="ok", action="ansible.builtin.copy", **kw):
    args = {
        "no_log": False,
        "ignore_errors": False,
        "sensitive": False,
        "ran_for_real": False,
        "minutes": None,
    }
    args.update(kw)
    return rec.record(
        host=host,
        task=task,
        key=f"pb.yml:{seq}|{task}",
        action=action,
        role=None,
        handler=False,
        result=result,
        status=status,
        planning=True,
        seq=seq,
        occurrence=1,
        started=None,
        ended=None,
        **args,
    )


def guard():
    calendar = {
        "findings": [
            {
                "code": "service_slot",
                "severity": "block",
                "rule": "resident_counter_sundays",
                "date": "2026-12-13",
                "ja": "総合窓口課 総合窓口業務の時間外業務と重なります",
                "clause": "§4-3(3)",
                "assumed": False,
            }
        ],
        "blocked": True,
        "error": None,
        "days": [{"date": "2026-12-13", "weekday_ja": "日", "open": False, "holiday": None, "closure": None}],
    }
    return {
        "mode": "plan",
        "id": "20261201T100000-0a1b2c3d",
        "created_at": "2026-12-01T10:00:00+09:00",
        "created_by": {"user": "ops", "host": "ctl01"},
        "clock_injected": False,
        "meta": {
            "title": "DHCP 予約の同期",
            "clause": "§6-3(4)④ OPS-IPAM",
            "kind": "operations",
            "disruptive": True,
            "description": "予約台帳を DHCP 装置へ反映する",
            "rollback": ["前回の予約を再投入"],
            "contingency": ["待機系で継続"],
            "inputs": [],
            "services": ["DHCP"],
            "departments": ["all"],
            "task_minutes": 3,
            "duration_minutes": None,
        },
        "window": {"start": "2026-12-13T09:30:00+09:00", "end": "2026-12-13T11:00:00+09:00", "minutes": 90},
        "lead_time": {"required_days": 7, "days_before": 12, "ok": True, "clause": "§6-1(8)"},
        "calendar": calendar,
        "affected": {
            "segments": [{"id": "lgwan", "name": "LGWAN接続系"}],
            "sites": [{"id": "cityhall", "name": "本庁舎"}],
            "departments": [{"code": "all", "name": "全所属"}],
            "services": ["DHCP"],
        },
        "hosts": [
            {
                "name": "dhcp01",
                "segment": "lgwan",
                "segment_name": "LGWAN接続系",
                "role": "dhcp",
                "site": "cityhall",
                "site_name": "本庁舎",
                "os_family": "appliance",
            }
        ],
        "basis": {
            "repo": {"commit": "abc", "dirty_files": []},
            "playbook": {"path": "playbooks/dhcp_sync.yml"},
            "inventory": [],
            "inputs": [
                {
                    "path": "inventories/x/ledgers/ip.csv",
                    "missing": False,
                    "files": [{"path": ".", "sha256": "f" * 64}],
                }
            ],
            "run_options": {"limit": None, "tags": [], "extra_vars": {}},
        },
        "basis_digest": "b" * 64,
        "flags": [],
    }


@pytest.fixture
def plan():
    records = [
        record(
            "dhcp01",
            "Reservations",
            {"changed": True, "diff": {"before": "", "after": "=cmd|' /C calc'!A0\n"}},
            1,
        ),
        record(
            "dhcp01",
            "HTML in a diff",
            {"changed": True, "diff": {"before": "", "after": "<script>x</script>\n"}},
            2,
        ),
        record(
            "dhcp01",
            "API credential",
            {"changed": True, "censored": "hidden", "_ansible_no_log": True},
            3,
            no_log=True,
        ),
        record(
            "dhcp01",
            "Restart",
            {"msg": "Command would have run if not in check mode"},
            4,
            status="skipped",
            action="ansible.builtin.command",
        ),
    ]
    return plan_mod.assemble_plan(
        guard(), records, {"forks": 5, "check": True, "diff": True}, guard()["hosts"]
    )


def test_plan_carries_flags_estimate_and_schedule(plan):
    codes = [f["code"] for f in plan["flags"]]
    assert "unpredictable" in codes
    assert plan["estimate"]["minutes"] == 12 and len(plan["estimate"]["schedule"]) == 4


def test_markdown_plan_reads_for_the_city(plan):
    md = render.render_plan(plan, "d" * 64, "md")
    for text in (
        "# 作業計画書 — DHCP 予約の同期",
        "| 契約条項 | §6-3(4)④ OPS-IPAM |",
        "令和8年12月13日（日）9:30",
        "運用作業（作業実施日の7日前までに提出",
        "総合窓口課 総合窓口業務の時間外業務と重なります",
        "## 切り戻し手順",
        "1. 前回の予約を再投入",
        "## コンティンジェンシープラン",
        "非表示(機密)",
        "dhcp01 — Restart: コマンドは",
        f"approve {plan['id']} --by 氏名 --digest {'d' * 64}",
        "令和8年12月13日（日）閉庁日",
    ):
        assert text in md, text


def test_html_plan_is_escaped(plan):
    html = render.render_plan(plan, "d" * 64, "html")
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert '<span class="add">+&lt;script&gt;' in html and html.startswith("<!DOCTYPE html>")


def test_xlsx_plan_opens_and_holds_the_rows(plan, tmp_path):
    path = tmp_path / "plan.xlsx"
    documents.write_plan_files(str(tmp_path), plan, "d" * 64)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "概要",
        "作業手順",
        "変更内容",
        "影響範囲",
        "カレンダー",
        "切り戻し・緊急時対応",
        "計画の根拠",
    ]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True) if row[0]}
    assert summary["作業名"] == "DHCP 予約の同期" and summary["計画ダイジェスト (sha256)"] == "d" * 64
    changes = list(book["変更内容"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[4]) for r in changes] == [
        ("dhcp01", "Reservations", "変更あり"),
        ("dhcp01", "HTML in a diff", "変更あり"),
        ("dhcp01", "API credential", "変更あり"),
        ("dhcp01", "Restart", "予測不能"),
    ]
    assert changes[2][6] == "非表示(機密)"
    cell = book["変更内容"].cell(row=2, column=7)
    assert cell.data_type == "s" and "=cmd" in cell.value  # text, never a formula
    assert [r[0] for r in book["カレンダー"].iter_rows(min_row=3, values_only=True) if r[0] == "不可"] == [
        "不可"
    ]
    for name in ("plan.md", "plan.html", "plan.xlsx"):
        assert (tmp_path / name).stat().st_size > 0


def test_report_renderings_show_unplanned_first(plan, tmp_path):
    actual = [
        record(
            "dhcp01",
            "Reservations",
            {"changed": True, "diff": {"before": "", "after": "=cmd|' /C calc'!A0\n"}},
            1,
        ),
        record(
            "dhcp01", "Someone else's change", {"changed": True, "diff": {"before": "a\n", "after": "b\n"}}, 5
        ),
    ]
    guard_info = {
        "id": plan["id"],
        "mode": "apply",
        "plan_digest": "d" * 64,
        "approval": {
            "approver": "守口 太郎",
            "approved_at": "2026-12-02T09:00:00+09:00",
            "override_calendar": True,
            "override_reason": "市の依頼",
        },
        "applied_by": {"user": "ops", "host": "ctl01"},
    }
    report = plan_mod.assemble_report(
        plan, guard_info, actual, {}, "2026-12-13T09:31:00+09:00", "2026-12-13T09:40:00+09:00", False
    )
    written, errors = documents.write_report_files(str(tmp_path), report)
    assert errors == [] and len(written) == 4
    md = (tmp_path / "report.md").read_text()
    assert md.index("## 計画外の変更") < md.index("## 計画と実績")
    assert "### ⚠ dhcp01 — Someone else's change" in md and "カレンダー例外承認: 市の依頼" in md
    assert "**未実施** 3 件" in md  # HTML in a diff, API credential, a command: planned, never ran
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert [r[1:3] for r in book["計画外の変更"].iter_rows(min_row=2, values_only=True)] == [
        ("dhcp01", "Someone else's change")
    ]
    rows = list(book["計画と実績"].iter_rows(min_row=2, values_only=True))
    assert [r[6] for r in rows] == [
        "計画どおり変更",
        "未実施",
        "未実施",
        "未実施",
        "計画外の変更",
    ]
    summary = {row[0]: row[1] for row in book["概要"].iter_rows(values_only=True)}
    assert summary["総合判定"] == "要確認"


def test_long_diffs_are_cut_in_renderings_not_in_json():
    text = "".join(f"line {i}\n" for i in range(1000))
    shown = presentation.unified({"header": "f", "before": "", "after": text})
    assert shown.count("\n") <= presentation.MAX_DIFF_LINES + 1 and "省略" in shown


def test_the_services_a_plan_touches_read_as_one_line_each():
    from jichitai_ops.workplan.presentation import impact_basis_text, service_slots_text

    evening = {"department_name": "保険課", "service": "保険業務（夜間窓口）", "where": "本庁 保険課"}
    sunday = dict(evening, service="保険業務（日曜窓口）")
    # the same service in two seasons is two slots of the calendar and one line of the plan
    assert service_slots_text({"slots": [evening, evening, sunday]}) == (
        "保険課「保険業務（夜間窓口）」（本庁 保険課）、保険課「保険業務（日曜窓口）」（本庁 保険課）"
    )
    assert service_slots_text({"slots": []}).startswith("なし")
    every = "全所属の時間外サービス（業務カレンダーのすべての枠）"
    assert service_slots_text({"slots": None}) == service_slots_text({}) == every
    assert impact_basis_text({"derived": []}) == "作業の定義による"
    derived = [{"host": "gw-dainichi", "basis": "大日サービスコーナーのサービス"}]
    said = impact_basis_text({"derived": derived})
    assert said == "機器の登録内容から判定: gw-dainichi＝大日サービスコーナーのサービス"
