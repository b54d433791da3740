"""Reservation planning for the Kea pair (plugins/module_utils/kea/reservations.py), no server needed."""

from __future__ import annotations

import pytest
from ansible.module_utils.kea import reservations as kr

SUBNET = {
    "id": 1,
    "subnet": "198.18.100.0/22",
    "pools": [{"pool": "198.18.103.1 - 198.18.103.250"}],
    "reservations": [
        {
            "hw-address": "02:4a:00:10:01:01",
            "ip-address": "198.18.100.21",
            "hostname": "prn-1f",
            "option-data": [],
            "client-classes": [],
        },
        {"hw-address": "02:4a:00:10:02:01", "ip-address": "198.18.100.22", "hostname": "prn-2f"},
        {"client-id": "01:aa:bb", "ip-address": "198.18.100.99"},
    ],
}


PRN_1F = {"mac": "02:4a:00:10:01:01", "ip": "198.18.100.21", "hostname": "prn-1f"}


def rows(*items, state="present"):
    clean, errors = kr.parse_rows(list(items), state)
    assert errors == []
    return clean


@pytest.mark.parametrize(
    "given,expected",
    [
        ("02:4A:00:10:01:01", "02:4a:00:10:01:01"),
        ("02-4a-00-10-01-01", "02:4a:00:10:01:01"),
        ("024a.0010.0101", "02:4a:00:10:01:01"),
        ("024a00100101", "02:4a:00:10:01:01"),
        ("02:4a:00:10:01", None),
        ("02:4a:00:10:01:0g", None),
        ("02:4a-00:10:01:01", None),
        ("", None),
    ],
)
def test_mac_notations(given, expected):
    assert kr.normalize_mac(given) == expected


def test_every_bad_row_is_named_with_its_number():
    clean, errors = kr.parse_rows(
        [
            {"mac": "02:4a:00:10:05:01", "ip": "198.18.100.25", "hostname": "ok"},
            {"mac": "zz:zz", "ip": "198.18.100.26", "hostname": "bad-mac"},
            {"mac": "02:4a:00:10:05:03", "ip": "198.18.100.300", "hostname": "bad-ip"},
            {"mac": "02:4a:00:10:05:04", "hostname": "no-ip"},
            {"mac": "02:4a:00:10:05:05", "ip": "198.18.100.27", "hostname": "bad_name!"},
            {"mac": "02:4a:00:10:05:06", "ip": "198.18.100.28", "colour": "red"},
            "not a mapping",
        ],
        "present",
    )
    assert [r["hostname"] for r in clean] == ["ok"]
    assert len(errors) == 6
    assert errors[0].startswith("row 2 (bad-mac): invalid MAC address 'zz:zz'")
    assert errors[1].startswith("row 3 (bad-ip): invalid IPv4 address '198.18.100.300'")
    assert errors[2] == "row 4 (no-ip): ip is missing"
    assert errors[3] == "row 5 (bad_name!): invalid host name 'bad_name!'"
    assert "row 6: unknown keys colour" in errors[4]
    assert errors[5].startswith("row 7: not a mapping")


def test_source_names_the_ledger_line():
    row = {"mac": "x", "ip": "198.18.100.1", "source": "pc_assets.csv line 17"}
    _, errors = kr.parse_rows([row], "present")
    assert errors == ["row 1 (pc_assets.csv line 17): invalid MAC address 'x'"]


def test_absent_accepts_mac_or_ip_alone():
    clean, errors = kr.parse_rows([{"mac": "02:4a:00:10:01:01"}, {"ip": "198.18.100.22"}, {}], "absent")
    assert len(clean) == 2
    assert errors == ["row 3: give mac or ip of the reservation to remove"]


def test_present_adds_updates_and_keeps_the_rest():
    new, changes = kr.plan(
        SUBNET["reservations"],
        rows(
            {"mac": "02:4a:00:10:01:01", "ip": "198.18.100.21", "hostname": "prn-1f"},  # unchanged
            {"mac": "02:4a:00:10:02:01", "ip": "198.18.100.32", "hostname": "prn-2f"},  # moved
            {"mac": "02:4a:00:10:05:01", "ip": "198.18.100.25", "hostname": "prn-5f"},  # new
        ),
        "present",
    )
    assert [(c["action"], c["ip"]) for c in changes] == [
        ("update", "198.18.100.32"),
        ("add", "198.18.100.25"),
    ]
    assert len(new) == 4
    # fields the ledger does not manage survive, and untouched entries keep their place
    assert new[0]["option-data"] == [] and new[2] == {"client-id": "01:aa:bb", "ip-address": "198.18.100.99"}


def test_exact_removes_everything_not_listed():
    new, changes = kr.plan(SUBNET["reservations"], rows(PRN_1F), "exact")
    assert [r["ip-address"] for r in new] == ["198.18.100.21"]
    assert sorted(c["ip"] for c in changes if c["action"] == "remove") == ["198.18.100.22", "198.18.100.99"]


def test_absent_by_mac_and_by_address():
    new, changes = kr.plan(
        SUBNET["reservations"],
        rows({"mac": "02:4A:00:10:01:01"}, {"ip": "198.18.100.99"}, state="absent"),
        "absent",
    )
    assert [r["ip-address"] for r in new] == ["198.18.100.22"]
    assert {c["action"] for c in changes} == {"remove"}


