"""dhcp_reservations and playbooks/dhcp_sync.yml against the lab's Kea HA pair (§6-3(4)④ OPS-IPAM).

Every state-changing case runs in check mode, then for real, then again (no change). Bad input,
wrong credentials and an unreachable appliance must fail clearly and leave both peers unchanged.
The pair is put back as the ledger has it after every test.
"""

from __future__ import annotations

import copy
import time

import pytest
from appliance_helpers import (
    LAB_SCOPES,
    LAB_SUBNET,
    PAIR,
    REPO,
    dhcp_play,
    kea_clients,
    module_utils,
    perfdhcp,
    reservation_set,
    restored_pair,
    run_playbook,
    snapshot,
    subnet_of,
    wait_ha,
)

pytestmark = pytest.mark.lab

DHCP_SYNC = REPO / "playbooks" / "dhcp_sync.yml"
UNPLANNED = {"workplan_unplanned_ok": True, "workplan_unplanned_reason": "lab integration test"}
SYNC_TASK = "dhcp_sync : Make each scope's reservations on both peers match the ledger"
LAB_SCOPE = "cityhall-lab"  # the lab ledger's one scope (inventories/lab/group_vars/pair_dhcp.yml)
NEW_PRINTER = {"hostname": "prn-cityhall-5f-01", "mac": "02:4a:00:10:05:01", "ip": "198.18.100.25"}
HEALTHY = ("hot-standby",)


@pytest.fixture
def pair(lab, lab_vars):
    """Kea clients of both peers; afterwards the pair holds again what it held before the test."""
    clients = kea_clients(lab_vars)
    with restored_pair(clients):
        yield clients


def ledger_with(*extra, scope=0):
    scopes = copy.deepcopy(LAB_SCOPES)
    scopes[scope]["reservations"] += list(extra)
    return {"jichitai_dhcp_scopes": scopes}


def sync(extra_vars, check=False):
    return run_playbook(DHCP_SYNC, extra_vars | UNPLANNED, check=check)


def reservations(rows, state="present", phases=("check", "apply", "again"), **options):
    """A play running dhcp_reservations on the lab pair for each phase."""
    return dhcp_play(
        "dhcp_reservations", {"subnet": LAB_SUBNET, "state": state, "reservations": rows} | options, phases
    )


def assert_unchanged(pair, before):
    for host in PAIR:
        assert reservation_set(pair[host]) == before[host], f"{host} was changed"


def test_reservation_added_by_dhcp_sync_is_handed_out_to_a_dhcp_client(pair):
    before = snapshot(pair)
    wanted = ledger_with(NEW_PRINTER)

    plan = sync(wanted, check=True)
    assert not plan.failed, plan.stderr
    result = plan.result(SYNC_TASK)
    assert result["changed"] and [c["action"] for c in result["changes"]] == ["add"]
    assert result["diff"][0]["before_header"].endswith(NEW_PRINTER["mac"])
    assert "ip-address: 198.18.100.25" in result["diff"][0]["after"]
    assert_unchanged(pair, before)

    applied = sync(wanted)
    assert not applied.failed, applied.stderr
    result = applied.result(SYNC_TASK)
    assert result["changed"] and result["summary"] == {"added": 1, "updated": 0, "removed": 0, "total": 9}
    assert [(s["name"], s["summary"]["added"]) for s in result["scopes"]] == [(LAB_SCOPE, 1)]
    expected = before["dhcp01"] | {(NEW_PRINTER["mac"], NEW_PRINTER["ip"], NEW_PRINTER["hostname"])}
    assert snapshot(pair) == {"dhcp01": expected, "dhcp02": expected}
    # both peers hold the same subnet, and wrote it to their configuration files
    assert subnet_of(pair["dhcp01"]) == subnet_of(pair["dhcp02"])
    wait_ha(pair, dict.fromkeys(PAIR, HEALTHY))

    again = sync(wanted)
    assert not again.failed and not again.changed

    report = perfdhcp(NEW_PRINTER["mac"])
    leases = pair["dhcp01"].leases_by_mac(NEW_PRINTER["mac"])
    assert [lease["ip-address"] for lease in leases] == [NEW_PRINTER["ip"]], report
    # the standby learnt the lease through HA
    assert [lease["ip-address"] for lease in pair["dhcp02"].leases_by_mac(NEW_PRINTER["mac"])] == [
        NEW_PRINTER["ip"]
    ]

    # dhcp_info finds the lease by MAC and by address, on both peers
    info = run_playbook(
        dhcp_play("dhcp_info", {"macs": [NEW_PRINTER["mac"]], "addresses": [NEW_PRINTER["ip"]]})
    )
    leases = info.result("apply")["leases"]
    assert [(x["ip"], x["mac"], x["state"], x["peers"]) for x in leases] == [
        (NEW_PRINTER["ip"], NEW_PRINTER["mac"], "assigned", ["dhcp01", "dhcp02"])
    ]

    # the ledger without the printer takes the reservation away again (state exact)
    restored = sync({"jichitai_dhcp_scopes": LAB_SCOPES})
    assert restored.changed and snapshot(pair) == before


