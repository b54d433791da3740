"""dhcp_reservations with O(scopes): every scope of the pair in one run (fake peers, no lab).

The city's pair serves one scope per site; the module reads each peer once, checks every scope before
any change and sends each peer one config-set holding all its changed scopes.
"""

from __future__ import annotations

import copy

import pytest
from test_kea_rollback import Exit, FakeModule, FakePeer, dhcp_reservations

HALL, BRANCH = "198.18.100.0/22", "198.18.110.0/24"
HALL_POOL, BRANCH_POOL = "198.18.103.1-198.18.103.250", "198.18.110.100-198.18.110.200"


def pair_config(hall=(), branch=()):
    def reservations(macs, prefix):
        return [
            {"hw-address": mac, "ip-address": f"{prefix}.{20 + i}", "hostname": f"h-{prefix[-3:]}-{i}"}
            for i, mac in enumerate(macs)
        ]

    return {
        "Dhcp4": {
            "subnet4": [
                {"id": 1, "subnet": HALL, "pools": [{"pool": HALL_POOL}],
                 "reservations": reservations(hall, "198.18.100")},
                {"id": 7, "subnet": BRANCH, "pools": [{"pool": BRANCH_POOL}],
                 "reservations": reservations(branch, "198.18.110")},
            ]
        }
    }  # fmt: skip


def row(mac, ip, name):
    return {"mac": mac, "ip": ip, "hostname": name}


HALL_ROWS = [row("02:4a:00:10:01:01", "198.18.100.20", "h-100-0")]
BRANCH_ROWS = [row("02:4a:00:11:01:01", "198.18.110.20", "h-110-0")]
NEW_HALL = row("02:4a:00:10:06:01", "198.18.100.21", "prn-hall")
NEW_BRANCH = row("02:4a:00:11:06:01", "198.18.110.21", "prn-branch")


def scopes(hall_rows, branch_rows, hall_pool=HALL_POOL, branch_pool=BRANCH_POOL):
    return [
        {"name": "cityhall-pc", "site": "cityhall", "subnet": HALL, "pool": hall_pool,
         "reservations": hall_rows},
        {"name": "branch-01", "site": "branch01", "subnet": BRANCH, "gateway": "198.18.110.1",
         "pool": {"start": branch_pool.split("-")[0], "end": branch_pool.split("-")[1]},
         "reservations": branch_rows},
    ]  # fmt: skip


def run(peers, monkeypatch, check_mode=False, **params):
    monkeypatch.setattr(dhcp_reservations, "clients", lambda _p: list(peers))
    module = FakeModule(
        check_mode=check_mode, **({"subnet": None, "reservations": None, "state": "exact"} | params)
    )
    with pytest.raises(Exit) as caught:
        dhcp_reservations.Run(module).run()
    return caught.value.kind, caught.value.result


def peers_holding(**config):
    cfg = pair_config(**config)
    return FakePeer("dhcp01", cfg=cfg), FakePeer("dhcp02", cfg=copy.deepcopy(cfg))


