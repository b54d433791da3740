"""The plan's host table never says less than the truth: hosts a run_once or delegated module changes
(changed_hosts) and hosts a role declares (set_stats workplan_targets) are marked changed."""

from jichitai_ops.workplan import plan as plan_mod
from jichitai_ops.workplan import record


def _rec(result, host="dhcp01", status="ok", planning=True):
    return record.record(
        host=host,
        task="Make the pair match the ledger",
        key="k",
        action="dhcp_reservations",
        role="dhcp_sync",
        handler=False,
        result=result,
        status=status,
        planning=planning,
        no_log=False,
        ignore_errors=False,
        sensitive=False,
        ran_for_real=False,
        minutes=2,
        seq=1,
        occurrence=1,
        started=None,
        ended=None,
    )


def test_a_run_once_module_marks_every_peer_it_changes():
    loop = {
        "changed": True,
        "results": [{"changed": True, "changed_hosts": ["dhcp01", "dhcp02"], "item": "a"}],
    }
    summary = record.summarize([_rec(loop)])
    assert summary["hosts_with_changes"] == ["dhcp01", "dhcp02"]


def test_changed_hosts_of_an_unchanged_result_mark_nothing():
    summary = record.summarize([_rec({"changed": False, "changed_hosts": ["dhcp01", "dhcp02"]})])
    assert summary["hosts_with_changes"] == []


def test_the_estimate_counts_a_run_once_task_once():
    est = record.estimate([_rec({"changed": True, "changed_hosts": ["dhcp01", "dhcp02"]})], 2, forks=1)
    assert est["minutes"] == 2 and est["schedule"][0]["hosts"] == ["dhcp01", "dhcp02"]


def test_declared_targets_join_the_host_table_with_their_segment_and_site():
    guard = {
        "id": "20261201T100000-0000beef",
        "created_at": "x",
        "created_by": {},
        "basis": {"playbook": {"path": "p"}},
        "basis_digest": "d",
        "meta": {"title": "t", "clause": "c", "kind": "operations", "disruptive": True},
        "affected": {"segments": [], "sites": [], "departments": [], "services": []},
        "names": {"segments": {"lgwan": "LGWAN接続系"}, "sites": {"s01": "本庁舎"}},
    }
    hosts = [{"name": "localhost", "segment": None, "site": None}]
    targets = [
        {"name": "pc-0001", "segment": "lgwan", "site": "s01", "change": "changed", "note": "第3段で停止"},
        {"name": "nas01", "segment": "lgwan", "site": "s01", "change": "none"},
    ]
    plan = plan_mod.assemble_plan(guard, [], {"forks": 5}, hosts, targets=targets, timelines=[{"tiers": []}])
    by_name = {h["name"]: h for h in plan["hosts"]}
    assert by_name["pc-0001"]["segment_name"] == "LGWAN接続系" and by_name["pc-0001"]["site_name"] == "本庁舎"
    assert plan["summary"]["hosts_with_changes"] == ["pc-0001"]
    assert plan["affected"]["segments"] == [{"id": "lgwan", "name": "LGWAN接続系"}]
    assert plan["affected"]["sites"] == [{"id": "s01", "name": "本庁舎"}]
    assert plan["timelines"] == [{"tiers": []}]
