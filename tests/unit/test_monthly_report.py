"""The monthly report from records: availability on both bases against a hand count, the SLA table with
its breaches named, the sources absent said as 記録なし, the charts in the HTML and the xlsx, ARA runs
linked to plans."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench import monthly_report as bench  # noqa: E402
from jichitai_ops.records import runs as runs_mod  # noqa: E402
from jichitai_ops.records import workdays
from jichitai_ops.reports import monthly_availability as avail
from jichitai_ops.reports import monthly_report as monthly
from jichitai_ops.workplan.model import TZ

ROOT = Path(__file__).resolve().parents[2]
MONTH = "2026-11"
CALENDAR = workdays.load_calendar(str(ROOT))
# srv03: 100 minutes down on 11/11 10:00 (a Wednesday, open); srv07: 20 minutes on 11/21 02:00 (Saturday)
OUTAGES = {"srv03": [(10 * 1440 + 600, 10 * 1440 + 700)], "srv07": [(20 * 1440 + 120, 20 * 1440 + 140)]}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    base = tmp_path_factory.mktemp("monthly")
    samples = bench.synthetic_samples(MONTH, 12, OUTAGES)
    bench.write_alerts(base / "records", MONTH, 8, OUTAGES)
    plans = bench.write_plans(str(base / "plans"), MONTH, 3)
    runs = bench.ara_runs(MONTH, 5, plans)
    figures = avail.summarise(avail.from_samples(samples, MONTH), MONTH, CALENDAR, "jichitai:host_up")
    now = dt.datetime(2026, 12, 1, 7, 0, tzinfo=TZ)
    record = monthly.build(
        MONTH,
        str(base),
        str(base / "records"),
        str(base / "plans"),
        figures,
        runs,
        ara_ui="http://127.0.0.1:8000",
        now=now,
    )
    return base, samples, record


def hand_count(values: bytes, start: int, keep) -> float:
    up = total = 0
    for i, v in enumerate(values):
        moment = dt.datetime.fromtimestamp(start + 60 * i, TZ)
        if v in (0, 1) and keep(moment):
            total += 1
            up += v
    return 100 * up / total


def test_availability_matches_a_hand_count_on_both_bases(month):
    _, samples, record = month
    hosts = {h["host"]: h for h in record["availability"]["hosts"]}

    def opening(moment):
        return workdays.skipped_reason(moment.date(), CALENDAR) is None and dt.time(
            8, 30
        ) <= moment.time() < dt.time(18, 0)

    for name in ("srv03", "srv07", "srv01"):
        s = samples[name]
        assert hosts[name]["availability_24h"] == pytest.approx(
            hand_count(s["values"], s["start"], lambda m: True), abs=1e-4
        )
        assert hosts[name]["availability_open"] == pytest.approx(
            hand_count(s["values"], s["start"], opening), abs=1e-4
        )
    assert not hosts["srv03"]["meets_24h"] and not hosts["srv03"]["meets_open"]
    # 20 minutes on a Saturday night: 99.954 % on 24 h, untouched in opening hours
    assert hosts["srv07"]["meets_24h"] and hosts["srv07"]["availability_open"] == 100.0
    # 2026-11: 19 open days (11/3 文化の日, 11/23 勤労感謝の日 off), 08:30-18:00 = 19 half hours each
    assert record["availability"]["open_buckets"] == 19 * 19


def test_the_sla_table_names_the_breaches_and_their_incidents(month):
    _, _, record = month
    rows = {r["item"]: r for r in record["sla"]}
    down = rows["稼働率（24時間365日）"]
    assert down["verdict"] == "breach" and down["sources"] == ["host:srv03"]
    assert down["incidents"] == ["INC-2026-0001"]
    late = rows["障害検知から報告まで"]
    assert late["verdict"] == "breach" and late["incidents"] == ["INC-2026-0001"]
    assert late["sources"] == ["alert:20261111T100000.000000-0000000000000000"]
    assert rows["検知から復旧まで"]["verdict"] == "ok"
    assert record["breach"]


def test_absent_sources_say_no_record_and_runs_link_to_plans(month):
    base, _, record = month
    assert record["backups"] is None and record["patch"] is None and record["daily_checks"] is None
    assert all(p["ara_ids"] for p in record["plans"])
    paths = monthly.write(record, str(base / "out"), ("md", "html", "xlsx", "json"))
    html = Path(paths["html"]).read_text(encoding="utf-8")
    assert html.count("<svg") == 2  # availability per day and alerts per category; no patch record
    assert "記録なし" in html and 'class="v-breach"' in html
    assert 'href="http://127.0.0.1:8000/playbooks/1.html"' in html and 'href="#INC-2026-0001"' in html
    assert json.loads(Path(paths["json"]).read_text(encoding="utf-8"))["month"] == MONTH


def test_the_workbook_has_native_charts(month):
    from openpyxl import load_workbook

    base, _, record = month
    record = record | {
        "patch": {
            "as_of": "2026-11-28",
            "path": "x",
            "total": {"compliance_percent": 96.0},
            "segments": [{"segment_ja": "LGWAN接続系", "compliance_percent": 96.0}],
        }
    }
    path = monthly.write(record, str(base / "xlsx"), ("xlsx",))["xlsx"]
    wb = load_workbook(path)
    charts = {ws.title: len(ws._charts) for ws in wb.worksheets if ws._charts}
    assert charts == {"日別稼働率": 1, "アラート": 1, "パッチ適用率": 1}
    assert wb["SLA"]["D2"].value == "未達" and wb["SLA"]["D2"].fill.fgColor.rgb.endswith("FFD9D6")


def test_runs_by_label_extra_var_or_time():
    plans = [
        {
            "id": "20261105T100000-0000000a",
            "playbook": "playbooks/pc_restore.yml",
            "created_at": "2026-11-05T10:00:30+09:00",
        }
    ]
    runs = [
        runs_mod.normalise(
            {"id": 1, "path": "/p/playbooks/x.yml", "labels": [{"name": "plan:20261101T000000-00000001"}]}
        ),
        runs_mod.normalise(
            {
                "id": 2,
                "path": "/p/playbooks/x.yml",
                "arguments": {"extra_vars": ["workplan_id=20261102T000000-00000002"]},
            }
        ),
        runs_mod.normalise(
            {
                "id": 3,
                "path": "/p/playbooks/pc_restore.yml",
                "started": "2026-11-05T10:00:00+09:00",
                "ended": "2026-11-05T10:01:00+09:00",
                "arguments": {"check": True},
            }
        ),
    ]
    assert runs_mod.link_plans(runs, plans) == {
        "20261101T000000-00000001": [1],
        "20261102T000000-00000002": [2],
        "20261105T100000-0000000a": [3],
    }
    assert runs_mod.labels_for("monthly_report", "PM-REPORT") == [
        "operation:monthly_report",
        "clause:PM-REPORT",
    ]


def test_previous_month_and_era():
    assert monthly.previous_month(dt.date(2027, 1, 1)) == "2026-12"
    assert monthly.month_ja("2019-05") == "令和元年5月"


def test_next_months_plans_are_the_schedule(tmp_path):
    from jichitai_ops.reports import monthly_sources as src
    from jichitai_ops.workplan import store as plan_store

    for n, start in enumerate(("2026-12-14T09:00:00+09:00", "2026-11-30T22:00:00+09:00")):
        plan_store.write_plan(
            str(tmp_path),
            {
                "id": f"20261120T10000{n}-0000000{n}",
                "title": f"作業{n}",
                "clause": "MNT-PATCH",
                "window": {"start": start, "end": start},
            },
        )
    assert [p["title"] for p in src.upcoming(str(tmp_path), "2026-11")] == ["作業0"]