def test_present_absent_and_exact_through_the_module(pair):
    before = snapshot(pair)
    row = dict(NEW_PRINTER, ip="198.18.100.26")
    added = before["dhcp01"] | {(row["mac"], row["ip"], row["hostname"])}
    for state, rows, after in (
        ("present", [row], added),
        ("absent", [{"mac": row["mac"]}], before["dhcp01"]),
    ):
        run = run_playbook(reservations(rows, state))
        check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
        assert check["changed"] and not check.get("failed"), check.get("msg")
        # the real run still found the change: check mode had changed nothing
        assert apply["changed"] and not apply.get("failed"), apply.get("msg")
        assert apply["changes"] == check["changes"] and len(apply["changes"]) == 1
        assert [p["changed"] for p in apply["peers"]] == [True, True]
        assert not again["changed"] and not again.get("failed")
        assert snapshot(pair) == dict.fromkeys(PAIR, after)

    # exact with the ledger's list leaves the ledger's reservations and nothing else
    ledger = LAB_SCOPES[0]["reservations"]
    extra = dict(NEW_PRINTER, ip="198.18.100.27")
    run_playbook(reservations([extra], phases=("apply",)))
    run = run_playbook(reservations(ledger, "exact"))
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert [c["action"] for c in check["changes"]] == ["remove"] and check["changes"][0]["ip"] == extra["ip"]
    assert apply["changed"] and apply["changes"] == check["changes"] and not again["changed"]
    assert snapshot(pair) == dict.fromkeys(PAIR, {(r["mac"], r["ip"], r["hostname"]) for r in ledger})


BAD_INPUT = [
    pytest.param(
        [{"mac": "02:4a:00:10:05:zz", "ip": "198.18.100.25", "hostname": "x"}],
        "row 1 (x): invalid MAC address '02:4a:00:10:05:zz'",
        id="invalid-mac",
    ),
    pytest.param(
        [{"mac": "02:4a:00:10:05:01", "ip": "198.18.100.256", "hostname": "x"}],
        "row 1 (x): invalid IPv4 address '198.18.100.256'",
        id="invalid-ip",
    ),
    pytest.param(
        [{"mac": "02:4a:00:10:05:01", "ip": "198.18.10.25", "hostname": "x"}],
        "address 198.18.10.25 is outside the subnet 198.18.100.0/22",
        id="outside-subnet",
    ),
    pytest.param(
        [{"mac": "02:4a:00:10:05:01", "ip": "198.18.103.20", "hostname": "x"}],
        "address 198.18.103.20 is inside the dynamic pool 198.18.103.1-198.18.103.250",
        id="inside-pool",
    ),
    pytest.param(
        [
            {"mac": "02:4a:00:10:05:01", "ip": "198.18.100.25", "hostname": "a"},
            {"mac": "02:4a:00:10:05:02", "ip": "198.18.100.25", "hostname": "b"},
        ],
        "row 2 (b): address 198.18.100.25 is also reserved by row 1 (a)",
        id="one-address-twice",
    ),
    pytest.param(
        [{"mac": "02:4a:00:10:05:01", "ip": "198.18.100.21", "hostname": "x"}],
        "address 198.18.100.21 is already reserved on the appliance for 02:4a:00:10:01:01",
        id="address-reserved-for-another-mac",
    ),
]


