"""Outage order (filter_plugins/outage_order.py) on synthetic dependency graphs."""

import importlib.util
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("outage_order", ROOT / "filter_plugins" / "outage_order.py")
outage_order = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(outage_order)
outage_tiers = outage_order.outage_tiers
outage_timeline = outage_order.outage_timeline


def host(role, os_family="linux", depends_on=(), pair=None, ups=None, segment="lgwan"):
    hv = {
        "jichitai_role": role,
        "jichitai_os_family": os_family,
        "jichitai_depends_on": list(depends_on),
        "jichitai_segment": segment,
    }
    if pair:
        hv["jichitai_pair"] = pair
    if ups:
        hv["jichitai_ups"] = ups
    return hv


def tiers_of(hv, direction="shutdown", **kw):
    return [t["hosts"] for t in outage_tiers(list(hv), hv, direction, **kw)]


def position(tiers):
    return {h: i for i, hosts in enumerate(tiers) for h in hosts}


def test_dependants_go_down_first_and_come_up_last():
    hv = {
        "app01": host("app_server", depends_on=["fs01"]),
        "fs01": host("file_server", "windows", depends_on=["vm-host01"]),
        "vm-host01": host("hypervisor", depends_on=["stor01"]),
        "stor01": host("storage", "appliance"),
    }
    assert tiers_of(hv) == [["app01"], ["fs01"], ["vm-host01"], ["stor01"]]
    assert tiers_of(hv, "startup") == [["stor01"], ["vm-host01"], ["fs01"], ["app01"]]


def test_role_order_applies_where_dependencies_are_silent():
    hv = {
        "ups01": host("ups", "ups"),
        "stor01": host("storage", "appliance"),
        "vm01": host("virtual_server"),
        "dhcp01": host("dhcp", "appliance"),
        "ad01": host("ad_dc", "windows"),
        "fs01": host("file_server", "windows"),
        "wsus01": host("wsus", "windows"),
        "app01": host("app_server"),
        "pc0001": host("notebook_pc", "windows"),
        "odd01": host("something_new", "linux"),
    }
    tiers = outage_tiers(list(hv), hv)
    assert [t["category"] for t in tiers] == [
        "pc",
        "application",
        "management",
        "file",
        "directory",
        "appliance",
        "virtual",
        "platform",
        "ups",
    ]
    assert tiers[1]["hosts"] == ["app01", "odd01"]  # unknown role falls back on its OS family
    assert [t["tier"] for t in tiers] == list(range(1, 10))
    assert all(t["label"] for t in tiers)


def test_dependencies_override_role_order():
    # RADIUS authenticates against AD: it must go down before AD although appliances come later.
    hv = {
        "radius01": host("radius", "appliance", depends_on=["ad01"]),
        "ad01": host("ad_dc", "windows"),
        "fs01": host("file_server", "windows", depends_on=["ad01"]),
    }
    pos = position(tiers_of(hv))
    assert pos["radius01"] < pos["ad01"]
    assert pos["fs01"] < pos["ad01"]


def test_pair_goes_down_together_after_everything_that_authenticates():
    hv = {
        "ad01": host("ad_dc", "windows", pair="ad"),
        "ad02": host("ad_dc", "windows", pair="ad"),
        "fs01": host("file_server", "windows", depends_on=["ad02"]),  # names only one controller
        "app01": host("app_server", depends_on=["ad01"]),
        "late01": host("radius", "appliance", depends_on=["ad01", "ad02"]),
    }
    tiers = tiers_of(hv)
    pos = position(tiers)
    assert pos["ad01"] == pos["ad02"]
    assert tiers[pos["ad01"]] == ["ad02", "ad01"]  # the first controller is the last one down
    for dependant in ("fs01", "app01", "late01"):
        assert pos[dependant] < pos["ad01"]
    up = tiers_of(hv, "startup")
    assert up[position(up)["ad01"]] == ["ad01", "ad02"]  # ... and the first one up
    assert position(up)["ad01"] == 0


