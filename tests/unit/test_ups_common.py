"""The common UPS model and the control planning of both backends (ups_common, nut_client parsing)."""

from __future__ import annotations

import pytest
from ansible.module_utils.ups import common as uc
from ansible.module_utils.ups import nut as nut

NUT_VARS = {
    "ups.status": "OL",
    "battery.charge": "100",
    "battery.runtime": "2400",
    "ups.load": "35",
    "input.voltage": "100.0",
    "ups.delay.shutdown": "60",
    "ups.delay.start": "120",
    "ups.timer.shutdown": "-1",
}


@pytest.mark.parametrize(
    "raw,status",
    [
        ("OL", "online"),
        ("OL CHRG", "online"),
        ("OB DISCHRG", "on_battery"),
        ("OB DISCHRG LB", "low_battery"),
        ("OL BYPASS", "bypass"),
        ("FSD OB LB", "forced_shutdown"),
        ("OFF", "off"),
        ("", "unknown"),
    ],
)
def test_nut_status_words(raw, status):
    assert uc.status_from_nut(dict(NUT_VARS, **{"ups.status": raw}))["status"] == status


def test_nut_numbers_and_delays():
    status = uc.status_from_nut(dict(NUT_VARS, **{"ups.timer.shutdown": "45"}))
    assert status["battery_charge"] == 100.0 and status["runtime"] == 2400 and status["load"] == 35.0
    assert status["shutdown_delay"] == 60 and status["startup_delay"] == 120
    assert status["shutdown_pending"] is True and status["shutdown_countdown"] == 45


SNMP_ONLINE = {
    "battery_status": 2,
    "minutes_remaining": 45,
    "charge": 100,
    "input_voltage": 101,
    "output_source": 3,
    "output_load": 28,
    "shutdown_after_delay": -1,
    "startup_after_delay": -1,
    "auto_restart": 2,
}


@pytest.mark.parametrize(
    "change,alarms,status",
    [
        ({}, [], "online"),
        ({"output_source": 5}, [], "on_battery"),
        ({"output_source": 5, "battery_status": 3}, [], "low_battery"),
        ({"output_source": 4}, [], "bypass"),
        ({"output_source": 5}, ["shutdown_imminent"], "forced_shutdown"),
        ({"output_source": 2}, [], "off"),
    ],
)
def test_snmp_status_words(change, alarms, status):
    assert uc.status_from_snmp(dict(SNMP_ONLINE, **change), alarms)["status"] == status


def test_snmp_countdowns_are_the_delays():
    scheduled = dict(SNMP_ONLINE, shutdown_after_delay=300, startup_after_delay=900, auto_restart=1)
    status = uc.status_from_snmp(scheduled)
    assert status["runtime"] == 2700
    assert (status["shutdown_delay"], status["startup_delay"], status["shutdown_pending"]) == (300, 900, True)
    assert status["auto_restart"] is True
    idle = uc.status_from_snmp(SNMP_ONLINE)
    assert (idle["shutdown_delay"], idle["shutdown_pending"], idle["auto_restart"]) == (None, False, False)


def test_nut_delay_change_is_a_set_var():
    before, after, steps, errors = uc.plan_nut(NUT_VARS, ["load.off"], "configured", shutdown_delay=90)
    assert errors == [] and steps == [("set_var", "ups.delay.shutdown", "90")]
    assert before["shutdown_delay"] == 60 and after["shutdown_delay"] == 90
    assert uc.plan_nut(NUT_VARS, [], "configured", shutdown_delay=60, startup_delay=120)[2] == []


def test_nut_schedule_needs_the_instant_command():
    _, _, steps, errors = uc.plan_nut(NUT_VARS, ["load.off"], "scheduled", shutdown_delay=60)
    assert steps == [("instcmd", "shutdown.return")]
    assert errors == ["the UPS does not offer the instant command shutdown.return (it offers: load.off)"]
    _, after, steps, errors = uc.plan_nut(NUT_VARS, ["shutdown.stayoff"], "scheduled", auto_restart=False)
    assert errors == [] and steps == [("instcmd", "shutdown.stayoff")] and after["shutdown_scheduled"]


def test_nut_cancel_only_when_pending():
    assert uc.plan_nut(NUT_VARS, ["shutdown.stop"], "cancelled")[2] == []
    pending = dict(NUT_VARS, **{"ups.timer.shutdown": "30"})
    assert uc.plan_nut(pending, ["shutdown.stop"], "cancelled")[2] == [("instcmd", "shutdown.stop")]


def test_startup_must_come_after_shutdown():
    errors = uc.plan_nut(NUT_VARS, [], "configured", shutdown_delay=200)[3]
    assert errors == [
        "startup_delay (120 s) must be longer than shutdown_delay (200 s), "
        "or the UPS would switch back on before it has switched off"
    ]
    assert (
        "shutdown_delay must be 0 or more seconds (got -5)"
        in uc.plan_snmp(SNMP_ONLINE, "scheduled", shutdown_delay=-5)[3]
    )


def test_snmp_schedule_writes_the_countdown_last():
    before, after, writes, errors = uc.plan_snmp(SNMP_ONLINE, "scheduled", 300, 900, True)
    assert errors == []
    assert list(writes.items()) == [
        ("auto_restart", 1),
        ("startup_after_delay", 900),
        ("shutdown_after_delay", 300),
    ]
    assert before["shutdown_scheduled"] is False and after["shutdown_scheduled"] is True
    pending = dict(SNMP_ONLINE, shutdown_after_delay=250, startup_after_delay=850, auto_restart=1)
    assert uc.plan_snmp(pending, "scheduled", 300, 900, True)[2] == {}


def test_snmp_has_no_standing_delays_and_cancel_resets_countdowns():
    assert "keeps no delay settings" in uc.plan_snmp(SNMP_ONLINE, "configured", 300)[3][0]
    assert "shutdown_delay is required" in uc.plan_snmp(SNMP_ONLINE, "scheduled")[3][0]
    pending = dict(SNMP_ONLINE, shutdown_after_delay=250, startup_after_delay=850, auto_restart=1)
    _, after, writes, _ = uc.plan_snmp(pending, "cancelled")
    assert writes == {"shutdown_after_delay": -1, "startup_after_delay": -1}
    assert after["shutdown_scheduled"] is False
    assert uc.plan_snmp(SNMP_ONLINE, "cancelled")[2] == {}


def test_snmp_read_back():
    writes = {"auto_restart": 1, "shutdown_after_delay": 300}
    assert uc.snmp_readback_problems(writes, {"auto_restart": 1, "shutdown_after_delay": 297}) == []
    assert uc.snmp_readback_problems(writes, {"auto_restart": 2, "shutdown_after_delay": -1}) == [
        "auto_restart: wrote 1, the UPS reports 2",
        "shutdown_after_delay: wrote 300, the UPS reports -1",
    ]


@pytest.mark.parametrize(
    "line,words",
    [
        ('VAR ups01 ups.status "OB LB"', ["VAR", "ups01", "ups.status", "OB LB"]),
        ('UPS ups01 "lab UPS \\"one\\""', ["UPS", "ups01", 'lab UPS "one"']),
        ('VAR ups01 device.serial ""', ["VAR", "ups01", "device.serial", ""]),
    ],
)
def test_nut_answer_splitting(line, words):
    assert nut.split_line(line) == words


def test_nut_quoting_round_trip():
    assert nut.quote('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert nut.split_line("X " + nut.quote('a "b" \\ c')) == ["X", 'a "b" \\ c']
