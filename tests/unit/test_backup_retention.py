"""The contract's retention and the rotating data check (plugins/module_utils/backup/retention.py):
three daily runs leave three generations, a fourth forgets the oldest with its reason in Japanese,
groups (host and paths) are kept apart; every calendar month's daily subsets cover every subset,
February and 31-day months included, and a missed day is named as an unread subset."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from backup import retention  # noqa: E402


def snap(n: int, host: str = "fs01", paths=("/srv/share",), day: int | None = None) -> dict:
    when = f"2026-12-{day or n:02d}T18:30:00.123456789+09:00"
    return {"id": f"{host}{n:02d}".ljust(64, "0"), "short_id": f"{host}{n:02d}"[:8], "time": when,
            "hostname": host, "paths": list(paths), "tags": ["daily"]}


def ids(entries: list[dict]) -> list[str]:
    return [e["short_id"] for e in entries]


def test_three_runs_keep_three():
    decided = retention.plan([snap(1), snap(2), snap(3)])
    assert ids(decided["keep"]) == ["fs0103", "fs0102", "fs0101"]
    assert decided["forget"] == []
    assert decided["keep"][2]["reason_ja"] == "保持: 最新から3世代目(契約の保持世代数 3)"


def test_fourth_run_forgets_the_oldest_with_the_reason():
    decided = retention.plan([snap(4), snap(2), snap(1), snap(3)])  # order of the input does not matter
    assert ids(decided["keep"]) == ["fs0104", "fs0103", "fs0102"]
    assert ids(decided["forget"]) == ["fs0101"]
    forgotten = decided["forget"][0]
    assert forgotten["generation"] == 4
    assert forgotten["reason_ja"] == ("削除: 最新から4世代目。契約の保持世代数 3 を超える"
                                      "(保持する最古の世代は 2026-12-02 18:30 JST)")
    assert retention.japan_time("2026-12-06T20:27:49.577555899Z") == "2026-12-07 05:27 JST"


def test_groups_by_host_and_paths():
    snaps = [snap(n) for n in range(1, 6)] + [snap(n, host="fs02") for n in (1, 2)] + \
        [snap(n, paths=("/srv/other",)) for n in (3, 4, 5, 6)]
    decided = retention.plan(snaps)
    assert decided["groups"] == 3
    assert sorted(ids(decided["forget"])) == ["fs0101", "fs0102", "fs0103"]
    assert len(decided["keep"]) == 3 + 2 + 3


def test_same_instant_is_stable_and_bad_input_refused():
    a, b = snap(1, day=5), snap(2, day=5)
    assert retention.plan([a, b], generations=1) == retention.plan([b, a], generations=1)
    with pytest.raises(ValueError):
        retention.plan([{"id": "x"}])
    with pytest.raises(ValueError):
        retention.plan([], generations=0)


@pytest.mark.parametrize(("year", "month"), [(2026, 2), (2028, 2), (2026, 4), (2026, 12), (2027, 1)])
def test_every_month_reads_every_subset(year, month):
    days = retention.month_days(year, month)
    assert len(days) in (28, 29, 30, 31)
    assert retention.subsets_read(days) == set(range(1, retention.SUBSETS + 1))
    assert retention.unread_subsets(days) == []


def test_every_month_of_ten_years_and_every_28_day_window():
    for year in range(2026, 2036):
        for month in range(1, 13):
            assert retention.unread_subsets(retention.month_days(year, month)) == [], (year, month)
    start = date(2026, 1, 1)
    for offset in range(400):
        window = [start + timedelta(days=offset + n) for n in range(retention.SUBSETS)]
        assert len(retention.subsets_read(window)) == retention.SUBSETS


def test_subset_argument_and_missed_days():
    day = date(2026, 12, 6)
    assert retention.subset_for(day) == f"{day.toordinal() % 28 + 1}/28"
    assert retention.subset_for(day, 4) == f"{day.toordinal() % 4 + 1}/4"
    february = retention.month_days(2027, 2)
    missed = february[9]
    assert retention.unread_subsets([d for d in february if d != missed]) == \
        [int(retention.subset_for(missed).split("/")[0])]
    with pytest.raises(ValueError):
        retention.subset_for(day, 257)