def test_pair_member_the_other_depends_on_goes_last():
    hv = {
        "dc-a": host("ad_dc", "windows", pair="ad", depends_on=["dc-b"]),
        "dc-b": host("ad_dc", "windows", pair="ad"),
    }
    assert tiers_of(hv) == [["dc-a", "dc-b"]]
    assert tiers_of(hv, "startup") == [["dc-b", "dc-a"]]


def test_pairs_of_the_same_kind_in_two_segments_are_separate():
    hv = {
        "ad01": host("ad_dc", "windows", pair="ad"),
        "ad02": host("ad_dc", "windows", pair="ad"),
        "inet-ad01": host("ad_dc", "windows", pair="ad", segment="internet"),
        "inet-ad02": host("ad_dc", "windows", pair="ad", segment="internet", depends_on=["ad01"]),
    }
    pos = position(tiers_of(hv))
    assert pos["inet-ad01"] == pos["inet-ad02"] < pos["ad01"] == pos["ad02"]


def test_ups_feeding_a_host_is_a_dependency():
    hv = {
        "ups01": host("ups", "ups"),
        "stor01": host("storage", "appliance", ups="ups01"),
        "app01": host("app_server", ups="ups01"),
    }
    tiers = tiers_of(hv)
    assert tiers[-1] == ["ups01"]
    assert tiers_of(hv, "startup")[0] == ["ups01"]


def test_cycle_is_refused_and_named():
    hv = {
        "a": host("app_server", depends_on=["b"]),
        "b": host("app_server", depends_on=["c"]),
        "c": host("app_server", depends_on=["a"]),
        "d": host("app_server", depends_on=["a"]),
    }
    with pytest.raises(Exception, match="cycle") as err:
        outage_tiers(list(hv), hv)
    assert "a → b → c → a" in str(err.value)
    assert "d" not in str(err.value).split("\n", 1)[1]


def test_every_cycle_and_self_dependency_is_named():
    hv = {
        "a": host("app_server", depends_on=["b"]),
        "b": host("app_server", depends_on=["a"]),
        "x": host("app_server", depends_on=["x"]),
        "fine": host("app_server"),
    }
    with pytest.raises(Exception) as err:
        outage_tiers(list(hv), hv)
    assert "a → b → a" in str(err.value)
    assert "x → x" in str(err.value)


def test_cycle_through_a_pair_is_named_with_both_members():
    hv = {
        "ad01": host("ad_dc", "windows", pair="ad", depends_on=["fs01"]),
        "ad02": host("ad_dc", "windows", pair="ad"),
        "fs01": host("file_server", "windows", depends_on=["ad02"]),
    }
    with pytest.raises(Exception, match="ad01\\+ad02 → fs01 → ad01\\+ad02"):
        outage_tiers(list(hv), hv)


def test_missing_hosts_are_named_with_every_referrer():
    hv = {
        "app01": host("app_server", depends_on=["db09"]),
        "app02": host("app_server", depends_on=["db09", "fs01"], ups="ups99"),
        "fs01": host("file_server"),
    }
    with pytest.raises(Exception) as err:
        outage_tiers(list(hv), hv)
    text = str(err.value)
    assert (
        "'db09' is not in the inventory, named by: app01 (jichitai_depends_on), app02 (jichitai_depends_on)"
    ) in text
    assert "'ups99' is not in the inventory, named by: app02 (jichitai_ups)" in text


def test_bad_depends_on_type_is_named():
    hv = {"app01": host("app_server"), "app02": host("app_server")}
    hv["app01"]["jichitai_depends_on"] = {"fs01": True}
    hv["app02"]["jichitai_depends_on"] = 5
    with pytest.raises(Exception) as err:
        outage_tiers(list(hv), hv)
    assert "app01: jichitai_depends_on must be a list" in str(err.value)
    assert "app02: jichitai_depends_on must be a list" in str(err.value)


def test_scope_orders_only_the_hosts_that_lose_power():
    hv = {
        "gw-branch": host("gateway", "appliance"),
        "app01": host("app_server", depends_on=["gw-branch", "fs01"]),
        "fs01": host("file_server"),
    }
    assert tiers_of(hv, scope=["app01", "fs01"]) == [["app01"], ["fs01"]]
    with pytest.raises(Exception, match="nowhere"):
        outage_tiers(list(hv), hv, scope=["nowhere"])


