"""稼働率 for the monthly report (SLA §4-5 table 3: 99.9 % or more a month) from the monitoring data.

A host is up at a moment when every probe of it succeeds: Prometheus records that as `jichitai:host_up`
(min of the host's `probe_success`, roles/monitoring_config). The month is cut into 30-minute buckets
(Asia/Tokyo); per host and bucket, the number of samples and of samples up. Prometheus answers that with
`sum_over_time(M[30m])` and `count_over_time(M[30m])` over the month at a 30-minute step (every raw
sample counted once, nothing interpolated); a file of samples gives the same buckets (bench, tests).

Two bases, both computed:
  24時間365日   every bucket of the month
  開庁時間      buckets that start inside the business hours of an open day (service calendar
                working_rules.business_hours, 08:30-18:00 on days that are not weekends, holidays or closures)
Availability = samples up / samples; the share of buckets with any sample is the coverage (監視データ
の収集率): time without data is neither up nor down and the report says how much there was.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request

from jichitai_ops import service_calendar
from jichitai_ops.workplan.model import TZ

BUCKET = 1800  # seconds
GOAL = 99.9
DEFAULT_METRIC = "jichitai:host_up"
GROUP_LABELS = ("jichitai_host", "jichitai_role", "jichitai_site")
MAX_POINTS = 10000  # Prometheus answers at most 11,000 points per series and query


class AvailabilityError(RuntimeError):
    pass


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, mon = (int(p) for p in month.split("-"))
    start = dt.datetime(year, mon, 1, tzinfo=TZ)
    return start, dt.datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=TZ)


def business_buckets(month: str, calendar: dict, bucket: int = BUCKET) -> set[int]:
    """Epoch starts of the month's buckets inside the business hours of open days."""
    rule = (calendar.get("working_rules") or {}).get("business_hours") or {"time": "08:30-18:00"}
    text = rule.get("time", "08:30-18:00")
    first, last = (dt.time.fromisoformat(t) for t in text.split("-"))
    start, end = month_bounds(month)
    out, day = set(), start.date()
    while day < end.date():
        if service_calendar.day_info(day, calendar)["open"]:
            moment = dt.datetime.combine(day, first, TZ)
            stop = dt.datetime.combine(day, last, TZ)
            while moment < stop:
                out.add(int(moment.timestamp()))
                moment += dt.timedelta(seconds=bucket)
        day += dt.timedelta(days=1)
    return out


# ---- sources ---------------------------------------------------------------------------------------------


def _get(url: str, params: dict, timeout: float) -> dict:
    full = f"{url.rstrip('/')}/api/v1/query_range?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(full, timeout=timeout) as resp:  # noqa: S310 (the configured Prometheus)
            body = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise AvailabilityError(f"Prometheus {url}: {exc}") from exc
    if body.get("status") != "success":
        raise AvailabilityError(f"Prometheus {url}: {body.get('error', body)}")
    return body["data"]


