"""The decision layer of the daily check (filter_plugins/daily_check.py, plugins/module_utils/daily/) on
recorded probe results: every state each filter can give, and dirty inputs refused naming the host."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
sys.path.insert(0, str(REPO / "filter_plugins"))
import daily_check as dc  # noqa: E402

FILTERS = dc.FilterModule().filters()
NOW = "2026-12-06T07:55:00+09:00"


def fixture(name):
    path = FIXTURES / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else text


def by(items, host, check_part=""):
    found = [i for i in items if i["host"] == host and check_part in i["check"]]
    assert len(found) == 1, (host, check_part, items)
    return found[0]


@pytest.fixture(scope="module")
def hostvars():
    sites = yaml.safe_load((REPO / "inventories/lab/group_vars/all/sites.yml").read_text())["jichitai_sites"]
    hv = {
        "ad01": {
            "jichitai_description": "LGWAN系 AD サーバ（1号機）",
            "jichitai_role": "ad_dc",
            "jichitai_site": "cityhall",
        },
        "ad02": {
            "jichitai_description": "LGWAN系 AD サーバ（2号機）",
            "jichitai_role": "ad_dc",
            "jichitai_site": "cityhall",
        },
        "backup01": {"jichitai_description": "バックアップサーバ", "jichitai_role": "backup"},
        "gw-cityhall": {
            "jichitai_role": "switch",
            "jichitai_site": "cityhall",
            "jichitai_description": "本庁舎コアスイッチ",
        },
        "gw-hoken-center": {"jichitai_role": "gateway", "jichitai_site": "hoken_center"},
        "gw-gesui": {"jichitai_role": "gateway", "jichitai_site": "gesui"},
        "pc-0001": {"jichitai_role": "pc"},
        "pc-0002": {"group_names": ["role_pc"]},
        "pc-0003": {"jichitai_role": "pc"},
    }
    for vars_ in hv.values():
        vars_["jichitai_sites"] = sites
    return hv


def test_every_filter_is_exported():
    assert set(FILTERS) == {
        "daily_check_sweep_items",
        "daily_check_ups_items",
        "daily_check_dhcp_items",
        "daily_check_radius_items",
        "daily_check_directory_items",
        "daily_check_transfer_items",
        "daily_check_disk_items",
        "daily_check_eventlog_items",
        "daily_check_av_items",
        "daily_check_backup_items",
        "daily_check_summary",
    }


def test_sweep_servers_sites_pcs_and_certificates(hostvars):
    items = FILTERS["daily_check_sweep_items"](fixture("daily/sweep.json"), hostvars)
    for entry in items:
        assert set(dc_fields()) <= set(entry)
    ad01 = by(items, "ad01", "死活")
    assert (ad01["category"], ad01["state"], ad01["action"]) == (
        "server",
        "ok",
        "",
    )  # expiring cert still answers
    assert ad01["label"] == "LGWAN系 AD サーバ（1号機）"
    ad02 = by(items, "ad02", "死活")
    assert ad02["state"] == "critical" and "WinRM（TLS） 応答なし" in ad02["detail"] and ad02["action"]
    assert by(items, "gw-cityhall")["category"] == "server"  # city hall's core switch is not a branch site
    gesui = by(items, "gesui")
    assert (gesui["category"], gesui["state"], gesui["label"]) == ("site", "critical", "守口市下水終末処理場")
    assert by(items, "hoken_center")["state"] == "ok"
    pc = [i for i in items if i["category"] == "pc"]
    assert len(pc) == 1 and pc[0]["state"] == "ok" and "応答 1 台 / 全 3 台" in pc[0]["detail"]
    assert by(items, "ad01", "5986")["state"] == "ok"
    assert (
        by(items, "ad01", "636")["state"] == "warning" and "残り 13 日" in by(items, "ad01", "636")["detail"]
    )
    assert (
        by(items, "ad02", "636")["state"] == "critical" and "期限切れ" in by(items, "ad02", "636")["detail"]
    )
    assert not [i for i in items if i["host"].startswith("pc-")]


def test_sweep_certificate_thresholds(hostvars):
    result = fixture("daily/sweep.json")
    items = FILTERS["daily_check_sweep_items"](result, hostvars, 10, 14)  # 13.6 days: below the critical 14
    assert by(items, "ad01", "636")["state"] == "critical"


def test_sweep_dirty_input_names_the_host(hostvars):
    result = fixture("daily/sweep.json")
    result["targets"][1]["checks"][0]["state"] = "DOWN"
    with pytest.raises(Exception, match="ad02") as err:
        FILTERS["daily_check_sweep_items"](result, hostvars)
    assert "DOWN" in str(err.value)
    with pytest.raises(Exception, match="not a liveness_sweep result"):
        FILTERS["daily_check_sweep_items"]({"down": []}, hostvars)


def test_ups_states():
    items = FILTERS["daily_check_ups_items"](fixture("daily/ups_info_loop.json"), 80, 600)
    states = {i["host"]: i["state"] for i in items}
    assert states == {"ups01": "ok", "ups02": "critical", "ups03": "warning", "ups04": "unknown"}
    assert "バッテリーで運転中" in by(items, "ups02")["detail"]
    assert "充電 62 %" in by(items, "ups03")["detail"] and "運転可能時間 7 分" in by(items, "ups03")["detail"]
    assert "Connection refused" in by(items, "ups04")["detail"]
    low = FILTERS["daily_check_ups_items"](fixture("daily/ups_info_loop.json"), 80, 800)
    assert by(low, "ups03")["state"] == "warning"  # 420 s: above half of 800 s
    assert (
        by(FILTERS["daily_check_ups_items"](fixture("daily/ups_info_loop.json"), 0, 900), "ups03")["state"]
        == "critical"
    )
    lower = FILTERS["daily_check_ups_items"](fixture("daily/ups_info_loop.json"), 130, 600)
    assert by(lower, "ups03")["state"] == "critical"  # 62 % is below half of 130 %


def test_ups_dirty_status_names_the_ups():
    data = fixture("daily/ups_info_loop.json")
    data["results"][2]["ups"]["status"] = "sleeping"
    with pytest.raises(Exception, match="ups03.*sleeping"):
        FILTERS["daily_check_ups_items"](data)


def test_dhcp_ha_and_pools():
    items = FILTERS["daily_check_dhcp_items"](fixture("daily/dhcp_info.json"), 80, 95)
    assert by(items, "dhcp01", "HA")["state"] == "warning"  # partner-down: serving alone
    assert by(items, "dhcp02", "HA")["state"] == "critical"
    pools = {i["check"]: i["state"] for i in items if "配布範囲" in i["check"]}
    assert pools == {
        "DHCP 配布範囲の使用率（198.18.100.0/22）": "ok",
        "DHCP 配布範囲の使用率（198.19.3.0/24）": "warning",
        "DHCP 配布範囲の使用率（198.19.7.0/24）": "critical",
    }
    healthy = fixture("daily/dhcp_info.json")
    healthy["peers"] = [
        {
            "name": "dhcp01",
            "reachable": True,
            "ha_mode": "hot-standby",
            "ha_state": "hot-standby",
            "ha_role": "primary",
            "partner_state": "hot-standby",
        }
    ]
    assert by(FILTERS["daily_check_dhcp_items"](healthy), "dhcp01", "HA")["state"] == "ok"
    healthy["peers"][0]["ha_state"] = "terminated"
    assert by(FILTERS["daily_check_dhcp_items"](healthy), "dhcp01", "HA")["state"] == "critical"


def test_dhcp_from_kea_stat_lease4_get():
    items = FILTERS["daily_check_dhcp_items"](fixture("daily/kea_stat_lease4_get.json"), 80, 95)
    assert [i["state"] for i in items] == ["ok", "critical"] and items[1]["value"] == 96.0


def test_dhcp_dirty_pool_size():
    data = fixture("daily/dhcp_info.json")
    data["subnets"][1]["pool_size"] = "many"
    with pytest.raises(Exception, match="198.19.3.0/24.*pool_size"):
        FILTERS["daily_check_dhcp_items"](data)


def test_radius_states():
    result = {
        "servers": [
            {"name": "radius01", "state": "OK", "reason": "Access-Accept", "response_ms": 3.2},
            {
                "name": "radius02",
                "state": "CRITICAL",
                "reason": "応答なし（3 回の再送）",
                "response_ms": None,
            },
            {"name": "radius03", "state": "WARNING", "reason": "Access-Reject", "response_ms": 4.0},
            {"name": "radius04", "state": "UNKNOWN", "reason": "secret missing", "response_ms": None},
        ]
    }
    items = FILTERS["daily_check_radius_items"](result)
    assert items[1]["detail"] == "応答なし（3 回の再送）"
    assert [i["state"] for i in items] == ["ok", "critical", "warning", "unknown"]
    assert all(i["category"] == "service" for i in items) and items[0]["action"] == "" and items[1]["action"]
    with pytest.raises(Exception, match="radius05"):
        FILTERS["daily_check_radius_items"]([{"name": "radius05", "state": "bad"}])


def test_radius_probe_module_shape():
    result = {
        "servers": [
            {
                "name": "radius01",
                "address": "127.0.0.31",
                "port": 1812,
                "user": "jichitai-probe",
                "state": "OK",
                "state_code": 0,
                "reply": "Access-Accept",
                "response_ms": 1.9,
                "detail": "Access-Accept for jichitai-probe",
            },
            {
                "name": "radius02",
                "address": "127.0.0.32",
                "port": 1812,
                "user": "jichitai-probe",
                "state": "CRITICAL",
                "state_code": 2,
                "reply": "Access-Reject",
                "response_ms": 2.2,
                "detail": "Access-Reject for jichitai-probe",
            },
            {
                "name": "radius03",
                "state": "CRITICAL",
                "state_code": 2,
                "reply": None,
                "response_ms": None,
                "detail": "no answer from 127.0.0.33:1812 within 3 s, 2 attempt(s)",
            },
        ],
        "summary": {"OK": 1, "CRITICAL": 2},
        "down": ["radius02", "radius03"],
    }
    items = FILTERS["daily_check_radius_items"](result)
    assert [i["state"] for i in items] == ["ok", "critical", "critical"]
    assert items[0]["detail"] == "認証に応答あり（2 ms）"
    assert items[1]["detail"].startswith("認証が拒否されました（Access-Reject")
    assert items[2]["detail"].startswith("応答なし（no answer from 127.0.0.33:1812")


def test_directory_states():
    result = [
        {
            "host": "ad01",
            "ldaps": {"state": "OK", "detail": "bind ok"},
            "smb": {"state": "OK", "detail": "", "shares": ["NETLOGON", "SYSVOL"]},
        },
        {"host": "fs01", "smb": {"state": "CRITICAL", "detail": "接続できません"}},
        {"host": "ad02", "ldaps": {"state": "WARNING", "detail": "slow"}, "smb": {"state": "UNKNOWN"}},
    ]
    items = FILTERS["daily_check_directory_items"](result)
    assert by(items, "ad01", "LDAPS")["state"] == "ok" and "2 件" in by(items, "ad01", "SMB")["detail"]
    assert by(items, "fs01", "SMB")["state"] == "critical"
    assert by(items, "ad02", "LDAPS")["state"] == "warning" and by(items, "ad02", "SMB")["state"] == "unknown"
    loop = {
        "results": [
            {
                "item": "ad01",
                "ldap": {"state": "OK", "detail": "bind"},
                "smb": {"state": "OK", "detail": "24 entries", "entries": 24, "names": ["soumu"]},
            }
        ]
    }
    assert [i["state"] for i in FILTERS["daily_check_directory_items"](loop)] == ["ok", "ok"]
    with pytest.raises(Exception, match="fs02"):
        FILTERS["daily_check_directory_items"]([{"host": "fs02", "smb": {"state": "FINE"}}])


def test_transfer_states():
    items = FILTERS["daily_check_transfer_items"](fixture("daily/transfer_info_loop.json"))
    # the loop item's inventory host names the line
    assert {i["host"]: i["state"] for i in items} == {
        "xfer-inet": "ok",
        "xfer-lgwan2": "critical",
        "xfer-lgwan": "critical",
    }
    data = fixture("daily/transfer_info_loop.json")
    data["results"][1]["status"]["engines"]["clamav"] = "ok"
    assert by(FILTERS["daily_check_transfer_items"](data), "xfer-lgwan2")["state"] == "warning"
    data["results"][1]["findings"] = "broken"
    with pytest.raises(Exception, match="xfer-lgwan2"):
        FILTERS["daily_check_transfer_items"](data)


def linux_mounts(free_root):
    return [
        {"mount": "/", "fstype": "ext4", "size_total": 50_000_000_000, "size_available": free_root},
        {"mount": "/run", "fstype": "tmpfs", "size_total": 800_000_000, "size_available": 1},
        {
            "mount": "/srv",
            "fstype": "xfs",
            "size_total": 1_000_000_000_000,
            "size_available": 600_000_000_000,
        },
    ]


def test_disk_linux_and_windows():
    win = fixture("windows/win_disk_facts_ad01.json")
    disks = [
        {
            "host": "backup01",
            "os_family": "linux",
            "source": "ansible_mounts",
            "data": linux_mounts(20_000_000_000),
        },
        {
            "host": "mail01",
            "os_family": "linux",
            "source": "ansible_mounts",
            "data": linux_mounts(6_000_000_000),
        },
        {
            "host": "web01",
            "os_family": "linux",
            "source": "ansible_mounts",
            "data": linux_mounts(1_000_000_000),
        },
        {"host": "ad01", "os_family": "windows", "source": "win_disk_facts", "data": win},
    ]
    items = FILTERS["daily_check_disk_items"](disks, 85, 95)
    assert [i["state"] for i in items] == ["ok", "warning", "critical", "warning"]
    assert "/run" not in " ".join(i["detail"] for i in items)  # tmpfs is not a disk
    ad01 = by(items, "ad01")
    assert ad01["detail"].startswith("C: ドライブ 空き 9.7 GB（9 %）") and ad01["value"] == 90.9
    assert "Recovery" not in ad01["detail"]
    facts_only = FILTERS["daily_check_disk_items"](
        [{"host": "ad01", "source": "win_disk_facts", "data": win["ansible_facts"]["disks"]}]
    )
    assert facts_only[0]["value"] == 90.9


def test_disk_dirty_input_names_the_host():
    bad = linux_mounts(1)
    bad[0]["size_available"] = "lots"
    with pytest.raises(Exception, match="mail01.*size_available"):
        FILTERS["daily_check_disk_items"]([{"host": "mail01", "source": "ansible_mounts", "data": bad}])
    with pytest.raises(Exception, match="ad01.*source"):
        FILTERS["daily_check_disk_items"]([{"host": "ad01", "source": "wmi", "data": {}}])


def test_eventlog_powershell_51_and_7():
    events = {
        "ad01": (FIXTURES / "windows/get_winevent_ps51.json").read_text(encoding="utf-8"),
        "ad02": (FIXTURES / "windows/get_winevent_ps7.json").read_text(encoding="utf-8"),
        "fs01": (FIXTURES / "windows/get_winevent_ps7_single.json").read_text(encoding="utf-8"),
        "fs02": (FIXTURES / "windows/get_winevent_empty.json").read_text(encoding="utf-8"),
        "fs03": None,
    }
    items = FILTERS["daily_check_eventlog_items"](events, "2026-12-06T06:00:00+09:00")
    states = {i["host"]: i["state"] for i in items}
    assert states == {
        "ad01": "critical",
        "ad02": "warning",
        "fs01": "warning",
        "fs02": "ok",
        "fs03": "unknown",
    }
    ad01 = by(items, "ad01")
    # the 04:46 event is before the last check, DistributedCOM 10016 known harmless
    assert "重大 1 件・エラー 2 件" in ad01["detail"] and "既知の無害なイベント 1 件" in ad01["detail"]
    assert "disk（ID 7） 2 件" in by(items, "ad02")["detail"]
    strict = FILTERS["daily_check_eventlog_items"]({"ad02": events["ad02"]}, None, [])
    assert "エラー 3 件" in strict[0]["detail"]


def test_eventlog_dirty_output_names_the_host():
    with pytest.raises(Exception, match="ad01.*not JSON"):
        FILTERS["daily_check_eventlog_items"]({"ad01": "Get-WinEvent : No events were found"})
    with pytest.raises(Exception, match="ad02.*level"):
        FILTERS["daily_check_eventlog_items"](
            {"ad02": [{"TimeCreated": NOW, "Id": 1, "LevelDisplayName": "Info"}]}
        )
    with pytest.raises(Exception, match="ad03.*TimeCreated"):
        FILTERS["daily_check_eventlog_items"](
            {"ad03": {"TimeCreated": "yesterday", "Id": 1, "LevelDisplayName": "Error"}}
        )


def test_antivirus_server_and_endpoints():
    export = {
        "server": {"name": "av01", "definition_version": "2026.12.06.001", "definition_date": "2026-12-06"},
        "endpoints": "endpoint,definition_version,definition_date,last_seen\n"
        + "\n".join(
            f"pc-{n:04d},2026.12.0{1 if n < 12 else 6}.001,2026-12-0{1 if n < 12 else 6},"
            "2026-12-05T17:00:00+09:00"
            for n in range(1, 21)
        ),
    }
    items = FILTERS["daily_check_av_items"](export, 2, NOW)
    assert [i["state"] for i in items] == ["ok", "warning"]
    assert "11 台 / 全 20 台" in items[1]["detail"] and "ほか 1 台" in items[1]["detail"]
    export["server"]["definition_date"] = "2026-12-01"
    export["endpoints"] = []
    items = FILTERS["daily_check_av_items"](export, 2, NOW)
    assert [i["state"] for i in items] == ["critical", "ok"]
    with pytest.raises(Exception, match="pc-9.*definition_date"):
        FILTERS["daily_check_av_items"](
            {"server": export["server"], "endpoints": [{"endpoint": "pc-9", "definition_date": "soon"}]},
            2,
            NOW,
        )


def test_backup_jobs():
    jobs = [
        {
            "job": "AD 日次",
            "host": "backup01",
            "last_run": "2026-12-06T02:00:00+09:00",
            "result": "success",
            "size_bytes": 12_000_000_000,
        },
        {
            "job": "ファイルサーバ 日次",
            "host": "backup01",
            "last_run": "2026-12-06T03:00:00+09:00",
            "result": "failed",
            "size_bytes": 0,
        },
        {
            "job": "業務サーバ 週次",
            "host": "backup01",
            "last_run": "2026-12-04T03:00:00+09:00",
            "result": "success",
            "size_bytes": 5,
        },
        {
            "job": "メール 日次",
            "host": "mail01",
            "last_run": "2026-12-06T01:00:00+09:00",
            "result": "warning",
            "size_bytes": 10,
        },
    ]
    items = FILTERS["daily_check_backup_items"](jobs, 26, NOW)
    assert [i["state"] for i in items] == ["ok", "critical", "critical", "warning"]
    assert "26 時間以内の実行がありません" in items[2]["detail"]
    none = FILTERS["daily_check_backup_items"]([], 26, NOW)
    assert none == [
        {
            "category": "backup",
            "host": "backup",
            "label": "バックアップ",
            "check": "バックアップの実施状況",
            "state": "skipped",
            "detail": "バックアップの記録元が未設定",
            "action": "バックアップ製品のジョブ記録を点検に取り込む設定を行う",
        }
    ]
    with pytest.raises(Exception, match="backup01.*ok"):
        FILTERS["daily_check_backup_items"]([dict(jobs[0], result="ok")], 26, NOW)


def dc_fields():
    return ("category", "host", "label", "check", "state", "detail", "action")


def _item(state, host="h"):
    return {
        "category": "server",
        "host": host,
        "label": host,
        "check": "c",
        "state": state,
        "detail": "d",
        "action": "",
    }


@pytest.mark.parametrize(
    ("states", "verdict"),
    [
        (["ok", "skipped"], ("ok", "正常")),
        (["ok", "unknown"], ("warning", "注意")),
        (["ok", "warning"], ("warning", "注意")),
        (["warning", "critical", "ok"], ("critical", "異常")),
    ],
)
def test_summary_verdict(states, verdict):
    result = FILTERS["daily_check_summary"]([_item(s, f"h{n}") for n, s in enumerate(states)])
    assert (result["verdict"], result["verdict_ja"]) == verdict
    assert sum(result["counts"].values()) == len(states) == result["total"]
    assert [i["host"] for i in result["critical"]] == [
        f"h{n}" for n, s in enumerate(states) if s == "critical"
    ]


def test_summary_refuses_an_unknown_state():
    with pytest.raises(Exception, match="h1.*down"):
        FILTERS["daily_check_summary"]([_item("ok", "h0"), _item("down", "h1")])
