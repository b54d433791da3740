"""The §4-3(3) table as business systems → departments → slots: work chosen by the systems it touches."""

import importlib.util
from pathlib import Path

import pytest
import yaml

from jichitai_ops import service_calendar as cal

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = yaml.safe_load((ROOT / "group_vars/all/service_calendar.yml").read_text())[
    "jichitai_service_calendar"
]
_spec = importlib.util.spec_from_file_location(
    "service_calendar_filters", ROOT / "filter_plugins/service_calendar.py"
)
_filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filters)
FILTERS = _filters.FilterModule().filters()

# 2027-04-25: the 4th Sunday of April (納税課 第四日曜日; 保険課・保険収納課 「第4週 日」 under two readings)
SUNDAY = ("2027-04-25T10:00", "2027-04-25T11:00")


def slots(found):
    return {(f["rule"], f["department"]) for f in found if f["code"] == "service_slot"}


def test_index_maps_each_system_to_every_department_that_serves_on_it():
    index = cal.systems_index(CALENDAR)
    codes = {system: [d["department"] for d in deps] for system, deps in index.items()}
    for shared in ("収納消込", "口座管理", "滞納管理"):
        assert codes[shared] == ["140200", "150200"], shared
    assert codes["後期高齢者医療"] == ["150100", "150200"]
    assert codes["住民記録"] == ["140300"] and codes["国民健康保険"] == ["150100"]
    collections = {d["department"]: d for d in index["収納消込"]}
    assert collections["150200"]["slots"][0] == "insurance_collection_evenings_apr_may"
    assert "insurance_collection_write_off" in collections["150200"]["slots"]


def test_work_on_the_collections_systems_shows_both_departments_slots():
    found = FILTERS["service_calendar_conflicts"](CALENDAR, *SUNDAY, systems=["収納消込"])
    assert slots(found) == {("tax_collection_sundays", "140200"), ("insurance_collection_sundays", "150200")}
    for finding in (f for f in found if f["code"] == "service_slot"):
        assert finding["systems"] == ["収納消込"]
        assert "（対象システム: 収納消込）" in finding["ja"]
    # naming one department misses the other's slot on the same system
    only_tax = FILTERS["service_calendar_conflicts"](CALENDAR, *SUNDAY, departments=["140200"])
    assert slots(only_tax) == {("tax_collection_sundays", "140200")}


def test_systems_take_the_place_of_the_default_all_and_departments_still_add():
    found = cal.evaluate(
        CALENDAR, *SUNDAY, disruptive=True, departments=["all"], systems=["住民記録"]
    )  # the role's default departments stay [all]
    resident = {("resident_certificates_daily", "140300"), ("resident_counter_sundays", "140300")}
    assert slots(found) == resident
    both = cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, departments=["150100"], systems=["住民記録"])
    assert slots(both) == resident | {("insurance_sundays", "150100")}
    everything = cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, systems=["all"])
    assert slots(everything) == slots(cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, departments=["all"]))
    assert FILTERS["service_calendar_blocked"](CALENDAR, *SUNDAY, systems="後期高齢者医療")


def test_a_system_no_off_hours_service_uses_blocks_only_by_working_rules():
    # a Wednesday night: nothing; a Wednesday morning: the business hours of an open day only
    assert (
        cal.evaluate(CALENDAR, "2026-12-16T22:00", "2026-12-16T23:00", disruptive=True, systems=["住民記録"])
        == []
    )
    day = cal.evaluate(
        CALENDAR, "2026-12-16T10:00", "2026-12-16T11:00", disruptive=True, systems=["住民記録"]
    )
    assert [f["rule"] for f in day] == ["business_hours", "resident_certificates_daily"]


def test_an_unknown_system_is_an_error_naming_the_known_ones():
    with pytest.raises(
        cal.CalendarError, match="unknown business system.*住民票.*the calendar knows: .*住民記録"
    ):
        cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, systems=["住民票"])


def test_a_site_selects_only_the_services_given_there():
    at_dainichi = cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, departments=["all"], sites=["dainichi"])
    assert slots(at_dainichi) == {("resident_certificates_daily", "140300")}
    at_cityhall = slots(cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, sites=["cityhall"]))
    assert ("resident_counter_sundays", "140300") in at_cityhall
    assert ("resident_certificates_daily", "140300") not in at_cityhall
    assert slots(cal.evaluate(CALENDAR, *SUNDAY, disruptive=True, sites=["moriguchi_es"])) == set()
    assert cal.selected_slots(CALENDAR, sites=["moriguchi_es"]) == []
    assert cal.selected_slots(CALENDAR, sites=["all"]) is None
    assert cal.selected_slots(CALENDAR) is None
    # a site and a system together: the union
    both = cal.selected_slots(CALENDAR, systems=["国民健康保険"], sites=["dainichi"])
    assert [s["id"] for s in both] == [
        "resident_certificates_daily",
        "insurance_evenings_apr_may",
        "insurance_evenings_oct_mar",
        "insurance_sundays",
    ]


def test_every_slot_names_the_site_where_its_service_is_given():
    assert {s["id"]: s["site"] for s in CALENDAR["service_slots"]}[
        "resident_certificates_daily"
    ] == "dainichi"
    broken = dict(
        CALENDAR,
        service_slots=[{k: v for k, v in s.items() if k != "site"} for s in CALENDAR["service_slots"][:1]],
    )
    with pytest.raises(cal.CalendarError, match="resident_counter_sundays: site is required"):
        cal.validate(broken)
