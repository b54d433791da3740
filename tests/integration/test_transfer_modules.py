"""transfer_accounts, transfer_info and transfer_probe against the lab's transfer stand-ins.

The stand-ins (lab/components/70-transfer.sh) are the lab's own HTTPS front and worker around real
engines (ClamAV, oletools, pikepdf) and real chrooted SFTP drops; the REST account paths are the
stand-in's. Each state-changing case is check mode, then apply, then apply again with no change.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils.transfer import csvimport
from conftest import LAB_DIR, REPO
from transfer_helpers import csv_connection, module_run, rest_client, rest_connection, restore, snapshot

pytestmark = pytest.mark.lab

PROBE = REPO / "roles" / "transfer_check" / "files" / "probe"
COMPONENT = LAB_DIR / "components" / "70-transfer.sh"
GROUP = "g-xfer-internet-lgwan"
ROUTES = [
    {"group": GROUP, "from": "internet", "to": "lgwan", "approval": "none"},
    {"group": GROUP, "from": "lgwan", "to": "internet", "approval": "required"},
]
KEEP = {"keep_users": ["xfer-probe"], "keep_groups": ["xfer-probe"]}


def staff(uid, dept, dept_name, approver=""):
    return {
        "id": uid,
        "name": f"職員 {uid}",
        "department": dept,
        "department_name": dept_name,
        "group": GROUP,
        "approver": approver,
    }


BEFORE = [
    staff("u9001", "120200", "人事課"),
    staff("u9002", "120200", "人事課", "u9001"),
    staff("u9003", "130100", "企画課"),
]
# a small reorganisation: 企画課 becomes 企画政策課, u9003 moves to 人事課 under u9001, u9002 leaves
AFTER = [
    staff("u9001", "120200", "人事課"),
    staff("u9003", "120200", "人事課", "u9001"),
    staff("u9004", "130100", "企画政策課"),
]


run = module_run


@pytest.fixture(scope="module")
def rest(lab, lab_vars):
    conn = rest_connection(lab_vars)
    client = rest_client(conn)
    saved = snapshot(lab_vars)
    yield conn, client
    restore(lab_vars, saved)


@pytest.fixture(scope="module")
def csv_system(lab, lab_vars):
    saved = snapshot(lab_vars)
    yield csv_connection(lab_vars)
    restore(lab_vars, saved)


def wanted(users, **extra):
    return {
        "groups": [{"name": GROUP, "description": "無害化転送 利用者"}],
        "routes": ROUTES,
        "users": users,
        "default_side": "lgwan",
        "state": "exact",
        **KEEP,
        **extra,
    }


def ids(accounts):
    return sorted(u["id"] for u in accounts["users"])


def test_accounts_for_a_small_reorganisation_check_apply_and_apply_again(rest):
    conn, client = rest
    for users in (BEFORE, AFTER):
        before = client.accounts()
        planned = run("transfer_accounts", dict(conn, **wanted(users)), check=True)
        assert planned["changed"] and not planned.get("failed"), planned
        assert client.accounts() == before  # check mode changed nothing
        headers = [d["before_header"] for d in planned["diff"]]
        applied = run("transfer_accounts", dict(conn, **wanted(users)))
        assert applied["changed"] and not applied.get("failed"), applied
        assert applied["changes"] == planned["changes"] and headers
        after = client.accounts()
        assert ids(after) == sorted([u["id"] for u in users] + ["xfer-probe"])
        assert run("transfer_accounts", dict(conn, **wanted(users)))["changed"] is False
    moved = next(u for u in client.accounts()["users"] if u["id"] == "u9003")
    assert (moved["department_name"], moved["approver"], moved["side"]) == ("人事課", "u9001", "lgwan")
    assert {"op": "delete", "kind": "users", "key": "u9002"} in applied["changes"]
    assert "xfer-probe" in [g["name"] for g in client.accounts()["groups"]]  # kept service account


def test_a_route_between_internet_and_my_number_is_refused_and_nothing_changes(rest):
    conn, client = rest
    before = client.accounts()
    bad = wanted(BEFORE)
    bad["routes"] = [*ROUTES, {"group": GROUP, "from": "internet", "to": "mynumber"}]
    bad["users"] = [*BEFORE, dict(staff("u9009", "120200", "人事課"), side="mynumber")]
    result = run("transfer_accounts", dict(conn, **bad))
    assert result["failed"] and not result.get("changed")
    assert (
        "routes[2]: 経路 インターネット接続系→個人番号利用事務系 は α モデルで認められていません"
        in result["msg"]
    )
    assert "users[3]: 利用者 u9009 の側 個人番号利用事務系 は" in result["msg"]
    assert client.accounts() == before


def test_a_group_that_does_not_exist_in_ad_is_refused_and_nothing_changes(rest, lab_vars):
    conn, client = rest
    ad = lab_vars("ad01")
    directory = {
        k: ad[f"jichitai_{k}"]
        for k in ("ldap_url", "ldap_bind_dn", "ldap_bind_password", "ldap_ca_file", "ldap_base_dn")
    }
    before = client.accounts()
    args = dict(conn, **wanted(BEFORE), directory=directory)
    args["groups"] = [{"name": GROUP, "description": "x", "ad_group": "g-no-such-group"}]
    for check in (True, False):
        result = run("transfer_accounts", args, check=check)
        assert result["failed"] and "AD グループ g-no-such-group がありません" in result["msg"], result
        assert client.accounts() == before
    # planned by an earlier task of the same plan: accepted in check mode only
    planned = dict(args, ad_groups_planned=["g-no-such-group"])
    assert not run("transfer_accounts", planned, check=True).get("failed")
    assert run("transfer_accounts", planned)["failed"]


def test_csv_backend_hands_over_a_checksummed_batch_check_apply_and_apply_again(csv_system):
    conn = csv_system
    users = [
        dict(staff("u9101", "120200", "人事課"), group="g-xfer-lgwan-mynumber"),
        dict(staff("u9102", "120200", "人事課", "u9101"), group="g-xfer-lgwan-mynumber"),
    ]
    args = dict(
        conn,
        groups=[{"name": "g-xfer-lgwan-mynumber", "description": "個人番号系転送 利用者"}],
        routes=[{"group": "g-xfer-lgwan-mynumber", "from": "lgwan", "to": "mynumber"}],
        users=users,
        default_side="lgwan",
        state="exact",
        **KEEP,
    )
    before = csvimport.read_export(conn["export_dir"])
    planned = run("transfer_accounts", args, check=True)
    assert planned["changed"] and csvimport.read_export(conn["export_dir"]) == before
    applied = run("transfer_accounts", args)
    assert applied["changed"] and not applied.get("failed"), applied
    batch = applied["batch"]
    assert batch["answer"]["ok"] is True and set(batch["sha256"]) == {
        "users.csv",
        "groups.csv",
        "routes.csv",
        "SHA256SUMS",
    }
    exported = csvimport.read_export(conn["export_dir"])
    assert {"u9101", "u9102"} <= {u["id"] for u in exported["users"]}
    again = run("transfer_accounts", args)
    assert again["changed"] is False and "batch" not in again


def test_info_reports_engines_and_routes(rest):
    conn, _client = rest
    info = run("transfer_info", {k: conn[k] for k in ("system", "api_url", "api_key", "ca_path")})
    assert info["status"]["engines"] and all(v == "ok" for v in info["status"]["engines"].values())
    assert info["findings"] == []


def test_probe_through_the_api_sanitises_and_keeps_the_report(rest, tmp_path):
    conn, _client = rest
    args = {k: conn[k] for k in ("system", "api_url", "api_key", "ca_path")}
    args.update(
        mode="api",
        rule="sanitize",
        report_dir=str(tmp_path),
        documents=[
            {"path": str(PROBE / "probe-clean.txt"), "expect": "unchanged"},
            {"path": str(PROBE / "probe-macro.docm"), "expect": "macro_removed"},
            {"path": str(PROBE / "probe-javascript.pdf"), "expect": "javascript_removed"},
        ],
    )
    assert run("transfer_probe", args, check=True)["documents"][0]["verdict"] == "not_sent"
    result = run("transfer_probe", args)
    assert not result.get("failed"), result.get("msg")
    assert [d["verdict"] for d in result["documents"]] == ["ok", "ok", "ok"]
    assert result["changed"] is False
    for doc in result["documents"]:
        assert json.loads(Path(doc["report_file"]).read_text(encoding="utf-8"))["data_id"]


def test_probe_with_the_engine_stopped_fails_in_time_naming_the_stuck_step(lab, lab_vars, tmp_path):
    def side(host):
        hv = lab_vars(host)
        return {
            "name": host,
            "host": hv["ansible_host"],
            "user": hv["jichitai_transfer_drop_user"],
            "key_file": hv["jichitai_transfer_drop_key_file"],
        }

    args = {
        "system": "internet_lgwan",
        "mode": "drop",
        "send": side("xfer-inet01"),
        "receive": side("xfer-lg01"),
        "known_hosts": lab_vars("xfer-lg01")["jichitai_transfer_drop_known_hosts"],
        "probe_timeout": 8,
        "report_dir": str(tmp_path),
        "documents": [{"path": str(PROBE / "probe-clean.txt"), "expect": "unchanged"}],
    }
    subprocess.run(["bash", str(COMPONENT), "stop-engine", "internet_lgwan"], check=True, capture_output=True)
    try:
        result = run("transfer_probe", args)
    finally:
        subprocess.run(
            ["bash", str(COMPONENT), "start-engine", "internet_lgwan"], check=True, capture_output=True
        )
    assert result["failed"]
    assert result["documents"][0]["verdict"] == "stuck"
    assert result["documents"][0]["stuck_step"] == "picked_up"
    assert "転送システムによる受け取りで止まりました" in result["msg"]
    # the probe took its document back from the outbox; with the engine running again the path works
    assert not run("transfer_probe", dict(args, probe_timeout=60)).get("failed")
