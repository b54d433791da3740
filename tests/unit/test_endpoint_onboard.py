"""Onboarding decisions (plugins/module_utils/endpoint/onboard.py, filter_plugins/endpoint_onboard.py):
the batch read by the asset ledger's own reader, addresses allocated from the IP ledger, each device's
steps in order, the stretch without antivirus. No server needed: the lab test drives the same functions
through the playbook (tests/integration/test_endpoint_onboard_lab.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ansible.module_utils.endpoint import onboard

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
from endpoint_onboard import onboard_plan_text, onboard_records  # noqa: E402

HEADER = "資産番号,ホスト名,機種,種別,接続系,設置場所,所属,IPアドレス,MACアドレス,IP割当,OS,利用者"
SITES = [
    {"id": "cityhall", "name": "守口市役所本庁舎", "networks": ["10.10.16.0/20"]},
    {"id": "gesui", "name": "守口市下水終末処理場", "network": "10.11.5.0/24"},
    {"id": "dainichi", "name": "大日サービスコーナー", "network": "10.11.2.0/24"},
]
DEPARTMENTS = [{"code": "110100", "name": "秘書課"}, {"code": "120100", "name": "総務課"}]
SEGMENTS = {"lgwan": {"subnets": ["10.0.0.0/8"]}, "internet": {"subnets": ["172.16.0.0/16"]}}
SCOPES = [
    {"name": "cityhall-pc", "site": "cityhall", "subnet": "10.10.16.0/29", "gateway": "10.10.16.1",
     "pool": {"start": "10.10.16.5", "end": "10.10.16.6"},
     "reservations": [{"hostname": "prn-01", "mac": "02:00:00:00:00:01", "ip": "10.10.16.2"}]},
    {"name": "gesui-pc", "site": "gesui", "subnet": "10.11.5.0/30", "gateway": "10.11.5.1",
     "pool": {"start": "10.11.5.2", "end": "10.11.5.2"}},
]  # fmt: skip
RECORDS = [{"name": "lgdt0001", "address": "10.10.16.3", "mac": "90:1b:0e:00:00:01",
            "source": "pc_assets.csv line 2"}]  # fmt: skip


def batch(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def row(name, site="守口市役所本庁舎", mac="02-4A-00-91-00-01", ip="", dept="秘書課", segment="LGWAN接続系"):
    return f"R08-{name},{name},FMV,ノートPC,{segment},{site},{dept},{ip},{mac},,Windows 11,佐藤　花子"


def plan(*rows, records=RECORDS):
    return onboard.plan_batch(batch(*rows), SITES, DEPARTMENTS, SEGMENTS, SCOPES, records, source="b.csv")


def test_next_free_address_skips_gateway_reservations_ledger_hosts_pool_and_the_batch():
    # .1 gateway, .2 printer reservation, .3 a ledger PC, .4 free, .5-.6 pool, .7 broadcast
    devices = plan(row("LGNB1201"))
    assert devices[0]["ansible_host"] == "10.10.16.4"
    assert devices[0]["scope"] == "cityhall-pc" and devices[0]["jichitai_ip_assignment"] == "reserved"
    assert devices[0]["row"]["所属"] == "秘書課"  # the batch's own wording goes into the ledger
    assert onboard.reservations(devices, SCOPES) == {
        "10.10.16.0/29": [{"hostname": "lgnb1201", "mac": "02:4a:00:91:00:01", "ip": "10.10.16.4",
                           "source": "line 2"}]
    }


def test_a_full_scope_and_a_taken_address_are_each_named_with_their_line_and_nothing_is_planned():
    with pytest.raises(onboard.OnboardInputError) as err:
        plan(
            row("LGNB1201"),  # takes .4, the last free address
            row("LGNB1202", mac="02-4A-00-91-00-02"),  # none left
            row("LGNB1203", mac="02-4A-00-91-00-03", ip="10.10.16.3"),  # a ledger PC's address
            row("LGNB1204", mac="02-4A-00-91-00-04", site="守口市下水終末処理場"),  # /30: gateway + pool
            row("LGNB1205", mac="02-4A-00-91-00-05", site="大日サービスコーナー"),  # no scope at all
            row("LGNB1206", mac="nonsense"),  # the ledger reader's own check
        )
    problems = err.value.problems
    assert len(problems) == 5, problems
    joined = "\n".join(problems)
    assert "b.csv line 3 (LGNB1202): no free address left in scope cityhall-pc" in joined
    assert "b.csv line 4 (LGNB1203): IPアドレス 10.10.16.3 is taken by lgdt0001 (pc_assets.csv line 2)" in (
        joined
    )
    assert "b.csv line 5 (LGNB1204): no free address left in scope gesui-pc" in joined
    assert "b.csv line 6 (LGNB1205): no DHCP scope of the IP ledger serves site dainichi" in joined
    assert "b.csv line 7: MACアドレス 'nonsense' is not a unicast MAC address" in joined
    assert "どの端末も変更していません" in str(err.value)


def test_an_address_inside_the_pool_or_another_subnet_is_refused():
    with pytest.raises(onboard.OnboardInputError, match="inside the dynamic pool"):
        plan(row("LGNB1201", ip="10.10.16.5"))
    with pytest.raises(onboard.OnboardInputError, match="outside the scope cityhall-pc"):
        plan(row("LGNB1201", ip="10.10.17.9"))


def test_a_device_already_in_the_ledger_is_onboarded_and_another_mac_under_its_name_is_refused():
    records = RECORDS + [{"name": "lgnb1201", "address": "10.10.16.4", "mac": "02:4a:00:91:00:01",
                          "source": "pc_assets.csv line 3"}]  # fmt: skip
    done = plan(row("LGNB1201"), records=records)
    assert done[0]["onboarded"] and done[0]["ansible_host"] == "10.10.16.4"
    assert onboard.reservations(done, SCOPES) == {}
    with pytest.raises(onboard.OnboardInputError, match="already a host of the inventory"):
        plan(row("LGNB1201", mac="02-4A-00-91-00-09"), records=records)
    printer = r"MAC 02:00:00:00:00:01 is already prn-01 \(jichitai_dhcp_scopes cityhall-pc reservation 1\)"
    with pytest.raises(onboard.OnboardInputError, match=printer):
        plan(row("LGNB1207", mac="02-00-00-00-00-01"))


ENTRIES = [
    {"id": "apex", "name": "Apex One", "version": "14.0.12980", "kind": "antivirus", "product_id": "{A}"},
    {"id": "sky", "name": "SKYSEA", "version": "19.2.0.1", "kind": "asset_agent", "product_id": "{S}"},
    {"id": "wf", "name": "Workflow", "version": "19.2.0.1", "kind": "workflow_client", "product_id": "{W}"},
]
REMOVALS = [
    {"id": "norton", "name": "Norton", "match": "^Norton", "product_ids": [], "reboot": True},
    {"id": "mcafee", "name": "McAfee", "match": "^McAfee", "product_ids": ["{M}"], "reboot": False},
]


def test_steps_come_in_the_contract_order_with_one_reboot_before_the_antivirus():
    installed = [{"name": "Norton Small Business", "version": "22", "product_id": "{N}"},
                 {"name": "SKYSEA", "version": "18.1.0.5", "product_id": "{S}"}]  # fmt: skip
    steps = onboard.device_steps(installed, ENTRIES, REMOVALS, None, "lab.test")
    assert [s["step"] for s in steps] == [
        "remove_av", "verify_removal", "reboot", "install", "install", "install", "join", "verify_services",
    ]  # fmt: skip
    assert [s["needed"] for s in steps] == [True] * 8
    assert steps[4]["from_version"] == "18.1.0.5"  # the old SKYSEA is upgraded
    gap = onboard.without_antivirus(steps)
    assert gap["gap"] and gap["reboots"] == 1
    assert gap["steps"][0].startswith("旧ウイルス対策ソフトの削除: Norton")
    assert gap["steps"][-1] == "インストール: Apex One 14.0.12980"


def test_a_device_with_our_software_in_the_domain_needs_only_the_check():
    installed = [{"name": e["name"], "version": e["version"], "product_id": e["product_id"]} for e in ENTRIES]
    steps = onboard.device_steps(installed, ENTRIES, REMOVALS, "LAB.test", "lab.test")
    assert [s["step"] for s in steps if s["needed"]] == ["verify_services"]
    assert onboard.without_antivirus(steps) == {"gap": False, "reboots": 0, "steps": []}


def test_an_antivirus_nobody_knows_how_to_remove_stops_the_device_naming_it():
    installed = [{"name": "Kaspersky Endpoint Security 12", "version": "12.1", "product_id": "{K}"}]
    with pytest.raises(onboard.OnboardInputError, match=r"Kaspersky Endpoint Security 12 12.1 \(\{K\}\)"):
        onboard.device_steps(installed, ENTRIES, REMOVALS, None, "lab.test")
    # a product matched by its product code though its name changed
    renamed = [{"name": "Trellix", "version": "1", "product_id": "{m}"}]
    steps = onboard.device_steps(renamed, ENTRIES, REMOVALS, None, "lab.test")
    assert steps[0]["product"] == "mcafee" and not steps[2]["needed"]  # McAfee asks no reboot


def test_the_plan_text_and_the_record_follow_each_device():
    devices = plan(row("LGNB1201"))
    steps = onboard.device_steps([{"name": "Norton", "version": "1", "product_id": "{N}"}], ENTRIES, REMOVALS,
                                 None, "lab.test")  # fmt: skip
    hostvars = {"lgnb1201": {"endpoint_onboard_steps": steps, "endpoint_onboard_done": True}}
    text = onboard_plan_text(devices, hostvars)
    assert text.startswith("- LGNB1201（10.10.16.4、守口市役所本庁舎）: 旧ウイルス対策ソフトの削除: Norton")
    assert "削除の確認 → 再起動（削除が求める場合） → インストール: Apex One" in text
    assert text.endswith("（ウイルス対策なしの区間: 再起動 1 回まで）")
    assert "予測不能" in onboard_plan_text(devices, {})
    record = onboard_records(devices, hostvars)[0]
    assert record["result"] == "done" and record["reboots"] == 2 and record["department"] == "秘書課"
    assert all(s["done"] for s in record["steps"])
    assert onboard_records(devices, hostvars, True)[0]["result"] == "failed"  # a check run did nothing


def test_the_ledger_row_keeps_the_batch_wording_with_the_address_and_dhcp_reservation():
    from ansible.module_utils.ledger.asset_rows import DEFAULT_OPTIONS

    device = plan(row("LGNB1201"))[0]
    out = onboard.ledger_row(device, DEFAULT_OPTIONS["columns"], HEADER.split(",") + ["状態"])
    assert out == ["R08-LGNB1201", "LGNB1201", "FMV", "ノートPC", "LGWAN接続系", "守口市役所本庁舎", "秘書課",
                   "10.10.16.4", "02-4A-00-91-00-01", "DHCP予約", "Windows 11", "佐藤　花子",
                   "稼働"]  # fmt: skip


def test_the_city_example_batch_gets_addresses_no_ledger_pc_or_reservation_holds():
    from ansible.module_utils.ledger.encoding import decode_text
    from estate_helpers import inventory_list
    from ip_ledger import ip_ledger_records

    city = REPO / "inventories" / "moriguchi"
    listing = inventory_list(city)
    hostvars = listing["_meta"]["hostvars"]
    anyone = next(iter(hostvars.values()))
    scopes = next(hv["jichitai_dhcp_scopes"] for hv in hostvars.values() if hv.get("jichitai_dhcp_scopes"))
    records = ip_ledger_records(hostvars, sorted(hostvars))
    text, _ = decode_text((city / "onboarding" / "2026-12.csv").read_bytes())
    masters = [anyone[k] for k in ("jichitai_sites", "jichitai_departments", "jichitai_segments")]
    devices = onboard.plan_batch(text, *masters, scopes, records, source="2026-12.csv")
    taken = {r["address"] for r in records} | {r["ip"] for s in scopes for r in s.get("reservations") or []}
    assert [d["scope"] for d in devices] == ["cityhall-pc", "cityhall-pc", "hoken_center-pc"]
    assert len({d["ansible_host"] for d in devices}) == 3 and not {d["ansible_host"] for d in devices} & taken