def from_prometheus(
    url: str,
    month: str,
    metric: str = DEFAULT_METRIC,
    timeout: float = 60,
    now: dt.datetime | None = None,
    bucket: int = BUCKET,
) -> dict:
    """Per host: labels and buckets {start epoch: [up, count]} for the month's buckets that ended by NOW,
    from Prometheus (a bucket still running is left out: its figures would change while read)."""
    start, end = month_bounds(month)
    now = now or dt.datetime.now(TZ)
    first = int(start.timestamp()) + bucket
    last = min(int(end.timestamp()), int(now.timestamp()) // bucket * bucket)
    series: dict[str, dict] = {}
    chunk = bucket * MAX_POINTS
    for lo in range(first, last + 1, chunk):
        params = {"start": lo, "end": min(last, lo + chunk - bucket), "step": bucket}
        for fn, index in (("sum_over_time", 0), ("count_over_time", 1)):
            by = ", ".join(GROUP_LABELS)
            query = f"max by ({by}) ({fn}({metric}[{bucket}s]))"
            for item in _get(url, params | {"query": query}, timeout)["result"]:
                labels = item["metric"]
                host = labels.get("jichitai_host") or labels.get("instance") or "?"
                entry = series.setdefault(host, {"labels": labels, "buckets": {}})
                for stamp, value in item["values"]:
                    entry["buckets"].setdefault(int(float(stamp)) - bucket, [0.0, 0])[index] = float(value)
    return series


def from_samples(samples: dict, month: str) -> dict:
    """The same buckets from regular samples: {host: {labels, start (epoch), step (s), values (bytes: 1 up,
    0 down, anything else no sample)}}."""
    start, end = month_bounds(month)
    first, stop = int(start.timestamp()), int(end.timestamp())
    series = {}
    for host, entry in samples.items():
        values, t0, step = entry["values"], int(entry["start"]), int(entry["step"])
        buckets = {}
        for bucket in range(first, stop, BUCKET):
            lo = max(0, -(-(bucket - t0) // step))
            hi = max(0, -(-(bucket + BUCKET - t0) // step))
            if hi <= 0 or lo >= len(values):
                continue
            up, down = values.count(1, lo, hi), values.count(0, lo, hi)
            if up + down:
                buckets[bucket] = [float(up), up + down]
        series[host] = {"labels": entry.get("labels", {"jichitai_host": host}), "buckets": buckets}
    return series


# ---- figures ---------------------------------------------------------------------------------------------


def _percent(up: float, count: float) -> float | None:
    return round(100 * up / count, 4) if count else None


def summarise(series: dict, month: str, calendar: dict, source: str, bucket: int = BUCKET) -> dict:
    """The month's availability: per host (both bases, coverage, down minutes), per day (all hosts and
    the worst host), the hosts below the goal on either basis."""
    start, end = month_bounds(month)
    open_set = business_buckets(month, calendar, bucket)
    all_buckets = (int(end.timestamp()) - int(start.timestamp())) // bucket
    hosts, days = [], {}
    day_of = {
        b: dt.datetime.fromtimestamp(b, TZ).date().isoformat()
        for b in range(int(start.timestamp()), int(end.timestamp()), bucket)
    }
    for host, entry in sorted(series.items()):
        up24 = n24 = upo = no = 0.0
        covered = covered_open = 0
        per_day: dict[str, list] = {}
        for when, (up, count) in entry["buckets"].items():
            day = day_of.get(when)
            if not count or day is None:  # no sample, or outside the month
                continue
            up24 += up
            n24 += count
            covered += 1
            acc = per_day.setdefault(day, [0.0, 0])
            acc[0] += up
            acc[1] += count
            if when in open_set:
                upo += up
                no += count
                covered_open += 1
        a24, aopen = _percent(up24, n24), _percent(upo, no)
        covered_minutes = covered * bucket / 60
        labels = entry["labels"]
        hosts.append(
            {
                "host": host,
                "role": labels.get("jichitai_role", ""),
                "site": labels.get("jichitai_site", ""),
                "availability_24h": a24,
                "availability_open": aopen,
                "samples": int(n24),
                "samples_up": int(up24),
                "coverage_percent": round(100 * covered / all_buckets, 2) if all_buckets else 0,
                "coverage_open_percent": round(100 * covered_open / len(open_set), 2) if open_set else 0,
                "down_minutes": round((1 - up24 / n24) * covered_minutes, 1) if n24 else None,
                "meets_24h": a24 is None or a24 >= GOAL,
                "meets_open": aopen is None or aopen >= GOAL,
            }
        )
        for day, (up, count) in per_day.items():
            d = days.setdefault(day, {"up": 0.0, "count": 0, "worst": None, "worst_host": None})
            d["up"] += up
            d["count"] += count
            pct = 100 * up / count
            if d["worst"] is None or pct < d["worst"]:
                d["worst"], d["worst_host"] = pct, host
    daily, day = [], start.date()
    while day < end.date():
        d = days.get(day.isoformat())
        info = service_calendar.day_info(day, calendar)
        daily.append(
            {
                "date": day.isoformat(),
                "open": info["open"],
                "availability": _percent(d["up"], d["count"]) if d else None,
                "worst": round(d["worst"], 4) if d else None,
                "worst_host": d["worst_host"] if d else None,
            }
        )
        day += dt.timedelta(days=1)
    total_up = sum(h["samples_up"] for h in hosts)
    total = sum(h["samples"] for h in hosts)
    return {
        "month": month,
        "source": source,
        "goal_percent": GOAL,
        "bucket_seconds": bucket,
        "business_hours": ((calendar.get("working_rules") or {}).get("business_hours") or {}).get(
            "time", "08:30-18:00"
        ),
        "open_buckets": len(open_set),
        "month_buckets": all_buckets,
        "hosts": hosts,
        "daily": daily,
        "overall_24h": _percent(total_up, total),
        "below_goal": [h["host"] for h in hosts if not (h["meets_24h"] and h["meets_open"])],
    }
