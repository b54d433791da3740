"""月次報告書 (PM-REPORT §3-2(4)①: the monthly meeting; SLA §4-5 table 3) for one month, derived from the
records alone (monthly_sources, monthly_availability, jichitai_ops.records.runs): schedule and work done
(plans, approvals, reports, runs), the issue register, incidents and faults, alerts and their handling,
security-patch status, backups and restore tests, and the SLA table. Every figure names the records
behind it (alert record, incident, plan id, ARA playbook id).

Formats: Markdown, HTML (inline SVG charts, no script, no external asset), Excel (native charts:
availability per day, alerts per category, patch compliance), the record as JSON, and a PDF printed from
the HTML by headless Chromium.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections import Counter
from html import escape

from jichitai_ops.records import runs as runs_mod
from jichitai_ops.reports import monthly_availability as avail
from jichitai_ops.reports import monthly_sources as src
from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan import xlsx as wx
from jichitai_ops.workplan.chart import FONT, text_width
from jichitai_ops.workplan.model import TZ, parse_time
from jichitai_ops.workplan.wareki import era_year, wareki_datetime

TITLE = "月次報告書"
CLAUSES = [
    "PM-REPORT §3-2(4)①",
    "SLA §4-5 表3",
    "PM-ISSUES §3-2(5)",
    "SEC-INC §6-3(1)",
    "MNT-FAULT §5-3",
    "MNT-PATCH",
    "OPS-BACKUP §6-3(6)",
]
FILES = {fmt: f"monthly_report.{fmt}" for fmt in ("md", "html", "xlsx", "json")}
VERDICT_JA = {"ok": "達成", "breach": "未達", "none": "対象なし", "unknown": "データなし"}
CHECK_JA = {
    "down": "停止",
    "pair_degraded": "冗長構成の片系運転",
    "cert_expiry": "証明書期限",
    "disk": "ディスク容量",
    "ups_on_battery": "UPS バッテリ運転",
    "backup": "バックアップ",
    "antivirus": "ウイルス対策",
}
MAX_HOST_ROWS = 30  # more hosts than this (the city's PCs): the rows below the goal, then the worst


def summary_ja(record: dict) -> str:
    if record["breach"]:
        return "未達の項目があります"
    if record.get("incomplete"):
        return "データがなく判定できない項目があります"
    return "すべての項目を達成しました"


def month_ja(month: str) -> str:
    year, mon = (int(p) for p in month.split("-"))
    era, number = era_year(dt.date(year, mon, 1))
    return f"{era}{'元' if number == 1 else number}年{mon}月"


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def _fmt_pct(value) -> str:
    return "—" if value is None else f"{value:.3f}%"


# ---- the record ------------------------------------------------------------------------------------------


def _sla_rows(availability: dict | None, alerts: dict, incidents: list[dict], now: dt.datetime) -> list[dict]:
    rows = []
    by_host: dict[str, list[str]] = {}
    for inc in incidents:
        for host in inc["hosts"]:
            by_host.setdefault(host, []).append(inc["id"])
    for key, meets, label in (
        ("availability_24h", "meets_24h", "稼働率（24時間365日）"),
        ("availability_open", "meets_open", "稼働率（開庁時間）"),
    ):
        if not availability or "hosts" not in availability:
            rows.append(
                {
                    "item": label,
                    "goal": "99.9%以上",
                    "value": "—",
                    "verdict": "unknown",
                    "sources": [],
                    "incidents": [],
                    "note": (availability or {}).get("error", "監視データなし"),
                }
            )
            continue
        measured = [h for h in availability["hosts"] if h[key] is not None]
        below = [h for h in measured if not h[meets]]
        worst = min(measured, key=lambda h: h[key]) if measured else None
        incs = sorted({i for h in below for i in by_host.get(h["host"], [])})
        rows.append(
            {
                "item": label,
                "goal": "99.9%以上",
                "value": (
                    f"最低 {_fmt_pct(worst[key])}（{worst['host']}）、"
                    f"{len(measured)}台中 {len(below)}台が未達"
                    if worst
                    else "—"
                ),
                "verdict": ("breach" if below else "ok") if measured else "unknown",
                "sources": [f"host:{h['host']}" for h in below],
                "incidents": incs,
                "note": f"Prometheus {availability['source']}",
            }
        )
    figures = alerts["figures"] if alerts else None
    if figures is None:
        rows.append(
            {
                "item": "障害検知から報告まで",
                "goal": "30分以内",
                "value": "—",
                "verdict": "unknown",
                "sources": [],
                "incidents": [],
                "note": "アラート記録なし",
            }
        )
    else:
        bad = [a for a in alerts["rows"] if a["verdict"] != "ok"]
        linked = {a: i["id"] for i in incidents for a in i["alerts"]}
        rows.append(
            {
                "item": "障害検知から報告まで",
                "goal": "30分以内",
                "value": f"{figures['count']}件中 {figures['within_limit']}件が30分以内"
                + (f"（超過 {figures['late']}件、未確認 {figures['unknown']}件）" if bad else ""),
                "verdict": ("breach" if bad else "ok") if figures["count"] else "none",
                "sources": [f"alert:{a['ref']}" for a in bad],
                "incidents": sorted({linked[a["ref"]] for a in bad if a["ref"] in linked}),
                "note": "アラート記録（検知→運用窓口への通知）",
            }
        )
    for item, goal, field, limit in (
        ("連絡から作業開始まで", "2時間以内", "start_minutes", src.START_LIMIT_MINUTES),
        ("検知から復旧まで", "6時間以内", "recovery_minutes", src.RECOVERY_LIMIT_MINUTES),
    ):
        measured, bad = [], []
        for inc in incidents:
            times = inc["times"]
            value = times[field]
            if value is None and times["open_minutes"] is not None:
                value = times["open_minutes"] if field == "recovery_minutes" else None
                if field == "start_minutes" and times["open_minutes"] > limit:
                    bad.append(inc["id"])
                    continue
            if value is None:
                continue
            measured.append(value)
            if value > limit:
                bad.append(inc["id"])
        rows.append(
            {
                "item": item,
                "goal": goal,
                "value": f"{len(incidents)}件中 最大 {max(measured):.0f}分" if measured else "該当なし",
                "verdict": ("breach" if bad else "ok") if incidents else "none",
                "sources": [f"incident:{i}" for i in bad],
                "incidents": bad,
                "note": "インシデント記録（経過）",
            }
        )
    return rows


def build(
    month: str,
    root: str,
    records_dir: str,
    plans_dir: str,
    availability: dict | None,
    runs: list[dict] | None,
    runs_error: str = "",
    ara_ui: str = "",
    now: dt.datetime | None = None,
) -> dict:
    """The month's record from every source (availability: monthly_availability.summarise or
    {"error": ...}; runs: ARA runs, or None with runs_error)."""
    now = now or dt.datetime.now(TZ)
    start, end = avail.month_bounds(month)
    problems = []
    alerts = src.alerts(records_dir, month, now)
    problems += alerts["problems"]
    regs = src.registers(records_dir, month)
    problems += regs["problems"]
    incidents = [i | {"times": src.incident_times(i, now)} for i in regs["incident"]]
    plans, bad = src.plans(plans_dir, month)
    problems += bad
    links = runs_mod.link_plans(runs or [], plans)
    for plan in plans:
        plan["ara_ids"] = links.get(plan["id"], [])
    daily, bad = src.daily_checks(root, month)
    problems += bad
    patch, bad = src.patch_status(root, month)
    problems += bad
    backups, bad = src.backups(root, month)
    problems += bad
    categories = Counter(a["category"] for a in alerts["rows"])
    sla_rows = _sla_rows(availability, alerts, incidents, now)
    hosts = (availability or {}).get("hosts") or []
    if len(hosts) > MAX_HOST_ROWS:
        shown = sorted(hosts, key=lambda h: (h["meets_24h"] and h["meets_open"], h["availability_24h"] or 0))
        shown = shown[:MAX_HOST_ROWS]
    else:
        shown = hosts
    return {
        "schema": "jichitai-ops/monthly-report/1",
        "title": TITLE,
        "month": month,
        "month_ja": month_ja(month),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "generated_at": now.replace(microsecond=0).isoformat(),
        "clauses": CLAUSES,
        "sla": sla_rows,
        "breach": any(r["verdict"] == "breach" for r in sla_rows),
        "incomplete": any(r["verdict"] == "unknown" for r in sla_rows),
        "availability": availability,
        "availability_rows": shown,
        "availability_rows_omitted": len(hosts) - len(shown),
        "alerts": alerts["rows"],
        "alert_figures": {k: v for k, v in alerts["figures"].items() if k not in ("alerts", "availability")},
        "alert_categories": [
            {"category": c, "category_ja": CHECK_JA.get(c, c), "count": n}
            for c, n in categories.most_common()
        ],
        "incidents": incidents,
        "faults": regs["fault"],
        "issues": regs["issue"],
        "register_changes": regs["incident_changes"] + regs["fault_changes"] + regs["issue_changes"],
        "plans": plans,
        "upcoming": src.upcoming(plans_dir, month),
        "runs": runs,
        "runs_error": runs_error,
        "run_counts": [
            {"operation": op, "count": n}
            for op, n in Counter(r["operation"] for r in runs or []).most_common()
        ],
        "ara_ui": ara_ui.rstrip("/"),
        "daily_checks": daily,
        "patch": patch,
        "backups": backups,
        "problems": problems,
    }


# ---- charts ----------------------------------------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" font-family="{escape(FONT)}" font-size="12">'
        + "".join(body)
        + "</svg>"
    )


def availability_svg(record: dict) -> str:
    """Availability per day (all hosts; the worst host as a line), the 99.9 % goal drawn."""
    daily = (record.get("availability") or {}).get("daily") or []
    if not daily:
        return ""
    width, height, left, top, bottom = 960, 260, 60, 20, 40
    plot_w, plot_h = width - left - 20, height - top - bottom
    values = [d["worst"] for d in daily if d["worst"] is not None]
    low = min([99.0, *values])
    low = max(0.0, float(int(low) - (1 if low < 99 else 0)))
    span = 100 - low

    def y(v):
        return top + plot_h * (100 - v) / span

    step = plot_w / len(daily)
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#ccc"/>']
    for i, d in enumerate(daily):  # closed days shaded under the grid and the goal
        if not d["open"]:
            body.append(
                f'<rect x="{left + i * step:.1f}" y="{top}" width="{step:.1f}" height="{plot_h}" '
                'fill="#f3f4f6"/>'
            )
    for tick in sorted({low, low + span / 2, 100.0, 99.9}):
        body.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{"#b42318" if tick == 99.9 else "#d0d7de"}" '
            f'stroke-dasharray="{"6,3" if tick == 99.9 else ""}"/>'
        )
        if tick == 100.0 or y(tick) - y(100.0) > 14:  # the goal line close under 100 % goes unlabelled
            body.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}%</text>')
    points = []
    for i, d in enumerate(daily):
        x = left + i * step
        if d["availability"] is not None:
            v = max(d["availability"], low)
            color = "#b42318" if d["availability"] < 99.9 else "#1f4e79"
            body.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{y(v):.1f}" width="{step * 0.7:.1f}" '
                f'height="{top + plot_h - y(v):.1f}" fill="{color}"><title>{d["date"]} 全体 '
                f"{d['availability']:.3f}% / 最低 {d['worst']:.3f}%（{escape(d['worst_host'] or '')}）"
                f"</title></rect>"
            )
            points.append(f"{x + step / 2:.1f},{y(max(d['worst'], low)):.1f}")
        if i % 2 == 0 or len(daily) <= 16:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{int(d['date'][-2:])}</text>"
            )
    if points:
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#e07b00" stroke-width="2"/>')
    body.append(
        f'<text x="{left}" y="{height - 4}">棒: 全体の稼働率（日別）　線: 最も低い機器　灰色: 閉庁日　'
        f"赤破線: 目標 99.9%</text>"
    )
    return _svg(width, height, body, "日別稼働率")


def bar_svg(
    items: list[tuple[str, float]],
    unit: str,
    label: str,
    goal: float | None = None,
    max_value: float | None = None,
) -> str:
    if not items:
        return ""
    label_w = max(120, min(300, int(max(text_width(n) for n, _ in items)) + 16))
    width, row = 960, 26
    plot_w = width - label_w - 90
    height = row * len(items) + 30
    top_value = max_value or max(v for _, v in items) or 1
    body = []
    for i, (name, value) in enumerate(items):
        yy = 10 + i * row
        w = plot_w * value / top_value
        color = "#b42318" if goal is not None and value < goal else "#1f4e79"
        body.append(f'<text x="{label_w - 8}" y="{yy + 15}" text-anchor="end">{escape(name)}</text>')
        body.append(f'<rect x="{label_w}" y="{yy + 3}" width="{w:.1f}" height="16" fill="{color}"/>')
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{yy + 15}">{value:g}{unit}</text>')
    if goal is not None:
        gx = label_w + plot_w * goal / top_value
        body.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="6" y2="{height - 18}" stroke="#b42318" '
            f'stroke-dasharray="6,3"/><text x="{gx:.1f}" y="{height - 4}" text-anchor="middle">'
            f"目標 {goal:g}{unit}</text>"
        )
    return _svg(width, height, body, label)


def charts(record: dict) -> dict:
    patch = record.get("patch") or {}
    segments = [(s["segment_ja"], s.get("compliance_percent") or 0) for s in patch.get("segments", [])]
    if patch:
        segments.append(("全体", patch["total"].get("compliance_percent") or 0))
    return {
        "availability": availability_svg(record),
        "alerts": bar_svg(
            [(c["category_ja"], c["count"]) for c in record["alert_categories"]], "件", "区分別アラート件数"
        ),
        "patch": bar_svg(segments, "%", "パッチ適用率", goal=100, max_value=100),
    }


# ---- rendering -------------------------------------------------------------------------------------------


def when_ja(value) -> str:
    if not value:
        return "—"
    return wareki_datetime(parse_time(value).replace(tzinfo=None))


def short(value) -> str:
    return f"{parse_time(value):%m/%d %H:%M}" if value else "—"


def _env():
    return environment(when_ja=when_ja, short=short, pct=_fmt_pct, verdict_ja=lambda v: VERDICT_JA.get(v, v))


def render(record: dict, fmt: str) -> str:
    return (
        _env()
        .get_template(f"monthly_report.{fmt}.j2")
        .render(
            r=record,
            title=f"{TITLE}（{record['month_ja']}）",
            charts=charts(record) if fmt == "html" else {},
            generated=when_ja(record["generated_at"]),
            summary=summary_ja(record),
        )
    )


def workbook(record: dict):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference

    wb = Workbook()
    info = wb.active
    info.title = "概要"
    pairs = [
        ("報告書", f"{TITLE}（{record['month_ja']}）"),
        ("作成日時", when_ja(record["generated_at"])),
        ("SLA", summary_ja(record)),
        ("根拠条項", "、".join(record["clauses"])),
    ]
    wx._kv(info, pairs)

    ws = wb.create_sheet("SLA")
    fills = ["FFD9D6" if r["verdict"] == "breach" else None for r in record["sla"]]
    wx._table(
        ws,
        1,
        ["項目", "目標", "実績", "判定", "関連インシデント", "根拠"],
        [
            [
                r["item"],
                r["goal"],
                r["value"],
                VERDICT_JA[r["verdict"]],
                "、".join(r["incidents"]) or "—",
                "、".join(r["sources"]) or r["note"],
            ]
            for r in record["sla"]
        ],
        [22, 12, 44, 10, 20, 50],
        fills,
    )

    daily = (record.get("availability") or {}).get("daily") or []
    ws = wb.create_sheet("日別稼働率")
    wx._table(
        ws,
        1,
        ["日付", "開庁日", "稼働率（全体, %）", "最低の機器（%）", "最低の機器", "目標（%）"],
        [
            [d["date"], "○" if d["open"] else "", d["availability"], d["worst"], d["worst_host"] or "—", 99.9]
            for d in daily
        ],
        [12, 8, 16, 16, 24, 10],
    )
    if daily:
        chart = LineChart()
        chart.title = "日別稼働率"
        chart.y_axis.title = "%"
        chart.height, chart.width = 9, 24
        data = Reference(ws, min_col=3, max_col=4, min_row=1, max_row=len(daily) + 1)
        chart.add_data(data, titles_from_data=True)
        goal = Reference(ws, min_col=6, min_row=1, max_row=len(daily) + 1)
        chart.add_data(goal, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(daily) + 1))
        values = [d["worst"] for d in daily if d["worst"] is not None]
        chart.y_axis.scaling.min = min([99.0, *values]) // 1
        chart.y_axis.scaling.max = 100
        ws.add_chart(chart, "H2")

    ws = wb.create_sheet("稼働率（機器別）")
    rows = [
        [
            h["host"],
            h["role"],
            h["site"],
            h["availability_24h"],
            h["availability_open"],
            h["down_minutes"],
            h["coverage_percent"],
        ]
        for h in (record.get("availability") or {}).get("hosts") or []
    ]
    wx._table(
        ws,
        1,
        ["機器", "役割", "拠点", "24時間365日（%）", "開庁時間（%）", "停止（分）", "収集率（%）"],
        rows,
        [20, 14, 14, 16, 14, 10, 10],
        [
            None if (r[3] is None or r[3] >= 99.9) and (r[4] is None or r[4] >= 99.9) else "FFD9D6"
            for r in rows
        ],
    )

    ws = wb.create_sheet("アラート")
    wx._table(
        ws,
        1,
        ["区分", "件数"],
        [[c["category_ja"], c["count"]] for c in record["alert_categories"]],
        [24, 10],
    )
    if record["alert_categories"]:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "区分別アラート件数"
        chart.height, chart.width = 7, 16
        n = len(record["alert_categories"])
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
        chart.legend = None
        ws.add_chart(chart, "D2")
    start = len(record["alert_categories"]) + 20
    wx._table(
        ws,
        start,
        ["記録", "検知", "通知", "復旧", "判定", "機器", "アラート名", "概要"],
        [
            [
                a["ref"],
                short(a["detected_at"]),
                short(a["notified_at"]),
                short(a["resolved_at"]),
                a["verdict_ja"],
                a["jichitai_host"],
                a["alertname"],
                a["summary_ja"],
            ]
            for a in record["alerts"]
        ],
    )

    ws = wb.create_sheet("パッチ適用率")
    patch = record.get("patch")
    if patch:
        seg = [[s["segment_ja"], s.get("compliance_percent")] for s in patch["segments"]]
        seg.append(["全体", patch["total"].get("compliance_percent")])
        wx._table(ws, 1, ["系", "適用率（%）"], seg, [24, 12])
        chart = BarChart()
        chart.title = f"パッチ適用率（{patch['as_of']} 時点）"
        chart.height, chart.width = 7, 16
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=len(seg) + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=len(seg) + 1))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.legend = None
        ws.add_chart(chart, "D2")
    else:
        wx._table(ws, 1, ["系", "適用率（%）"], [["記録なし", None]], [24, 12])

    for name, heads, items in (
        (
            "インシデント",
            ["番号", "件名", "状態", "検知", "復旧", "原因", "再発防止策"],
            [
                [
                    i["id"],
                    i["title"],
                    i["status"],
                    short(i["detected_at"]),
                    short(i["recovered_at"]),
                    i["cause"] or "—",
                    i["measures"] or "—",
                ]
                for i in record["incidents"]
            ],
        ),
        (
            "障害",
            ["番号", "件名", "機器", "発生", "報告期限", "報告日", "対処"],
            [
                [
                    f["id"],
                    f["title"],
                    f["device"],
                    short(f["detected_at"]),
                    f["report_due"],
                    f["reported_at"] or "—",
                    f["action"] or "—",
                ]
                for f in record["faults"]
            ],
        ),
        (
            "課題管理表",
            ["番号", "内容", "影響", "優先度", "起票日", "担当者", "状態", "対応", "結果", "解決日"],
            [
                [
                    i["id"],
                    i["content"],
                    i["impact"],
                    i["priority"],
                    i["raised_on"],
                    i["owner"],
                    i["status"],
                    i["action"] or "—",
                    i["result"] or "—",
                    i["resolved_on"] or "—",
                ]
                for i in record["issues"]
            ],
        ),
        (
            "作業",
            ["計画番号", "件名", "根拠", "作成", "承認者", "承認日時", "報告", "ARA"],
            [
                [
                    p["id"],
                    p["title"],
                    p["clause"],
                    short(p["created_at"]),
                    p["approver"] or "—",
                    short(p["approved_at"]),
                    "、".join(f"{x['stamp']} {x['verdict_ja']}" for x in p["reports"]) or "—",
                    "、".join(str(i) for i in p["ara_ids"]) or "—",
                ]
                for p in record["plans"]
            ],
        ),
        (
            "実行履歴",
            ["ARA", "プレイブック", "状態", "開始", "所要", "計画番号", "ラベル"],
            [
                [
                    r["id"],
                    r["playbook"],
                    r["status"],
                    short(r["started"]),
                    r["duration"] or "—",
                    r["plan_id"] or "—",
                    " ".join(r["labels"]),
                ]
                for r in record["runs"] or []
            ],
        ),
    ):
        ws = wb.create_sheet(name)
        wx._table(ws, 1, heads, items or [["記録なし"] + [None] * (len(heads) - 1)])
    wx._finish(wb)
    wb.active = 0
    return wb


def pdf(html_path: str, pdf_path: str, timeout: int = 120) -> str | None:
    """The HTML printed to PDF by headless Chromium; None when no Chromium is installed."""
    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if not browser:
        return None
    tmp = f"{pdf_path}.tmp.pdf"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp}",
            f"file://{os.path.abspath(html_path)}",
        ],
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    os.replace(tmp, pdf_path)
    return pdf_path


def write(record: dict, report_dir: str, formats=("md", "html", "xlsx", "json", "pdf")) -> dict:
    """Writes the chosen formats into report_dir; returns format -> path."""
    text_formats = [f for f in formats if f != "pdf"]
    if "pdf" in formats and "html" not in text_formats:
        text_formats.append("html")
    paths = write_formats(record, report_dir, FILES, render, workbook, text_formats)
    if "pdf" in formats:
        made = pdf(paths["html"], os.path.join(report_dir, "monthly_report.pdf"))
        if made:
            paths["pdf"] = made
    return paths