def test_same_input_twice_plans_nothing():
    wanted = rows({"mac": "02:4a:00:10:01:01", "ip": "198.18.100.21", "hostname": "prn-1f"})
    new, _ = kr.plan(SUBNET["reservations"], wanted, "present")
    _, changes = kr.plan(new, wanted, "present")
    assert changes == []


def test_validation_names_each_conflict():
    wanted = rows(
        {"mac": "02:4a:00:10:05:01", "ip": "198.18.110.5", "hostname": "outside"},
        {"mac": "02:4a:00:10:05:02", "ip": "198.18.103.10", "hostname": "in-pool"},
        {"mac": "02:4a:00:10:05:03", "ip": "198.18.100.40", "hostname": "first"},
        {"mac": "02:4a:00:10:05:04", "ip": "198.18.100.40", "hostname": "second"},
        {"mac": "02:4a:00:10:05:05", "ip": "198.18.100.22", "hostname": "taken"},
        {"mac": "02:4a:00:10:05:06", "ip": "198.18.100.0", "hostname": "network"},
    )
    new, _ = kr.plan(SUBNET["reservations"], wanted, "present")
    errors = kr.validate(wanted, "present", SUBNET, new)
    text = "\n".join(errors)
    assert "row 1 (outside): address 198.18.110.5 is outside the subnet 198.18.100.0/22" in text
    assert (
        "row 2 (in-pool): address 198.18.103.10 is inside the dynamic pool 198.18.103.1-198.18.103.250"
        in text
    )
    assert "row 4 (second): address 198.18.100.40 is also reserved by row 3 (first)" in text
    assert (
        "row 5 (taken): address 198.18.100.22 is already reserved on the appliance for 02:4a:00:10:02:01"
        in text
    )
    assert "row 6 (network): address 198.18.100.0 is the network address" in text


def test_two_rows_for_one_mac_are_refused():
    wanted = rows(
        {"mac": "02:4a:00:10:05:01", "ip": "198.18.100.30"},
        {"mac": "02-4a-00-10-05-01", "ip": "198.18.100.31"},
    )
    errors = kr.validate(wanted, "present", SUBNET, kr.plan(SUBNET["reservations"], wanted, "present")[0])
    assert any("row 2: MAC 02:4a:00:10:05:01 also appears in row 1" in e for e in errors)


def test_moving_a_reservation_onto_a_freed_address_is_allowed_in_exact():
    wanted = rows({"mac": "02:4a:00:10:05:09", "ip": "198.18.100.22", "hostname": "new-owner"})
    new, _ = kr.plan(SUBNET["reservations"], wanted, "exact")
    assert kr.validate(wanted, "exact", SUBNET, new) == []


def test_address_leased_to_another_mac_is_refused():
    wanted = rows({"mac": "02:4a:00:10:05:01", "ip": "198.18.100.25", "hostname": "prn"})
    _, changes = kr.plan([], wanted, "present")
    now = 1_800_000_000
    lease = {
        "ip-address": "198.18.100.25",
        "hw-address": "02:4a:00:99:99:99",
        "state": 0,
        "cltt": now - 100,
        "valid-lft": 3600,
        "hostname": "pc-old",
    }
    errors = kr.lease_conflicts(changes, {"dhcp01": [lease], "dhcp02": []}, now=now)
    assert errors == ["prn: address 198.18.100.25 is leased to 02:4a:00:99:99:99 (pc-old) on dhcp01"]
    # the same MAC, an expired lease or a released one are no conflict
    own = dict(lease, **{"hw-address": "02:4a:00:10:05:01"})
    expired = dict(lease, cltt=now - 7200)
    released = dict(lease, state=2)
    assert kr.lease_conflicts(changes, {"dhcp01": [own, expired, released]}, now=now) == []


def test_subnet_differences_between_peers():
    pools = [{"pool": "198.18.103.1 - 198.18.103.200"}]
    other = dict(SUBNET, reservations=SUBNET["reservations"][:2], pools=pools)
    problems = kr.subnet_differences({"dhcp01": SUBNET, "dhcp02": other})
    assert problems[0] == "dhcp01 and dhcp02 differ in pools"
    assert "only on dhcp01: ['client-id=01:aa:bb 198.18.100.99 -']" in problems[1]
    assert kr.subnet_differences({"dhcp01": SUBNET, "dhcp02": dict(SUBNET)}) == []


def test_diff_has_one_entry_per_reservation_without_kea_defaults():
    _, changes = kr.plan(SUBNET["reservations"], rows(PRN_1F), "exact")
    items = kr.diff_items("198.18.100.0/22", changes)
    assert [i["before_header"] for i in items] == [
        "subnet 198.18.100.0/22 reservation 02:4a:00:10:02:01",
        "subnet 198.18.100.0/22 reservation client-id=01:aa:bb",
    ]
    assert items[0]["before"] == (
        "hostname: prn-2f\nhw-address: 02:4a:00:10:02:01\nip-address: 198.18.100.22\n"
    )
    assert items[0]["after"] == ""


def test_pools_and_subnet_lookup():
    dhcp4 = {"subnet4": [], "shared-networks": [{"name": "n", "subnet4": [SUBNET]}]}
    assert kr.find_subnet(dhcp4, "198.18.100.0/22") is SUBNET
    assert kr.find_subnet(dhcp4, "198.18.100.5/22") is SUBNET
    assert kr.find_subnet(dhcp4, "198.18.104.0/22") is None
    assert kr.pool_size(SUBNET) == 250
    assert kr.pool_size({"pools": [{"pool": "10.0.0.0/30"}]}) == 4
