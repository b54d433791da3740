"""ups_info and ups_control against the lab UPSes: NUT upsd with dummy-ups (ups01-ups03) and the
RFC 1628 SNMP agent (ups04). State-changing cases run in check mode, for real, and again."""

from __future__ import annotations

import pytest
from appliance_helpers import UPS_ARGS, drive_nut, drive_snmp, module_play, run_playbook

pytestmark = pytest.mark.lab


def ups_play(module, hosts, phases=("apply",), **args):
    return module_play(module, UPS_ARGS | args, hosts=hosts, phases=phases)


def info(hosts):
    return run_playbook(ups_play("ups_info", hosts)).results("apply")


@pytest.fixture
def nut_ups(lab):
    """ups02, back online afterwards."""
    yield "ups02"
    drive_nut("ups02", "online")


@pytest.fixture
def snmp_ups(lab):
    """ups04, back online with no shutdown pending afterwards."""
    yield "ups04"
    drive_snmp("online")
    run_playbook(ups_play("ups_control", "ups04", state="cancelled"))


@pytest.fixture
def nut_delays(lab):
    """ups03 with its delays put back afterwards."""
    before = info("ups03")["ups03"]["ups"]
    yield "ups03"
    run_playbook(
        ups_play(
            "ups_control",
            "ups03",
            state="configured",
            shutdown_delay=before["shutdown_delay"],
            startup_delay=before["startup_delay"],
        )
    )


def test_ups_info_reads_both_backends_into_one_model(lab):
    results = info("ups01:ups04")
    nut, snmp = results["ups01"]["ups"], results["ups04"]["ups"]
    assert (nut["backend"], snmp["backend"]) == ("nut", "snmp")
    for ups in (nut, snmp):
        assert ups["status"] == "online" and ups["flags"]["online"] and not ups["flags"]["on_battery"]
        assert ups["battery_charge"] == 100.0 and ups["runtime"] > 0 and ups["load"] > 0
        assert ups["input_voltage"] >= 95
        assert ups["shutdown_pending"] is False
    assert (nut["shutdown_delay"], nut["startup_delay"], nut["raw_status"]) == (60, 120, "OL")
    assert snmp["model"] == "LP-3000 SNMP" and snmp["shutdown_delay"] is None
    assert not any(result.get("changed") for result in results.values())


def test_nut_sequence_online_on_battery_low_battery_and_forced_shutdown(nut_ups):
    seen = []
    for state in ("online", "on_battery", "low_battery", "forced_shutdown"):
        drive_nut(nut_ups, state)
        ups = info(nut_ups)[nut_ups]["ups"]
        seen.append((ups["status"], ups["raw_status"], ups["battery_charge"], ups["flags"]["low_battery"]))
    assert seen == [
        ("online", "OL", 100.0, False),
        ("on_battery", "OB DISCHRG", 70.0, False),
        ("low_battery", "OB DISCHRG LB", 12.0, True),
        ("forced_shutdown", "FSD OB LB", 8.0, True),
    ]


def test_snmp_power_states_are_reported(snmp_ups):
    seen = []
    for state in ("online", "on_battery", "low_battery", "bypass"):
        drive_snmp(state)
        ups = info(snmp_ups)[snmp_ups]["ups"]
        seen.append((ups["status"], ups["battery_charge"], ups["runtime"]))
    assert seen == [
        ("online", 100.0, 2700),
        ("on_battery", 70.0, 1800),
        ("low_battery", 12.0, 180),
        ("bypass", 100.0, 2700),
    ]


def test_nut_delay_change_is_confirmed_by_tracking(nut_delays):
    run = run_playbook(
        ups_play(
            "ups_control",
            nut_delays,
            ("check", "apply", "again"),
            state="configured",
            shutdown_delay=90,
            startup_delay=300,
        )
    )
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert check["changed"] and check["confirmed_by"] is None
    assert check["diff"]["before"]["shutdown_delay"] == 60 and check["diff"]["after"]["shutdown_delay"] == 90
    # the real run still found both changes: check mode had sent nothing
    assert apply["changed"] and apply["steps"] == [
        "SET VAR ups03 ups.delay.shutdown 90",
        "SET VAR ups03 ups.delay.start 300",
    ]
    assert apply["confirmed_by"] == "tracking"
    assert (apply["after"]["shutdown_delay"], apply["after"]["startup_delay"]) == (90, 300)
    assert not again["changed"] and again["steps"] == []
    ups = info(nut_delays)[nut_delays]["ups"]
    assert (ups["shutdown_delay"], ups["startup_delay"]) == (90, 300)


