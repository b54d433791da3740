"""Monthly report (月次報告書), a synthetic city month: 1,300 endpoints, 1-minute probes, 200 runs, 50 alerts.

    .venv/bin/python -m bench monthly_report [--month 2026-11] [--hosts 1300] [--runs 200] [--alerts 50]
                                             [--keep DIR]

What runs: the report's own code path from the data to every file: the month's probe data cut into
30-minute buckets (monthly_availability.from_samples; with Prometheus the same buckets come from
sum_over_time/count_over_time), both availability bases, the records (50 alert records written as the
receiver writes them, the incidents their critical alerts open, faults and issues, 20 work plans in a
plan store), 200 ARA runs (the API's JSON shape, normalised and linked to the plans), then Markdown,
HTML with its charts, the xlsx with native charts, JSON and the PDF from headless Chromium.
Printed: each phase's wall time and the total against the goal (< 60 s), and checks of the record
(availability of the hosts made to fail is below 99.9 %, a breached SLA item names its incident).
No lab needed; nothing leaves the machine. No timing is asserted. Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from jichitai_ops.alerts import receiver
from jichitai_ops.records import runs as runs_mod
from jichitai_ops.records import workdays
from jichitai_ops.reports import monthly_availability as avail
from jichitai_ops.reports import monthly_report as monthly
from jichitai_ops.workplan import store as plan_store
from jichitai_ops.workplan.model import TZ

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 60.0
ROLES = ("ad", "dhcp", "radius", "fileserver", "wsus", "av", "skysea", "switch", "ups", "transfer")


def synthetic_samples(
    month: str, hosts: int, outages: dict[str, list[tuple[int, int]]], seed: int = 7
) -> dict:
    """{host: {labels, start, step 60, values}}: every host up each minute, except OUTAGES (minute ranges)
    and a few missing minutes (no sample)."""
    start, end = avail.month_bounds(month)
    minutes = int((end - start).total_seconds() // 60)
    rng = random.Random(seed)
    base = bytearray(b"\x01" * minutes)
    out = {}
    for n in range(hosts):
        name = f"srv{n:02d}" if n < 30 else f"pc{n:04d}"
        values = bytearray(base)
        for a, b in outages.get(name, []):
            values[a:b] = b"\x00" * (b - a)
        gap = rng.randrange(minutes - 10)
        values[gap : gap + 3] = b"\xff" * 3  # a scrape missed now and then
        role = ROLES[n % len(ROLES)] if n < 30 else "pc"
        out[name] = {
            "labels": {"jichitai_host": name, "jichitai_role": role, "jichitai_site": f"site{n % 30:02d}"},
            "start": int(start.timestamp()),
            "step": 60,
            "values": bytes(values),
        }
    return out


def _am(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")


def write_alerts(records: Path, month: str, count: int, outages: dict) -> None:
    """COUNT alert occurrences through the receiver's store: the outages as critical HostDown (one
    notified 45 minutes late), the rest warnings of other checks."""
    start, _ = avail.month_bounds(month)
    store = receiver.Store(records)
    rng = random.Random(11)
    made = 0
    for host, spans in outages.items():
        for a, b in spans:
            fp = f"{made:016x}"
            detected = start + dt.timedelta(minutes=a)
            late = 45 if made == 0 else 2
            alert = {
                "status": "firing",
                "labels": {
                    "alertname": "JichitaiHostDown",
                    "severity": "critical",
                    "jichitai_check": "down",
                    "jichitai_host": host,
                },
                "annotations": {"summary_ja": f"{host} が応答しません。"},
                "startsAt": _am(detected),
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fp,
            }
            payload = {"version": "4", "alerts": [alert]}
            store.apply(receiver.check_payload(payload), detected + dt.timedelta(minutes=late))
            resolved = dict(alert, status="resolved", endsAt=_am(start + dt.timedelta(minutes=b)))
            store.apply(
                receiver.check_payload({"version": "4", "alerts": [resolved]}),
                start + dt.timedelta(minutes=b + 1),
            )
            made += 1
    checks = ("disk", "cert_expiry", "pair_degraded", "backup", "antivirus")
    while made < count:
        detected = start + dt.timedelta(minutes=rng.randrange(40000))
        alert = {
            "status": "firing",
            "labels": {
                "alertname": "JichitaiCheck",
                "severity": "warning",
                "jichitai_check": checks[made % len(checks)],
                "jichitai_host": f"srv{made % 30:02d}",
            },
            "annotations": {"summary_ja": "注意"},
            "startsAt": _am(detected),
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"{made:016x}",
        }
        store.apply(
            receiver.check_payload({"version": "4", "alerts": [alert]}), detected + dt.timedelta(minutes=1)
        )
        made += 1


def write_plans(store: str, month: str, count: int) -> list[dict]:
    start, _ = avail.month_bounds(month)
    made = []
    for n in range(count):
        created = start + dt.timedelta(days=n % 28, hours=10)
        plan_id = f"{created:%Y%m%dT%H%M%S}-{n:08x}"
        plan = {
            "id": plan_id,
            "title": f"作業 {n}",
            "clause": "MNT-PATCH",
            "kind_ja": "保守",
            "playbook": "playbooks/patch_windows.yml",
            "created_at": created.isoformat(),
            "window": None,
        }
        plan_store.write_plan(store, plan)
        made.append(plan)
    return made


def ara_runs(month: str, count: int, plans: list[dict]) -> list[dict]:
    start, _ = avail.month_bounds(month)
    out = []
    for n in range(count):
        began = start + dt.timedelta(minutes=200 * n)
        labels = [{"id": 1, "name": "operation:daily_check"}, {"id": 2, "name": "clause:OPS-DAILY"}]
        if n < len(plans):
            labels = [
                {"id": 3, "name": "operation:patch_windows"},
                {"id": 4, "name": f"plan:{plans[n]['id']}"},
            ]
        out.append(
            runs_mod.normalise(
                {
                    "id": n + 1,
                    "path": "/srv/jichitai-ops/playbooks/daily_check.yml",
                    "status": "completed",
                    "started": began.isoformat(),
                    "ended": (began + dt.timedelta(minutes=2)).isoformat(),
                    "duration": "00:02:00.000000",
                    "labels": labels,
                    "arguments": {"check": False},
                }
            )
        )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench monthly_report", description=__doc__.split("\n")[0])
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--hosts", type=int, default=1300)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--alerts", type=int, default=50)
    ap.add_argument("--keep", metavar="DIR", help="write the report here (default: a temporary folder)")
    opts = ap.parse_args(argv)
    outages = {
        "srv03": [(10 * 1440 + 600, 10 * 1440 + 700)],
        "srv07": [(20 * 1440 + 120, 20 * 1440 + 140)],
        "pc0100": [(5 * 1440 + 540, 5 * 1440 + 560)],
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        times = {}
        t0 = time.monotonic()
        samples = synthetic_samples(opts.month, opts.hosts, outages)
        times["synthetic data (not counted)"] = time.monotonic() - t0
        write_alerts(base / "records", opts.month, opts.alerts, outages)
        plans = write_plans(str(base / "plans"), opts.month, 20)
        runs = ara_runs(opts.month, opts.runs, plans)

        started = time.monotonic()
        t = time.monotonic()
        series = avail.from_samples(samples, opts.month)
        times["buckets from 1-minute samples"] = time.monotonic() - t
        t = time.monotonic()
        figures = avail.summarise(
            series, opts.month, workdays.load_calendar(str(ROOT)), "jichitai:host_up (synthetic)"
        )
        times["availability, both bases"] = time.monotonic() - t
        t = time.monotonic()
        now = avail.month_bounds(opts.month)[1] + dt.timedelta(hours=7)
        record = monthly.build(
            opts.month,
            str(base),
            str(base / "records"),
            str(base / "plans"),
            figures,
            runs,
            ara_ui="http://127.0.0.1:8000",
            now=now.astimezone(TZ),
        )
        times["records, SLA, links"] = time.monotonic() - t
        t = time.monotonic()
        out = Path(opts.keep) if opts.keep else base / "report"
        paths = monthly.write(record, str(out), ("md", "html", "xlsx", "json"))
        times["md, html (charts), xlsx (charts), json"] = time.monotonic() - t
        t = time.monotonic()
        made = monthly.pdf(paths["html"], str(out / "monthly_report.pdf"))
        times["pdf (headless Chromium)"] = time.monotonic() - t
        total = time.monotonic() - started

        for name, seconds in times.items():
            print(f"  {name:45s} {seconds:7.2f} s")
        print(
            f"  {'total (data -> every file)':45s} {total:7.2f} s   goal < {GOAL_SECONDS:.0f} s: "
            f"{'met' if total < GOAL_SECONDS else 'NOT met'}"
        )
        print(
            f"  hosts {len(figures['hosts'])}, samples {sum(h['samples'] for h in figures['hosts']):,}, "
            f"alerts {len(record['alerts'])}, incidents {len(record['incidents'])}, runs {len(runs)}, "
            f"plans linked {sum(1 for p in record['plans'] if p['ara_ids'])}/{len(record['plans'])}, "
            f"pdf {'yes' if made else 'no chromium'}"
        )
        failures = []
        below = set(figures["below_goal"])
        if not {"srv03"} <= below or "srv07" in below:
            failures.append(f"below goal {sorted(below)}: want srv03 (100 min down), not srv07 (20 min)")
        report_row = next(r for r in record["sla"] if r["item"] == "障害検知から報告まで")
        if report_row["verdict"] != "breach" or not report_row["incidents"]:
            failures.append(f"late notification not a named breach: {report_row}")
        for failure in failures:
            print(f"CHECK FAILED: {failure}", file=sys.stderr)
        if opts.keep:
            print(f"  report in {out}: {', '.join(sorted(paths))}{', pdf' if made else ''}")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
