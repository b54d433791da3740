"""Module arguments that would wipe, diverge or half-apply are refused before the module contacts
anything: each module runs in-process with its peers pointed at closed ports, so a refusal that came
after a connection attempt would show a connection error instead of the exact message asserted."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
from pathlib import Path

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.hr_transfer import org as hr_org

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "127.0.0.1"  # port 9 (discard) is closed here: a connection attempt fails at once
ORGANISATION = yaml.safe_load(
    (ROOT / "inventories" / "moriguchi" / "group_vars" / "all" / "organisation.yml").read_text(
        encoding="utf-8"
    )
)


def run_module(name: str, args: dict) -> dict:
    spec = importlib.util.spec_from_file_location(f"module_{name}", ROOT / "library" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
    basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            module.main()
    finally:
        basic._ANSIBLE_ARGS = basic._ANSIBLE_PROFILE = None
    return json.loads(out.getvalue())


# --- dhcp_reservations ----------------------------------------------------------------------------
PEERS = [{"name": "dhcp01", "url": f"http://{CLOSED}:9/"}, {"name": "dhcp02", "url": f"http://{CLOSED}:10/"}]
GOOD = {"mac": "02:4a:00:10:06:01", "ip": "10.10.16.21", "hostname": "prn-1"}


def dhcp(before_contact=True, **args) -> dict:
    """The refusal; with BEFORE_CONTACT, one that came before any peer was tried. Bad rows are
    reported together with what the peers say (a read), and never reach a write."""
    result = run_module("dhcp_reservations", {"peers": PEERS, "subnet": "10.10.16.0/20"} | args)
    assert result["failed"] is True and result["changed"] is False, result
    assert all(p["state"] in ("untouched", "unreachable") and not p["changed"] for p in result["peers"])
    if before_contact:
        assert "cannot reach" not in result["msg"], "refused only after trying a peer"
    return result


def test_exact_without_a_list_is_refused_before_any_peer_is_tried():
    expected = (
        "state=exact without reservations would remove every reservation of the subnet on every peer: "
        "give the reservations (the whole list the subnet must hold)"
    )
    result = dhcp(state="exact")
    assert result["errors"] == [expected]
    assert result["msg"] == f"1 problem(s), nothing was changed on any peer: {expected}"


def run_on_fake_pair(monkeypatch, holding, check_mode=False, **params):
    """dhcp_reservations against two in-memory peers holding the given MACs (tests/unit/test_kea_rollback)."""
    from test_kea_rollback import SUBNET, Exit, FakeModule, FakePeer, config

    peers = [FakePeer("dhcp01", config(*holding)), FakePeer("dhcp02", config(*holding))]
    dhcp_reservations = importlib.import_module("test_kea_rollback").dhcp_reservations
    monkeypatch.setattr(dhcp_reservations, "clients", lambda _p: list(peers))
    module = FakeModule(check_mode=check_mode, subnet=SUBNET, **params)
    with pytest.raises(Exit) as caught:
        dhcp_reservations.Run(module).run()
    return caught.value.kind, caught.value.result, peers


@pytest.mark.parametrize("holding", [("02:4a:00:10:01:01",), ("02:4a:00:10:01:01", "02:4a:00:10:01:02")])
@pytest.mark.parametrize("check_mode", [True, False])
def test_an_empty_exact_list_that_would_remove_reservations_is_refused(monkeypatch, holding, check_mode):
    kind, result, peers = run_on_fake_pair(
        monkeypatch, holding, check_mode, state="exact", reservations=[], allow_empty=False
    )
    expected = (
        "state=exact with an empty reservations list would remove every reservation of the subnet on every "
        f"peer ({len(holding)} on the appliance): set allow_empty=true if that is really meant"
    )
    assert kind == "fail" and result["errors"] == [expected] and result["changed"] is False
    assert all(peer.log == ["config-get"] for peer in peers), [peer.log for peer in peers]


def test_an_empty_exact_list_for_an_empty_subnet_changes_nothing_and_passes(monkeypatch):
    kind, result, peers = run_on_fake_pair(monkeypatch, (), state="exact", reservations=[], allow_empty=False)
    assert kind == "exit" and result["changed"] is False


def test_allow_empty_plans_the_removal_of_every_reservation(monkeypatch):
    kind, result, _peers = run_on_fake_pair(
        monkeypatch, ("02:4a:00:10:01:01",), True, state="exact", reservations=[], allow_empty=True
    )
    assert kind == "exit" and result["changed"] is True
    assert [c["action"] for c in result["changes"]] == ["remove"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://127.0.0.1:8001/", "http://127.0.0.1:8001/"),
        ("http://127.0.0.1:8001/", "http://127.0.0.1:8001"),
        ("https://KEA01.example.jp/", "https://kea01.example.jp:443/"),
    ],
)
def test_two_peers_on_one_control_agent_are_refused(first, second):
    peers = [{"name": "dhcp01", "url": first}, {"name": "dhcp02", "url": second}]
    result = dhcp(peers=peers, reservations=[GOOD])
    host, port = ("127.0.0.1", 8001) if "127" in first else ("kea01.example.jp", 443)
    assert result["errors"] == [
        f"peers dhcp01 and dhcp02 have the same url (host {host} port {port}): "
        "each peer of the pair needs its "
        "own Control Agent, else one peer is changed twice and the other not at all"
    ]


@pytest.mark.parametrize(
    ("mac", "kind"),
    [
        ("ff:ff:ff:ff:ff:ff", "broadcast"),
        ("FF-FF-FF-FF-FF-FF", "broadcast"),
        ("00:00:00:00:00:00", "all-zero"),
        ("000000000000", "all-zero"),
        ("01:00:5e:00:00:fb", "multicast"),
        ("33:33:00:00:00:01", "multicast"),
    ],
)
def test_broadcast_zero_and_multicast_macs_are_refused(mac, kind):
    result = dhcp(
        False, reservations=[GOOD, {"mac": mac, "ip": "10.10.16.22", "hostname": "bad-1"}], timeout=1
    )
    digits = mac.replace(":", "").replace("-", "").lower()
    normal = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    article = "an" if kind == "all-zero" else "a"
    assert (
        f"row 2 (bad-1): MAC {normal} is {article} {kind} address, never a device's own NIC"
        in result["errors"]
    )


@pytest.mark.parametrize("ip", ["0.0.0.0", "255.255.255.255", "224.0.0.251"])
def test_addresses_that_cannot_be_a_host_are_refused(ip):
    result = dhcp(
        False, reservations=[{"mac": "02:4a:00:10:06:02", "ip": ip, "hostname": "bad-2"}], timeout=1
    )
    assert f"row 1 (bad-2): address {ip} cannot be a host's address" in result["errors"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"timeout": 0}, "timeout 0.0 is out of range (more than 0, at most 300 seconds)"),
        ({"timeout": 1e12}, "timeout 1000000000000.0 is out of range (more than 0, at most 300 seconds)"),
        ({"ha_wait_timeout": -1}, "ha_wait_timeout -1.0 is out of range (more than 0, at most 3600 seconds)"),
    ],
)
def test_timers_out_of_range_are_refused(args, expected):
    assert dhcp(reservations=[GOOD], **args)["errors"] == [expected]


def test_absent_may_still_name_a_bad_mac_to_remove_it():
    result = run_module(
        "dhcp_reservations", {"peers": PEERS, "subnet": "10.10.16.0/20", "state": "absent", "timeout": 1,
                              "reservations": [{"mac": "ff:ff:ff:ff:ff:ff"}]},
    )  # fmt: skip
    assert "cannot reach the control agent" in result["msg"]


# --- ups_control ----------------------------------------------------------------------------------
def ups(**args) -> dict:
    result = run_module(
        "ups_control", {"backend": "nut", "address": CLOSED, "port": 9, "name": "ups01"} | args
    )
    assert result["failed"] is True and result.get("changed") in (None, False), result
    assert "steps" not in result, "refused only after reading the UPS"
    return result


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"state": "scheduled", "shutdown_delay": 10**12},
         "shutdown_delay 1000000000000 is out of range (0 to 7200 seconds)"),
        ({"state": "scheduled", "shutdown_delay": -5},
         "shutdown_delay -5 is out of range (0 to 7200 seconds)"),
        ({"state": "configured", "startup_delay": 10**12},
         "startup_delay 1000000000000 is out of range (0 to 86400 seconds)"),
        ({"state": "configured", "startup_delay": 86401},
         "startup_delay 86401 is out of range (0 to 86400 seconds)"),
        ({"state": "scheduled", "confirm_timeout": 1e12},
         "confirm_timeout 1000000000000.0 is out of range (more than 0, at most 300 seconds)"),
        ({"state": "configured", "port": 70000}, "port 70000 is out of range (1 to 65535)"),
        ({"state": "configured", "timeout": 0},
         "timeout 0.0 is out of range (more than 0, at most 60 seconds)"),
    ],
)  # fmt: skip
def test_ups_delays_and_timers_out_of_range_are_refused(args, expected):
    assert ups(**args)["msg"] == expected


def test_every_bad_ups_argument_is_named_at_once():
    result = ups(state="scheduled", shutdown_delay=10**12, startup_delay=10**12, backend="snmp", name=None)
    assert result["msg"] == (
        "shutdown_delay 1000000000000 is out of range (0 to 7200 seconds); "
        "startup_delay 1000000000000 is out of range (0 to 86400 seconds)"
    )


# --- share_folders and the organisation master ----------------------------------------------------
def share(organisation=None, **args) -> dict:
    base = {
        "organisation": organisation or ORGANISATION, "phase": "prepare", "smb_server": CLOSED,
        "smb_share": "部署", "smb_username": "ops", "smb_password": "pw-unused-1", "ldap_url": f"ldaps://{CLOSED}:9",
        "ldap_bind_dn": "CN=ops,DC=example,DC=jp", "ldap_bind_password": "pw-unused-2",
        "ldap_ca_file": "/dev/null",
        "ldap_base_dn": "DC=example,DC=jp",
    }  # fmt: skip
    result = run_module("share_folders", base | args)
    assert result["failed"] is True, result
    assert "SID を AD から読めません" not in result["msg"], "refused only after contacting the directory"
    assert "共有フォルダの操作に失敗" not in result["msg"], "refused only after contacting the share"
    return result


def with_department(**changes) -> dict:
    organisation = copy.deepcopy(ORGANISATION)
    organisation["jichitai_departments"][0].update(changes)
    return organisation


@pytest.mark.parametrize(
    ("sid", "shown"),
    [("S-1-5-32-544x", "'S-1-5-32-544x'"), ("S-1-5", "'S-1-5'"), ("Administrators", "'Administrators'"),
     ("S-1-5-21-99999999999", "'S-1-5-21-99999999999'")],
)  # fmt: skip
def test_malformed_sids_are_refused_before_any_contact(sid, shown):
    result = share(admin_sids=["S-1-5-18", sid])
    assert result["errors"] == [f"admin_sids: {shown} is not a SID such as S-1-5-32-544"]
    assert result["msg"].startswith(
        "引数に誤りがあります。何も変更していません / bad arguments, nothing changed: "
    )


def test_an_empty_admin_list_and_a_bad_share_name_are_refused():
    assert share(admin_sids=[], smb_share="a/b")["errors"] == [
        "admin_sids is empty: every folder would lose its administrators",
        "smb_share 'a/b' is not a share name (1-80 characters, no \\ / : * ? \" < > |)",
    ]


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/etc", "共有フォルダ '/etc' は共有の中の相対パスにしてください（先頭の / やドライブ名は不可）"),
        ("C:/Windows",
         "共有フォルダ 'C:/Windows' は共有の中の相対パスにしてください（先頭の / やドライブ名は不可）"),
        ("..", "共有フォルダ '..' に空の名前、. または .. があります"),
        ("市長公室/../../etc", "共有フォルダ '市長公室/../../etc' に空の名前、. または .. があります"),
        ("市長公室//秘書課", "共有フォルダ '市長公室//秘書課' に空の名前、. または .. があります"),
        ("秘書課" * 1667, "共有フォルダのパスが長すぎます（5001 文字、上限 200）"),
        ("秘書課?", "共有フォルダ '秘書課?' にフォルダ名に使えない文字があります"
                    "（\\ : * ? \" < > |、制御文字、末尾の空白や .）"),
        ("秘書課\x00", "共有フォルダ '秘書課\\x00' にフォルダ名に使えない文字があります"
                       "（\\ : * ? \" < > |、制御文字、末尾の空白や .）"),
    ],
)  # fmt: skip
def test_share_folders_that_are_not_a_relative_folder_are_refused(folder, expected):
    result = share(with_department(share_folder=folder))
    assert result["errors"] == [f"現行の所属マスタ: 所属 110100: {expected}"]
    assert result["msg"].startswith("所属マスタに誤りがあります。何も変更していません:")


@pytest.mark.parametrize(
    "group", ["g-x,CN=Builtin", "g-x;y", 'g-"x"', "g-x+y", "g\\x", "g<x>", "#g", "g-x\u202e", "g" * 65]
)
def test_group_names_with_dn_or_account_syntax_are_refused(group):
    result = share(with_department(groups={"staff": group, "managers": "g-110100-managers"}))
    if len(group) > 64:
        reason = "グループ名は 1～64 文字です（65 文字）"
    else:
        reason = (
            f"グループ名 {group!r} に DN やアカウント名に使えない文字があります"
            "（\" / \\ [ ] : ; | = , + * ? < > #、制御文字）"
        )  # fmt: skip
    assert result["errors"] == [f"現行の所属マスタ: 所属 110100: groups の staff: {reason}"]


def test_every_bad_department_of_both_masters_is_named_at_once():
    current = with_department(share_folder="/etc", groups={"staff": "g-x,CN=Builtin", "managers": "g-m"})
    nxt = copy.deepcopy(ORGANISATION)
    nxt["jichitai_departments"][1]["name"] = "広報\u202e広聴課"
    with pytest.raises(hr_org.OrgError) as caught:
        hr_org.load(current, "DC=example,DC=jp", "OU=Departments,DC=example,DC=jp", label="現行")
    assert caught.value.problems == [
        "現行: 所属 110100: groups の staff: グループ名 'g-x,CN=Builtin' に"
        " DN やアカウント名に使えない文字があります（\" / \\ [ ] : ; | = , + * ? < > #、制御文字）",
        "現行: 所属 110100: 共有フォルダ '/etc' は共有の中の相対パスにしてください"
        "（先頭の / やドライブ名は不可）",
    ]
    result = share(current, organisation_next=nxt)
    assert len(result["errors"]) == 2  # the first master's problems stop the run before the next is read


def test_a_clean_master_still_loads_and_keeps_its_folder_paths():
    organisation = hr_org.load(ORGANISATION, "DC=example,DC=jp", "OU=Departments,DC=example,DC=jp")
    assert organisation.departments["110100"].share_folder == "市長公室/秘書課"


@pytest.mark.parametrize("phase", ["prepare", "cutover"])
def test_ad_personnel_refuses_a_dn_group_name_before_the_directory_is_contacted(phase):
    """The master that once made two writes and then failed: refused whole, before the first bind."""
    transfer = ROOT / "inventories" / "moriguchi" / "transfers"
    hr_list = next(transfer.glob("*/hr_transfer_list.csv"))
    result = run_module(
        "ad_personnel",
        {"phase": phase, "hr_list": str(hr_list), "ldap_url": f"ldaps://{CLOSED}:9",
         "organisation": with_department(groups={"staff": "g-x,CN=Builtin", "managers": "g-110100-managers"}),
         "ldap_bind_dn": "CN=ops,DC=example,DC=jp", "ldap_bind_password": "pw-unused-3",
         "ldap_ca_file": "/dev/null", "ldap_base_dn": "DC=example,DC=jp"},
    )  # fmt: skip
    assert result["failed"] is True and not result.get("changed"), result
    assert (
        "現行の所属マスタ: 所属 110100: groups の staff: グループ名 'g-x,CN=Builtin' に"
        " DN やアカウント名に使えない文字があります" in result["msg"]
    ), result["msg"]
    assert "ldaps://" not in result["msg"] and "再実行" not in result["msg"]
