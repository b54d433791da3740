"""The transfer-system filters: systems from the inventory, the probe's drops, a check's problems."""

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def filters(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "filter_plugins" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FilterModule().filters()


TRANSFER = filters("transfer")
ROUTES = yaml.safe_load((ROOT / "group_vars/all/segments.yml").read_text())["jichitai_transfer_routes"]
HOSTVARS = {
    "xfer-lg01": {
        "jichitai_transfer_route": "internet_lgwan",
        "jichitai_segment": "lgwan",
        "jichitai_transfer_accounts_backend": "rest",
        "ansible_host": "10.10.1.61",
        "jichitai_transfer_drop_user": "xfer-probe",
        "jichitai_transfer_drop_key_file": "/k",
    },
    "xfer-inet01": {
        "jichitai_transfer_route": "internet_lgwan",
        "jichitai_segment": "internet",
        "ansible_host": "172.20.1.41",
    },
    "mnxfer-lg01": {"jichitai_transfer_route": "lgwan_mynumber", "jichitai_segment": "lgwan"},
    "mnxfer-mn01": {"jichitai_transfer_route": "lgwan_mynumber", "jichitai_segment": "mynumber"},
    "ad01": {"jichitai_segment": "lgwan"},
}


def test_systems_group_the_sides_and_name_the_account_host():
    systems = TRANSFER["transfer_systems"](list(HOSTVARS), HOSTVARS, ROUTES)
    assert [s["system"] for s in systems] == ["internet_lgwan", "lgwan_mynumber"]
    sanitising, my_number = systems
    assert sanitising["sides"] == {"lgwan": "xfer-lg01", "internet": "xfer-inet01"}
    assert (sanitising["host"], sanitising["backend"]) == ("xfer-lg01", "rest")
    assert sanitising["directions"][1] == {"from": "lgwan", "to": "internet", "approval": "required"}
    assert (my_number["host"], my_number["backend"]) == ("mnxfer-lg01", None)  # no backend declared
    assert all("key" not in k for s in systems for k in s)  # no secret copied


def test_a_route_the_estate_does_not_sanction_is_refused():
    bad = dict(HOSTVARS, x={"jichitai_transfer_route": "internet_mynumber"})
    with pytest.raises(Exception, match="'internet_mynumber' is not a route"):
        TRANSFER["transfer_systems"](list(bad), bad, ROUTES)


def test_drop_of_a_side_and_a_missing_key_named():
    assert TRANSFER["transfer_drop"]("xfer-lg01", HOSTVARS) == {
        "name": "xfer-lg01",
        "host": "10.10.1.61",
        "port": 22,
        "user": "xfer-probe",
        "key_file": "/k",
    }
    with pytest.raises(
        Exception, match="xfer-inet01 has no jichitai_transfer_drop_user, jichitai_transfer_drop_key_file"
    ):
        TRANSFER["transfer_drop"]("xfer-inet01", HOSTVARS)


def test_check_problems_and_record_name_system_and_direction():
    info = [
        {
            "item": {"system": "internet_lgwan"},
            "findings": ["エンジン sanitiser が停止しています（down）"],
            "status": {"queue": 0},
        },
        {"item": {"system": "lgwan_mynumber"}, "failed": True, "msg": "cannot reach"},
    ]
    probes = [
        {
            "item": {"system": "internet_lgwan", "from": "internet", "to": "lgwan"},
            "failed": True,
            "problems": ["probe-clean.txt: 転送システムによる受け取りで止まりました"],
            "documents": [{"verdict": "stuck"}],
        },
        {
            "item": {"system": "lgwan_mynumber", "from": "lgwan", "to": "mynumber"},
            "failed": True,
            "msg": "sftp failed",
        },
    ]
    assert TRANSFER["transfer_check_problems"](info, probes) == [
        "internet_lgwan: エンジン sanitiser が停止しています（down）",
        "lgwan_mynumber: cannot reach",
        "internet_lgwan internet→lgwan: probe-clean.txt: 転送システムによる受け取りで止まりました",
        "lgwan_mynumber lgwan→mynumber: sftp failed",
    ]
    record = TRANSFER["transfer_check_record"](info, probes)
    assert (
        record["probes"][0]["documents"] == [{"verdict": "stuck"}]
        and record["probes"][1]["error"] == "sftp failed"
    )
    assert record["systems"][1]["error"] == "cannot reach" and len(record["problems"]) == 4


def test_wareki_writes_dates_as_the_city_does():
    wareki = filters("wareki")["wareki"]
    assert wareki("2027-04-01") == "令和9年4月1日（木）"
    assert wareki("2026-12-06T09:53:00+09:00") == "令和8年12月6日（日）9:53"
    with pytest.raises(Exception, match="not an ISO date"):
        wareki("yesterday")