def test_nut_refuses_what_the_driver_cannot_do_and_bad_credentials(nut_delays):
    run = run_playbook(
        ups_play(
            "ups_control",
            nut_delays,
            ("check", "apply"),
            state="scheduled",
            shutdown_delay=120,
            startup_delay=300,
        )
    )
    for phase in ("check", "apply"):
        result = run.result(phase)
        assert result.get("failed") and not result["changed"]
        assert result["msg"] == (
            "UPS ups03: the UPS does not offer the instant command shutdown.return (it offers: load.off)"
        )
    wrong = run_playbook(
        ups_play(
            "ups_control", nut_delays, state="configured", shutdown_delay=75, password="not-the-nut-password"
        )
    ).result("apply")
    assert (
        wrong.get("failed")
        and "ERR ACCESS-DENIED" in wrong["msg"]
        and "did not take the change" in wrong["msg"]
    )
    bad = run_playbook(
        ups_play("ups_control", nut_delays, state="configured", shutdown_delay=400, startup_delay=300)
    ).result("apply")
    assert bad.get("failed") and "must be longer than shutdown_delay" in bad["msg"]
    ups = info(nut_delays)[nut_delays]["ups"]
    assert (ups["shutdown_delay"], ups["startup_delay"]) == (60, 120)


def test_snmp_shutdown_is_scheduled_and_cancelled(snmp_ups):
    run = run_playbook(
        ups_play(
            "ups_control",
            snmp_ups,
            ("check", "apply", "again"),
            state="scheduled",
            shutdown_delay=300,
            startup_delay=900,
        )
    )
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert check["changed"] and check["diff"]["after"] == {
        "shutdown_delay": 300,
        "startup_delay": 900,
        "shutdown_scheduled": True,
        "auto_restart": True,
    }
    assert apply["changed"] and apply["steps"] == check["steps"] and apply["confirmed_by"] == "read-back"
    assert apply["steps"][-1] == "SNMP SET shutdown_after_delay = 300"
    assert not again["changed"]
    ups = info(snmp_ups)[snmp_ups]["ups"]
    assert (
        ups["shutdown_pending"],
        ups["shutdown_countdown"],
        ups["startup_countdown"],
        ups["auto_restart"],
    ) == (True, 300, 900, True)

    run = run_playbook(ups_play("ups_control", snmp_ups, ("check", "apply", "again"), state="cancelled"))
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert (
        check["changed"]
        and apply["changed"]
        and apply["steps"]
        == [
            "SNMP SET shutdown_after_delay = -1",
            "SNMP SET startup_after_delay = -1",
        ]
    )
    assert not again["changed"]
    ups = info(snmp_ups)[snmp_ups]["ups"]
    assert (ups["shutdown_pending"], ups["shutdown_countdown"]) == (False, None)


def test_snmp_refuses_a_read_only_community_and_standing_delays(snmp_ups):
    refused = run_playbook(
        ups_play(
            "ups_control",
            snmp_ups,
            state="scheduled",
            shutdown_delay=300,
            startup_delay=900,
            write_community="public",
        )
    ).result("apply")
    assert refused.get("failed") and "refused by the agent: notWritable" in refused["msg"]
    no_delays = run_playbook(ups_play("ups_control", snmp_ups, state="configured", shutdown_delay=300))
    assert "keeps no delay settings apart from a scheduled shutdown" in no_delays.result("apply")["msg"]
    assert info(snmp_ups)[snmp_ups]["ups"]["shutdown_pending"] is False


def test_an_unreachable_ups_fails_clearly(lab):
    results = run_playbook(module_play("ups_info", UPS_ARGS | {"port": 3499}, hosts="ups01")).result("apply")
    assert results.get("failed")
    assert results["msg"].startswith("cannot read UPS ups01: cannot reach upsd 127.0.0.1:3499")
    snmp = run_playbook(module_play("ups_info", UPS_ARGS | {"port": 1169, "timeout": 1}, hosts="ups04"))
    assert "agent unreachable or community not accepted" in snmp.result("apply")["msg"]
