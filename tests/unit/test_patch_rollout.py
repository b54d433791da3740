"""The rollout decisions of patching (filters patch_server_waves, patch_client_waves,
apt_pending_updates, patch_record): the waves follow the outage's startup order with a redundant pair
never in one wave, the city's 1,250 PCs go pilot first then site by site, apt's simulation is read as
it prints, and each host's result becomes one patch record the status report accepts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from estate_helpers import inventory_list

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from outage_order import outage_tiers  # noqa: E402
from patch import status  # noqa: E402
from patch_rollout import apt_pending_updates, patch_client_waves, patch_record, patch_server_waves  # noqa: E402

AT = "2026-12-17T22:10:00+09:00"


def hostvars_of(inventory: str) -> dict:
    listing = inventory_list(REPO / "inventories" / inventory)
    return listing["_meta"]["hostvars"]


def servers(hv: dict) -> list[str]:
    return sorted(h for h, v in hv.items() if v.get("jichitai_os_family") in ("windows", "linux")
                  and v.get("jichitai_role") != "pc")  # fmt: skip


@pytest.fixture(scope="module")
def city():
    return hostvars_of("moriguchi")


def test_server_waves_follow_startup_order_and_split_every_pair(city):
    scope = servers(city)
    tiers = outage_tiers(sorted(city), city, "startup", scope=scope)
    plan = patch_server_waves(tiers, city)
    assert sorted(plan["hosts"]) == scope and sum(plan["batches"]) == len(scope)
    for wave in plan["waves"]:
        pairs = [(city[h].get("jichitai_pair"), city[h].get("jichitai_segment")) for h in wave["hosts"]
                 if city[h].get("jichitai_pair")]  # fmt: skip
        assert len(pairs) == len(set(pairs)), f"wave {wave['wave']} holds both members of a pair: {wave}"
        assert len(wave["hosts"]) <= 5
    order = plan["hosts"]
    assert order.index("ad01") < order.index("ad02"), "the first controller comes back first"
    for host, deps in ((h, city[h].get("jichitai_depends_on") or []) for h in order):
        for dep in deps:
            if dep in order:
                assert order.index(dep) < order.index(host), f"{host} is patched before {dep} it needs"
    assert plan["partners"]["ad01"] == ["ad02"] and plan["partners"]["ad02"] == ["ad01"]


def test_pilot_ring_goes_first_and_a_bad_ring_is_named():
    hv = {
        "a1": {"jichitai_pair": "ad", "jichitai_segment": "lgwan"},
        "a2": {"jichitai_pair": "ad", "jichitai_segment": "lgwan", "jichitai_patch_ring": "pilot"},
        "m1": {"jichitai_patch_ring": "pilot"},
        "b1": {},
    }
    tiers = [{"label": "AD", "hosts": ["a1", "a2"]}, {"label": "app", "hosts": ["m1", "b1"]}]
    plan = patch_server_waves(tiers, hv)
    assert [w["hosts"] for w in plan["waves"]] == [["a2"], ["m1"], ["a1"], ["b1"]]
    assert plan["batches"] == [1, 1, 1, 1] and plan["waves"][0]["ring"] == "pilot"
    hv["b1"]["jichitai_patch_ring"] = "canary"
    hv["m1"]["jichitai_patch_ring"] = "weekly"
    with pytest.raises(Exception, match=r"(?s)m1: jichitai_patch_ring.*canary"):
        patch_server_waves(tiers, hv)


def test_city_pcs_pilot_then_site_by_site(city):
    pcs = sorted(h for h, v in city.items() if v.get("jichitai_role") == "pc")
    assert len(pcs) == 1250
    plan = patch_client_waves(pcs, city, pilot_percent=5, max_wave=100)
    pilot = [w for w in plan["waves"] if w["ring"] == "pilot"]
    assert sum(len(w["hosts"]) for w in pilot) == 63  # ceil(5 % of 1,250)
    sites_in_pilot = {city[h]["jichitai_site"] for w in pilot for h in w["hosts"]}
    assert len(sites_in_pilot) >= 20, "the pilot ring takes PCs from every site in turn"
    assert sorted(plan["hosts"]) == pcs and sum(plan["batches"]) == 1250
    rest = [w for w in plan["waves"] if w["ring"] == "clients"]
    assert all(len({city[h]["jichitai_site"] for h in w["hosts"]}) == 1 for w in rest)
    assert all(len(w["hosts"]) <= 100 for w in plan["waves"])
    with pytest.raises(Exception, match="pilot_percent"):
        patch_client_waves(pcs, city, pilot_percent=150)


SIMULATION = """NOTE: This is only a simulation!
Reading package lists...
The following packages will be upgraded:
  jichitai-lab-agent jichitai-lab-tools