@pytest.fixture(scope="module")
def bad_input_runs(lab, lab_vars):
    """Every bad-input case, each in check mode and for real, in one play; the pair before and after."""
    clients = kea_clients(lab_vars)
    before = snapshot(clients)
    tasks = []
    for case in BAD_INPUT:
        args = {"peers": "{{ lab_peers }}", "subnet": LAB_SUBNET, "reservations": case.values[0]}
        tasks += [
            {
                "name": f"{case.id} {phase}",
                "dhcp_reservations": args,
                "check_mode": phase == "check",
                "ignore_errors": True,
            }
            for phase in ("check", "apply")
        ]
    play = dhcp_play("dhcp_reservations", {}, phases=())
    play[0]["tasks"] += tasks
    return run_playbook(play), before, snapshot(clients)


@pytest.mark.parametrize("rows,message", BAD_INPUT)
def test_bad_input_is_refused_and_both_peers_stay_unchanged(request, bad_input_runs, rows, message):
    run, before, after = bad_input_runs
    case = request.node.callspec.id
    for phase in ("check", "apply"):
        result = run.result(f"{case} {phase}")
        assert result.get("failed") and not result["changed"]
        assert message in result["msg"] and "nothing was changed on any peer" in result["msg"]
    assert after == before


def test_a_ledger_pool_the_appliance_does_not_serve_refuses_the_whole_sync(pair):
    before = snapshot(pair)
    wanted = ledger_with(NEW_PRINTER)
    wanted["jichitai_dhcp_scopes"][0]["pool"] = {"start": "198.18.103.10", "end": "198.18.103.250"}
    result = sync(wanted).result(SYNC_TASK)
    assert result.get("failed") and not result["changed"], result
    assert [e.split(": ", 2)[1] for e in result["errors"]] == list(PAIR), result["errors"]
    assert all("dynamic pool 198.18.103.10-198.18.103.250" in e for e in result["errors"])
    assert_unchanged(pair, before)


def test_every_bad_row_is_named_in_one_error(pair):
    before = snapshot(pair)
    rows = [
        {"mac": "02:4a:00:10:05:01", "ip": "198.18.100.25", "hostname": "good"},
        {"mac": "bad", "ip": "198.18.100.26", "hostname": "r2"},
        {"mac": "02:4a:00:10:05:03", "ip": "198.18.103.30", "hostname": "r3"},
        {"mac": "02:4a:00:10:05:04", "ip": "198.18.99.1", "hostname": "r4"},
    ]
    # through the playbook, as the ledger would feed it
    result = sync(ledger_with(*rows)).result(SYNC_TASK)
    prefix = f"scope {LAB_SCOPE}: "  # the role sends every scope in one call; each error names its scope
    assert all(e.startswith(prefix) for e in result["errors"]), result["errors"]
    errors = [e.removeprefix(prefix) for e in result["errors"]]
    assert [e.split(":")[0] for e in errors] == ["row 10 (r2)", "row 11 (r3)", "row 12 (r4)"]
    assert errors[0] == "row 10 (r2): invalid MAC address 'bad'"
    assert "inside the dynamic pool" in errors[1] and "outside the subnet" in errors[2]
    result = run_playbook(reservations(rows, phases=("apply",))).result("apply")
    assert [e.split(":")[0] for e in result["errors"]] == ["row 2 (r2)", "row 3 (r3)", "row 4 (r4)"]
    assert_unchanged(pair, before)


