"""The lab's UPSes are real: LIST UPS on NUT upsd and an SNMP GET of upsBatteryStatus (lab inventory)."""

from __future__ import annotations

import pytest
from appliance_helpers import module_utils

pytestmark = pytest.mark.lab

NUT_UPSES = ("ups01", "ups02", "ups03")


def test_upsd_lists_every_nut_ups_of_the_inventory(lab, lab_vars):
    nut = module_utils("ups.nut")
    first = lab_vars(NUT_UPSES[0])
    with nut.NutClient(first["jichitai_ups_address"], first["jichitai_ups_port"]) as client:
        listed = client.list_ups()
        for ups in NUT_UPSES:
            assert lab_vars(ups)["jichitai_ups_backend"] == "nut"
            assert lab_vars(ups)["jichitai_ups_name"] in listed
            assert client.get_var(ups, "ups.status").split()[0] in ("OL", "OB", "FSD")


def test_upsd_accepts_the_lab_user_for_changes(lab, lab_vars):
    nut = module_utils("ups.nut")
    ups = lab_vars("ups01")
    with nut.NutClient(ups["jichitai_ups_address"], ups["jichitai_ups_port"]) as client:
        client.login(ups["jichitai_ups_user"], ups["jichitai_ups_password"])
        assert client.enable_tracking() is True
        current = client.get_var("ups01", "ups.delay.start")
        tracking = client.set_var("ups01", "ups.delay.start", current)
        assert client.wait_tracking(tracking, "SET VAR ups01 ups.delay.start") == "SUCCESS"


def test_snmp_get_of_ups_battery_status(lab, lab_vars):
    snmp = module_utils("ups.snmp")
    ups = lab_vars("ups04")
    assert ups["jichitai_ups_backend"] == "snmp"
    client = snmp.SnmpUpsClient(
        ups["jichitai_ups_address"],
        ups["jichitai_ups_port"],
        community=ups["jichitai_ups_community"],
        timeout=2,
    )
    values = client.get(["battery_status", "output_source", "ident_name"])
    assert values["battery_status"] in (2, 3, 4)  # batteryNormal / batteryLow / batteryDepleted
    assert values["ident_name"] == "ups04"


def test_snmp_read_only_community_cannot_write(lab, lab_vars):
    snmp = module_utils("ups.snmp")
    ups = lab_vars("ups04")
    client = snmp.SnmpUpsClient(
        ups["jichitai_ups_address"],
        ups["jichitai_ups_port"],
        write_community=ups["jichitai_ups_community"],
        timeout=2,
    )
    with pytest.raises(snmp.SnmpUpsError, match="notWritable"):
        client.set({"shutdown_after_delay": 600})
    assert client.get(["shutdown_after_delay"])["shutdown_after_delay"] == -1