Inst jichitai-lab-agent [1.0.0-1] (1.1.0-1 lab:production [all])
Inst jichitai-lab-tools [1.0.0-1] (1.0.1-1 lab:production [all])
Inst libnew1 (2.0-1 lab:production [amd64])
Conf jichitai-lab-agent (1.1.0-1 lab:production [all])
"""


def test_apt_simulation_read_as_apt_prints_it():
    pending = apt_pending_updates(SIMULATION)
    assert pending == [
        {"name": "jichitai-lab-agent", "current": "1.0.0-1", "candidate": "1.1.0-1"},
        {"name": "jichitai-lab-tools", "current": "1.0.0-1", "candidate": "1.0.1-1"},
        {"name": "libnew1", "current": None, "candidate": "2.0-1"},
    ]
    assert apt_pending_updates("0 upgraded, 0 newly installed") == []


HV = {"mail01": {"jichitai_segment": "internet"}, "ad01": {"jichitai_segment": "lgwan"}}


def test_linux_records_say_what_happened_and_pass_the_status_check():
    pending = apt_pending_updates(SIMULATION)
    done = patch_record({"kind": "linux", "pending": pending, "rebooted": True}, "mail01", HV, "pilot", AT)
    assert done["result"] == "installed" and done["kbs"]["jichitai-lab-agent=1.1.0-1"] == "installed"
    waiting = patch_record({"kind": "linux", "pending": pending, "reboot_required": True}, "mail01", HV,
                           "pilot", AT)  # fmt: skip
    assert waiting["result"] == "pending_reboot"
    nothing = patch_record({"kind": "linux", "pending": []}, "mail01", HV, "servers", AT)
    assert nothing["result"] == "up_to_date" and nothing["kbs"] == {}
    off = patch_record({"kind": "not_reached", "reason": "電源断"}, "mail01", HV, "servers", AT)
    assert off["result"] == "not_reached" and off["reason_ja"] == "電源断"
    for record in (done, waiting, nothing, off):
        status.check_records([record])


WIN_UPDATES = {
    "changed": True,
    "reboot_required": False,
    "rebooted": True,
    "found_update_count": 2,
    "installed_update_count": 1,
    "failed_update_count": 1,
    "updates": {
        "7e1d...": {"id": "7e1d...", "title": "2026-12 累積更新", "kb": ["5071001"], "installed": True},
        "a4c2...": {
            "id": "a4c2...",
            "title": ".NET",
            "kb": ["5071002"],
            "installed": False,
            "failure_hresult_code": -2147023293,
        },  # fmt: skip
    },
}


def test_windows_record_names_the_failed_kb_with_its_hresult():
    rec = patch_record({"kind": "windows", "win_updates": WIN_UPDATES}, "ad01", HV, "servers", AT)
    assert rec["kbs"] == {"KB5071001": "installed", "KB5071002": "failed(0x80070643)"}
    assert rec["result"] == "failed" and rec["rebooted"] is True
    ok = dict(WIN_UPDATES, updates={"x": {"kb": ["5071001"], "installed": True}}, failed_update_count=0)
    assert (
        patch_record({"kind": "windows", "win_updates": ok}, "ad01", HV, "servers", AT)["result"]
        == "installed"
    )
    owed = dict(ok, reboot_required=True, rebooted=False)
    assert patch_record({"kind": "windows", "win_updates": owed}, "ad01", HV, "servers", AT)["result"] == (
        "pending_reboot"
    )
    none = {"changed": False, "updates": {}, "found_update_count": 0}
    assert (
        patch_record({"kind": "windows", "win_updates": none}, "ad01", HV, "servers", AT)["result"]
        == "up_to_date"
    )
    status.check_records([rec])
    with pytest.raises(Exception, match="kind"):
        patch_record({"kind": "solaris"}, "ad01", HV, "servers", AT)


def test_a_failed_package_is_a_failed_update_without_hresult_but_a_kb_needs_one():
    pending = apt_pending_updates(SIMULATION)
    failed = patch_record({"kind": "linux", "pending": pending, "failed": "dpkg: lab fault"}, "mail01", HV,
                          "pilot", AT)  # fmt: skip
    assert failed["result"] == "failed" and set(failed["kbs"].values()) == {"failed"}
    status.check_records([failed])
    summary = status.summarise([failed])
    assert summary["hosts"][0]["status"] == "failed"
    with pytest.raises(status.StatusInputError, match="KB5071001"):
        status.check_records([dict(failed, kbs={"KB5071001": "failed"})])


def test_a_planned_host_without_a_record_is_not_reached_after_the_stop():
    from patch_rollout import patch_run_records

    done = patch_record({"kind": "linux", "pending": []}, "mail01", HV, "pilot", AT)
    hostvars = {"mail01": {"patch_waves_record": done}, "ad01": {"jichitai_segment": "lgwan",
                                                                 "patch_waves_ring": "servers"}}  # fmt: skip
    out = patch_run_records(["mail01", "ad01"], hostvars, AT)
    assert out[0] is done
    assert out[1]["result"] == "not_reached" and out[1]["reason_ja"] == "前の波で停止したため未実施"
    status.check_records(out)


def test_the_report_says_why_a_host_was_not_reached_and_what_failed(tmp_path):
    from jichitai_ops.reports import patch_status as report

    pending = apt_pending_updates(SIMULATION)
    failed = patch_record({"kind": "linux", "pending": pending, "failed": "E: LAB FAULT dpkg"}, "mail01", HV,
                          "pilot", AT)  # fmt: skip
    from patch_rollout import patch_run_records

    # a planned host the run never came to, as the wave play's report builds it
    stopped = patch_run_records(["ad01"], {"ad01": HV["ad01"] | {"patch_waves_ring": "servers"}}, AT)[0]
    summary = status.summarise([failed, stopped])
    rows = {h["host"]: h for h in summary["hosts"]}
    assert (
        report.failed_text(rows["mail01"])
        == "jichitai-lab-agent=1.1.0-1、jichitai-lab-tools=1.0.1-1、libnew1=2.0-1"
    )
    assert rows["mail01"]["note_ja"] == "E: LAB FAULT dpkg"
    assert rows["ad01"]["note_ja"] == "前の波で停止したため未実施"
    assert report.action_ja(rows["ad01"]) == report.NOT_RUN_JA
    off = patch_record({"kind": "not_reached", "reason": "応答なし"}, "ad01", HV, "servers", AT)
    assert report.action_ja(status.summarise([off])["hosts"][0]) != report.NOT_RUN_JA
