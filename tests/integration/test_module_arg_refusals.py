"""Module arguments that would wipe, diverge or half-apply, against the lab's real peers: each case
reads the peer's state, runs the module in check mode and for real with the bad arguments, asserts
the exact refusal, and reads the state again - it must be equal (check → refuse → state equal).
One play per peer keeps this quick: the Kea HA pair, NUT upsd, the Samba AD DC and its share."""

from __future__ import annotations

import copy

import personnel_lab
import pytest
from appliance_helpers import (
    LAB_SUBNET,
    UPS_ARGS,
    dhcp_play,
    kea_clients,
    module_play,
    restored_pair,
    run_playbook,
    snapshot,
)

pytestmark = pytest.mark.lab
PHASES = ("check", "apply")


def refusals(run, phases=PHASES) -> list[str]:
    """The message of each phase, each of which must have failed without a change."""
    messages = []
    for phase in phases:
        result = next(iter(run.results(phase).values()))
        assert result.get("failed") and not result.get("changed"), result
        messages.append(result["msg"])
    return messages


# --- Kea pair -------------------------------------------------------------------------------------
@pytest.fixture
def pair(lab, lab_vars):
    clients = kea_clients(lab_vars)
    with restored_pair(clients):
        yield clients


def test_kea_pair_refuses_an_empty_exact_list_one_url_twice_and_a_broadcast_mac(pair, lab_vars):
    before = snapshot(pair)
    assert all(before.values()), "the lab pair holds reservations to lose"
    url = lab_vars("dhcp01")["jichitai_kea_api_url"]
    play = dhcp_play(
        "dhcp_reservations", {"subnet": LAB_SUBNET, "state": "exact", "reservations": []}, PHASES
    )
    bad_mac = {"mac": "ff:ff:ff:ff:ff:ff", "ip": "198.18.100.29", "hostname": "prn-bad"}
    for name, args in (("mac", {"subnet": LAB_SUBNET, "state": "present", "reservations": [bad_mac]}),):
        more = dhcp_play("dhcp_reservations", args, PHASES)[0]["tasks"][-len(PHASES) :]
        for task in more:
            task["name"] = f"{name} {task['name']}"
        play[0]["tasks"] += more
    run = run_playbook(play, {"peer_override": {"dhcp02": {"url": url}}})
    count = max(len(held) for held in before.values())
    empty = (
        "1 problem(s), nothing was changed on any peer: state=exact with an empty reservations list would "
        f"remove every reservation of the subnet on every peer ({count} on the appliance): "
        "set allow_empty=true if that is really meant"
    )
    same_url = (
        "1 problem(s), nothing was changed on any peer: peers dhcp01 and dhcp02 have the same url "
        "(host 127.0.0.1 port "
    )
    assert all(m.startswith(same_url) for m in refusals(run)), refusals(run)
    both = refusals(run, [f"mac {p}" for p in PHASES])  # every bad argument named at once
    two = same_url.replace("1 problem", "2 problem")
    assert all(m.startswith(two) and "ff:ff:ff:ff:ff:ff" in m for m in both), both
    # the same, with the real URLs: the empty list alone, and the broadcast MAC after reading the pair
    run = run_playbook(play)
    assert refusals(run) == [empty, empty]
    broadcast = [next(iter(run.results(f"mac {phase}").values()))["msg"] for phase in PHASES]
    assert all(
        "row 1 (prn-bad): MAC ff:ff:ff:ff:ff:ff is a broadcast address, never a device's own NIC" in m
        and m.startswith("1 problem(s), nothing was changed on any peer")
        for m in broadcast
    ), broadcast
    assert snapshot(pair) == before


# --- NUT ------------------------------------------------------------------------------------------
def test_nut_ups_refuses_delays_of_ten_to_the_twelve_seconds(lab):
    def delays():
        info = run_playbook(module_play("ups_info", UPS_ARGS, hosts="ups03")).results("apply")["ups03"]["ups"]
        return info["shutdown_delay"], info["startup_delay"], info["shutdown_pending"]

    before = delays()
    run = run_playbook(
        module_play("ups_control", UPS_ARGS | {"state": "scheduled", "shutdown_delay": 10**12,
                                               "startup_delay": 10**12}, hosts="ups03", phases=PHASES)
    )  # fmt: skip
    assert (
        refusals(run)
        == [
            "shutdown_delay 1000000000000 is out of range (0 to 7200 seconds); "
            "startup_delay 1000000000000 is out of range (0 to 86400 seconds)"
        ]
        * 2
    )
    assert delays() == before and before[2] is False


# --- Samba share and directory --------------------------------------------------------------------
@pytest.fixture(scope="module")
def access(lab):
    return personnel_lab.lab_access(getattr(lab, "run_dir", None))


def share_state(access):
    """The share's top-level folders and the directory's groups: what a half-applied run would change."""
    share = access.share()
    try:
        folders = [name for name, _is_dir in share.listdir("")]
    finally:
        share.close()
    with access.directory() as directory:
        found = directory.search(access.base_dn, "(objectClass=group)", ["sAMAccountName"])
        groups = sorted(a["sAMAccountName"][0] for _dn, a in found)
    return folders, groups


def test_share_folders_refuses_bad_folders_groups_and_sids_before_any_write(access):
    before = share_state(access)
    live = personnel_lab.live_organisation()
    nxt = copy.deepcopy(live)
    nxt["jichitai_departments"].append(
        dict(copy.deepcopy(live["jichitai_departments"][0]), code="990100", name="検証課",
             share_folder="_refusal_test/" + "課" * 5000,
             groups={"staff": "g-x,CN=Builtin", "managers": "g-990100-managers"})
    )  # fmt: skip
    args = {
        "organisation": live, "organisation_next": nxt, "smb_server": access.smb_server,
        "smb_share": access.smb_share, "smb_username": access.smb_user, "smb_password": access.password,
        "ldap_url": access.url, "ldap_bind_dn": access.bind_dn, "ldap_bind_password": access.password,
        "ldap_ca_file": access.ca_file, "ldap_base_dn": access.base_dn,
    }  # fmt: skip
    folders = module_play("share_folders", args | {"phase": "prepare"}, phases=PHASES)
    sids = module_play(
        "share_folders",
        args
        | {"phase": "prepare", "organisation_next": live, "admin_sids": ["S-1-5-32-544", "S-1-5-32-54x"]},
        phases=PHASES,
    )
    for task in sids[0]["tasks"]:
        task["name"] = f"sid {task['name']}"
    folders[0]["tasks"] += sids[0]["tasks"]
    run = run_playbook(folders)
    for message in refusals(run):
        assert message.startswith("所属マスタに誤りがあります。何も変更していません:")
        assert "新しい所属マスタ: 所属 990100: groups の staff: グループ名 'g-x,CN=Builtin' に" in message
        assert (
            "新しい所属マスタ: 所属 990100: 共有フォルダのパスが長すぎます（5014 文字、上限 200）" in message
        )
    assert (
        refusals(run, [f"sid {p}" for p in PHASES])
        == [
            "引数に誤りがあります。何も変更していません / bad arguments, nothing changed: "
            "admin_sids: 'S-1-5-32-54x' is not a SID such as S-1-5-32-544"
        ]
        * 2
    )
    after = share_state(access)
    assert after[0] and "_refusal_test" not in after[0], after[0]
    assert after == before