def test_every_scope_is_planned_from_one_read_of_each_peer(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"], branch=["02:4a:00:11:01:01"])
    kind, result = run(
        [one, two],
        monkeypatch,
        check_mode=True,
        scopes=scopes(HALL_ROWS + [NEW_HALL], BRANCH_ROWS + [NEW_BRANCH]),
    )
    assert kind == "exit" and result["changed"]
    assert one.log.count("config-get") == 1 and two.log.count("config-get") == 1
    assert "config-set" not in one.log + two.log
    assert sorted((c["subnet"], c["action"], c["mac"]) for c in result["changes"]) == [
        (HALL, "add", NEW_HALL["mac"]),
        (BRANCH, "add", NEW_BRANCH["mac"]),
    ]
    assert result["summary"] == {"added": 2, "updated": 0, "removed": 0, "total": 4}
    assert [(s["name"], s["subnet_id"], s["summary"]["added"]) for s in result["scopes"]] == [
        ("cityhall-pc", 1, 1),
        ("branch-01", 7, 1),
    ]
    assert [p["difference"] for p in result["peers"]] == [{"added": 2, "updated": 0, "removed": 0}] * 2
    assert {d["before_header"].split(" reservation ")[0] for d in result["diff"]} == {
        f"subnet {HALL}",
        f"subnet {BRANCH}",
    }


def test_one_config_set_per_peer_carries_every_changed_scope(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"], branch=["02:4a:00:11:01:01"])
    kind, result = run(
        [one, two], monkeypatch, scopes=scopes(HALL_ROWS + [NEW_HALL], BRANCH_ROWS + [NEW_BRANCH])
    )
    assert kind == "exit" and result["changed"] and result["changed_hosts"] == ["dhcp01", "dhcp02"]
    for peer in (one, two):
        assert peer.log.count("config-set") == 1 and peer.log.count("config-write") == 1
        held = {
            s["subnet"]: {r["hw-address"] for r in s["reservations"]} for s in peer.saved["Dhcp4"]["subnet4"]
        }
        assert held == {
            HALL: {"02:4a:00:10:01:01", NEW_HALL["mac"]},
            BRANCH: {"02:4a:00:11:01:01", NEW_BRANCH["mac"]},
        }
    kind, again = run(
        [one, two], monkeypatch, scopes=scopes(HALL_ROWS + [NEW_HALL], BRANCH_ROWS + [NEW_BRANCH])
    )
    assert kind == "exit" and not again["changed"] and again["changes"] == []


def test_a_bad_row_in_one_scope_refuses_every_scope_and_names_it(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"], branch=["02:4a:00:11:01:01"])
    bad = row("02:4a:00:11:06:02", "198.18.110.150", "in-pool")  # inside the branch's dynamic pool
    kind, result = run([one, two], monkeypatch, scopes=scopes(HALL_ROWS + [NEW_HALL], BRANCH_ROWS + [bad]))
    assert kind == "fail" and not result["changed"]
    assert result["errors"] == [
        "scope branch-01: row 2 (in-pool): address 198.18.110.150 is inside the dynamic pool "
        "198.18.110.100-198.18.110.200"
    ]
    assert "config-set" not in one.log + two.log


def test_a_pool_the_appliance_does_not_serve_is_refused_before_any_change(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"], branch=["02:4a:00:11:01:01"])
    moved = "198.18.110.50-198.18.110.200"
    kind, result = run(
        [one, two], monkeypatch, scopes=scopes(HALL_ROWS + [NEW_HALL], BRANCH_ROWS, branch_pool=moved)
    )
    assert kind == "fail" and "config-set" not in one.log + two.log
    assert result["errors"] == [
        f"scope branch-01: {peer}: the ledger's dynamic pool {moved} of subnet {BRANCH} is not the one the "
        f"appliance serves ({BRANCH_POOL})"
        for peer in ("dhcp01", "dhcp02")
    ]


def test_a_scope_the_pair_does_not_hold_is_refused(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"])
    missing = [{"name": "school-03", "subnet": "198.18.120.0/24", "reservations": []}]
    kind, result = run([one, two], monkeypatch, scopes=scopes(HALL_ROWS, []) + missing)
    assert kind == "fail"
    assert result["errors"] == [
        f"scope school-03: {p} has no subnet 198.18.120.0/24" for p in ("dhcp01", "dhcp02")
    ]


def test_subnet_and_scopes_together_are_refused_by_the_argument_spec():
    from test_module_arg_limits import run_module

    result = run_module(
        "dhcp_reservations",
        {
            "peers": [{"name": "dhcp01", "url": "http://127.0.0.1:9/"}],
            "subnet": HALL,
            "scopes": [{"subnet": HALL, "reservations": []}],
        },
    )
    assert result["failed"] and "mutually exclusive" in result["msg"]


def test_one_subnet_in_two_scopes_is_refused_before_any_peer_is_contacted(monkeypatch):
    one, two = peers_holding(hall=["02:4a:00:10:01:01"])
    twice = [{"name": "again", "subnet": HALL, "reservations": []}]
    kind, result = run([one, two], monkeypatch, scopes=scopes(HALL_ROWS, []) + twice)
    assert kind == "fail"
    assert result["errors"] == [f"scope again: subnet {HALL} is given in more than one scope"]
    assert one.log == [] and two.log == []
