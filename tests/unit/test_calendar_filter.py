"""The service-calendar filters (filter_plugins/service_calendar.py) as playbooks call them."""

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "service_calendar", ROOT / "filter_plugins" / "service_calendar.py"
)
service_calendar = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(service_calendar)
FILTERS = service_calendar.FilterModule().filters()
CALENDAR = yaml.safe_load((ROOT / "group_vars/all/service_calendar.yml").read_text())[
    "jichitai_service_calendar"
]


def test_filters_are_registered():
    assert set(FILTERS) == {
        "service_calendar_conflicts",
        "service_calendar_blocked",
        "service_calendar_day",
        "jp_holiday",
        "service_impact_violations",
    }


def test_conflicts_and_blocked_take_strings_as_playbooks_pass_them():
    found = FILTERS["service_calendar_conflicts"](CALENDAR, "2026-12-13T09:30", "2026-12-13T11:00")
    assert "resident_counter_sundays" in {f["rule"] for f in found}
    assert FILTERS["service_calendar_blocked"](CALENDAR, "2026-12-13 09:30", "2026-12-13 11:00")
    assert not FILTERS["service_calendar_blocked"](CALENDAR, "2026-12-16T22:00", "2026-12-16T23:30")
    assert not FILTERS["service_calendar_blocked"](
        CALENDAR, "2026-12-16T10:00", "2026-12-16T11:00", disruptive=False
    )
    only = FILTERS["service_calendar_conflicts"](
        CALENDAR, "2026-12-16T10:00", "2026-12-16T12:00", departments="140200"
    )
    assert [f["rule"] for f in only] == ["business_hours"]


def test_day_and_holiday():
    assert FILTERS["jp_holiday"]("2027-05-03") == "憲法記念日" and FILTERS["jp_holiday"]("2027-05-06") == ""
    day = FILTERS["service_calendar_day"](CALENDAR, "2026-12-30T10:00")
    assert day["closure"] == "年末年始" and day["open"] is False


def test_hosts_declaring_an_unknown_system_or_scope_are_named():
    hostvars = {
        "mnapp02": {"jichitai_business_systems": ["収納消込", "国保"]},
        "gw-dainichi": {"jichitai_service_scope": "branch"},
        "ad01": {},
    }
    problems = FILTERS["service_impact_violations"](hostvars, ["mnapp02", "gw-dainichi", "ad01"], CALENDAR)
    assert [(p["name"], p["message"].split(":")[0]) for p in problems] == [
        ("mnapp02", "jichitai_business_systems"),
        ("gw-dainichi", "jichitai_service_scope must be estate or site, not 'branch'"),
    ]
    assert "'国保'" in problems[0]["message"]