def test_address_leased_to_another_mac_is_refused(pair):
    before = snapshot(pair)
    now = int(time.time())
    lease = {
        "ip-address": "198.18.100.60",
        "hw-address": "02:4a:00:99:00:60",
        "hostname": "pc-visitor",
        "subnet-id": subnet_of(pair["dhcp01"])["id"],
        "valid-lft": 3600,
        "expire": now + 3600,
    }
    pair["dhcp01"].command("lease4-add", lease)
    rows = [{"mac": "02:4a:00:10:06:00", "ip": "198.18.100.60", "hostname": "prn-new"}]
    result = run_playbook(reservations(rows, phases=("apply",))).result("apply")
    assert result.get("failed")
    assert (
        "row 1 (prn-new): address 198.18.100.60 is leased to 02:4a:00:99:00:60 (pc-visitor) on dhcp01"
        in result["msg"]
    )
    assert_unchanged(pair, before)
    # the lease's own MAC may have the address reserved
    own = [{"mac": "02:4a:00:99:00:60", "ip": "198.18.100.60", "hostname": "pc-visitor"}]
    assert run_playbook(reservations(own, phases=("check",))).result("check")["changed"]


def test_wrong_credentials_fail_clearly_and_change_nothing(pair):
    before = snapshot(pair)
    override = {"peer_override": {"dhcp02": {"password": "not-the-lab-password"}}}
    result = run_playbook(reservations([NEW_PRINTER], phases=("apply",)), override).result("apply")
    assert result.get("failed") and not result["changed"]
    assert (
        "dhcp02: the control agent at http://127.0.0.1:8002/ refused the credentials (HTTP 401)"
        in result["msg"]
    )
    assert "not-the-lab-password" not in str(result)
    assert_unchanged(pair, before)


def test_unreachable_appliance_fails_clearly_and_changes_nothing(pair):
    before = snapshot(pair)
    override = {"peer_override": {"dhcp02": {"url": "http://127.0.0.1:8009/"}}}
    result = run_playbook(reservations([NEW_PRINTER], phases=("apply",)), override).result("apply")
    assert result.get("failed") and not result["changed"]
    assert "a peer of the pair is down, so no peer is changed" in result["msg"]
    assert "dhcp02: cannot reach the control agent at http://127.0.0.1:8009/" in result["msg"]
    assert_unchanged(pair, before)


def test_peers_that_already_differ_are_refused_unless_converged(pair):
    before = snapshot(pair)
    # someone changed dhcp02 by hand
    config = pair["dhcp02"].config_get()
    subnet = module_utils("kea.reservations").find_subnet(config["Dhcp4"], LAB_SUBNET)
    subnet["reservations"].append({"hw-address": "02:4a:00:77:00:01", "ip-address": "198.18.100.77"})
    pair["dhcp02"].config_set(config)
    wait_ha(pair, dict.fromkeys(PAIR, HEALTHY))

    result = run_playbook(reservations([NEW_PRINTER], phases=("apply",))).result("apply")
    assert result.get("failed")
    assert "the peers' definitions of subnet 198.18.100.0/22 already differ" in result["msg"]
    assert "only on dhcp02: ['02:4a:00:77:00:01 198.18.100.77 -']" in result["msg"]
    assert reservation_set(pair["dhcp01"]) == before["dhcp01"]

    run = run_playbook(reservations([NEW_PRINTER], converge=True))
    check, apply, again = (run.result(phase) for phase in ("check", "apply", "again"))
    assert check["changed"] and [p["changed"] for p in check["peers"]] == [True, True]
    assert any(d["before_header"] == "dhcp02 subnet 198.18.100.0/22" for d in check["diff"])
    assert apply["changed"] and apply["changes"] == check["changes"] and not again["changed"]
    expected = before["dhcp01"] | {(NEW_PRINTER["mac"], NEW_PRINTER["ip"], NEW_PRINTER["hostname"])}
    assert snapshot(pair) == dict.fromkeys(PAIR, expected)


def test_dhcp_sync_refuses_part_of_the_pair(pair):
    before = snapshot(pair)
    unknown_site = {"dhcp_sync_sites": ["nosuch"]}
    run = run_playbook(DHCP_SYNC, ledger_with(NEW_PRINTER) | UNPLANNED | unknown_site, limit="dhcp01")
    assert run.failed
    result = run.result(
        "dhcp_sync : Refuse a run against only part of the pair, or for a site without a scope in the ledger"
    )
    assert "run it for the whole group pair_dhcp (dhcp01, dhcp02), not with --limit" in result["msg"]
    # both reasons named
    assert "dhcp_sync_sites に台帳のスコープがない拠点があります: nosuch" in result["msg"]
    assert_unchanged(pair, before)