def test_excluded_categories_leave_the_tiers_renumbered():
    hv = {
        "pc0001": host("pc", "windows", depends_on=["ad01"]),
        "ad01": host("ad_dc", "windows"),
        "ups01": host("ups", "ups"),
    }
    up = outage_tiers(list(hv), hv, "startup", exclude_categories=["pc"])
    assert [(t["tier"], t["hosts"]) for t in up] == [(1, ["ups01"]), (2, ["ad01"])]


def test_direction_is_checked():
    with pytest.raises(Exception, match="direction"):
        outage_tiers([], {}, "sideways")


def test_random_graphs_respect_every_dependency():
    roles = [r for _cat, _label, rs in outage_order.CATEGORIES for r in sorted(rs)]
    rng = random.Random(7)
    for _ in range(50):
        names = [f"h{i:02d}" for i in range(rng.randint(5, 30))]
        hv = {}
        for i, name in enumerate(names):
            # only depend on later names: a DAG by construction
            deps = rng.sample(names[i + 1 :], k=min(len(names) - i - 1, rng.randint(0, 3)))
            hv[name] = host(rng.choice(roles), depends_on=deps)
        down = position(tiers_of(hv))
        up = position(tiers_of(hv, "startup"))
        assert set(down) == set(names)
        for name, vars_ in hv.items():
            for dep in vars_["jichitai_depends_on"]:
                assert down[name] < down[dep], (name, dep)
                assert up[name] > up[dep], (name, dep)


def test_timeline_against_the_budget():
    hv = {
        "pc0001": host("notebook_pc", "windows"),
        "pc0002": host("notebook_pc", "windows"),
        "app01": host("app_server", depends_on=["fs01"]),
        "app02": host("app_server", depends_on=["fs01"]),
        "app03": host("app_server"),
        "fs01": host("file_server"),
    }
    tiers = outage_tiers(list(hv), hv)
    plan = outage_timeline(
        tiers,
        "21:00",
        "23:00",
        {"pc": 15, "application": 5, "file": 10},
        before={"事前確認": 10},
        after={"UPS停止予約": 5},
    )
    assert [(s["name"], s["start"], s["end"]) for s in plan["steps"]] == [
        ("事前確認", "21:00", "21:10"),
        ("稼働中の端末", "21:10", "21:25"),  # PCs go together whatever their number
        ("業務・アプリケーションサーバ", "21:25", "21:32"),  # 5 minutes and 1 more for each further host
        ("ファイルサーバ・バックアップ", "21:32", "21:42"),
        ("UPS停止予約", "21:42", "21:47"),
    ]
    assert plan["steps"][2]["hosts"] == ["app01", "app02", "app03"] and plan["steps"][2]["tier"] == 2
    assert plan["total_minutes"] == 47 and plan["budget_minutes"] == 120 and plan["within_budget"]
    text = outage_order.outage_plan_text(plan).split("\n")
    assert text[0] == "停止順序（インベントリの依存関係から算出、3 段・6 台）"
    assert "作業枠 21:00–23:00 の 120 分以内" in text[1]
    assert "21:25–21:32 第2段 業務・アプリケーションサーバ: app01 → app02 → app03" in text
    assert (
        outage_order.outage_plan_text(plan, max_hosts=2)
        .split("\n")[4]
        .endswith("app01, app02, app03 ほか計 3 台")
    )
    late = outage_timeline(tiers, "23:00", "23:30", {"default": 20})
    assert not late["within_budget"]
    assert late["end"] == "00:02(+1日)"


def test_select_hosts_by_variable():
    hv = {
        "ad01": host("ad_dc", "windows", pair="ad"),
        "ups01": host("ups", "ups"),
        "app01": host("app_server"),
    }
    assert outage_order.outage_select(list(hv), hv, "jichitai_pair") == ["ad01"]
    assert outage_order.outage_select(list(hv), hv, "jichitai_os_family", "ups") == ["ups01"]
    assert outage_order.outage_select(list(hv), hv, "jichitai_role", ["ad_dc", "app_server"]) == [
        "ad01",
        "app01",
    ]
