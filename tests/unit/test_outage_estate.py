"""Outage order of the reference city's inventory (inventories/moriguchi), as Ansible reads it."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ESTATE = ROOT / "inventories" / "moriguchi"
_spec = importlib.util.spec_from_file_location("outage_order", ROOT / "filter_plugins" / "outage_order.py")
outage_order = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(outage_order)
PLAN_DEFAULTS = yaml.safe_load(
    (ROOT / "roles" / "outage_plan" / "defaults" / "main.yml").read_text(encoding="utf-8")
)
KEYS = ("jichitai_role", "jichitai_os_family", "jichitai_depends_on", "jichitai_pair", "jichitai_ups",
        "jichitai_site", "jichitai_segment")  # fmt: skip


def plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.fixture(scope="module")
def hostvars():
    """Each host's outage variables: group variables by depth then name, host variables last (as Ansible)."""
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    out = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-inventory"), "-i", str(ESTATE), "--list", "--export"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=True,
    ).stdout  # fmt: skip
    listing = plain(json.loads(out))
    depth, groups_of = {"all": 0}, {}
    pending = ["all"]
    while pending:
        group = pending.pop()
        for child in listing.get(group, {}).get("children", []):
            if depth.get(child, -1) < depth[group] + 1:
                depth[child] = depth[group] + 1
                pending.append(child)
    for group, entry in listing.items():
        for host in entry.get("hosts", []):
            groups_of.setdefault(host, set()).add(group)
    result = {}
    for host, own in listing["_meta"]["hostvars"].items():
        merged = {}
        for group in sorted(groups_of.get(host, ()) | {"all"}, key=lambda g: (depth.get(g, 0), g)):
            merged.update({k: v for k, v in listing.get(group, {}).get("vars", {}).items() if k in KEYS})
        merged.update({k: v for k, v in own.items() if k in KEYS})
        result[host] = merged
    return result


def scope(hostvars, site="cityhall"):
    return outage_order.outage_select(list(hostvars), hostvars, "jichitai_site", site)


def tiers(hostvars, direction="shutdown", **kw):
    return outage_order.outage_tiers(list(hostvars), hostvars, direction, scope=scope(hostvars), **kw)


def position(result):
    return {h: t["tier"] for t in result for h in t["hosts"]}


def test_every_server_appliance_and_ups_of_city_hall_is_ordered(hostvars):
    hosts_yml = yaml.safe_load((ESTATE / "hosts.yml").read_text(encoding="utf-8"))
    declared = set()
    for group in hosts_yml["all"]["children"].values():
        for name, hv in ((group or {}).get("hosts") or {}).items():
            if hv and hv.get("jichitai_site") == "cityhall":
                declared.add(name)
    ordered = position(tiers(hostvars))
    assert declared <= set(ordered)
    servers = {h for h in declared if hostvars[h]["jichitai_role"] not in ("ups", "switch", "gateway")}
    assert len(servers) >= 25  # REQUIREMENTS §1 table 2: the 25 servers and appliances
    pcs = {h for h in ordered if hostvars[h]["jichitai_role"] == "pc"}
    assert len(pcs) > 900  # the city hall PCs of the asset ledger


def test_shutdown_respects_every_dependency_and_startup_reverses_it(hostvars):
    down, up = position(tiers(hostvars)), position(tiers(hostvars, "startup"))
    in_scope = set(down)
    for host in in_scope:
        hv = hostvars[host]
        needs = [d for d in [*(hv.get("jichitai_depends_on") or []), hv.get("jichitai_ups")] if d in in_scope]
        for dep in needs:
            same_pair = hv.get("jichitai_pair") and hv.get("jichitai_pair") == hostvars[dep].get(
                "jichitai_pair"
            )
            if same_pair:
                continue
            assert down[host] < down[dep], (host, dep)
            if hv["jichitai_role"] != "pc":  # PCs are switched on by their users
                assert up[host] > up[dep], (host, dep)


def test_customary_order_of_the_city(hostvars):
    result = tiers(hostvars)
    pos = position(result)
    assert result[0]["category"] == "pc"
    assert result[-1]["category"] == "ups" and set(result[-1]["hosts"]) == set(scope(hostvars)) & {
        h for h in hostvars if hostvars[h]["jichitai_role"] == "ups"
    }
    assert result[-2]["category"] == "network"
    # the virtual servers before their hosts and the storage, the hosts before the storage
    assert max(pos[f"vsrv0{i}"] for i in range(1, 6)) < min(pos["vhost01"], pos["vhost02"]) < pos["storage01"]
    # whoever authenticates against AD is down before the controllers
    for host in ("fs01", "wsus01", "kms01", "skysea01", "backup01", "vsrv01", "mfp01"):
        assert pos[host] < pos["ad01"], host
    assert pos["skysea02"] < pos["skysea01"]  # the sub-servers need the master


def test_pairs_share_a_tier_and_the_first_controller_is_last_down_first_up(hostvars):
    down, up = tiers(hostvars), tiers(hostvars, "startup")
    for pair in (("ad01", "ad02"), ("dhcp01", "dhcp02"), ("radius01", "radius02")):
        assert position(down)[pair[0]] == position(down)[pair[1]], pair
        tier = next(t["hosts"] for t in down if pair[0] in t["hosts"])
        assert tier.index(pair[1]) < tier.index(pair[0]), pair
        tier = next(t["hosts"] for t in up if pair[0] in t["hosts"])
        assert tier.index(pair[0]) < tier.index(pair[1]), pair


@pytest.mark.parametrize("direction", ["shutdown", "startup"])
def test_estimate_fits_the_contract_window(hostvars, direction):
    excluded = PLAN_DEFAULTS["outage_plan_exclude_categories"][direction]
    result = tiers(hostvars, direction, exclude_categories=excluded)
    window = PLAN_DEFAULTS["outage_plan_windows"][direction]
    plan = outage_order.outage_timeline(
        result,
        window["start"],
        window["end"],
        PLAN_DEFAULTS["outage_plan_host_minutes"][direction],
        stagger=PLAN_DEFAULTS["outage_plan_stagger_minutes"],
        before=PLAN_DEFAULTS["outage_plan_steps_before"][direction],
        after=PLAN_DEFAULTS["outage_plan_steps_after"][direction],
    )
    assert plan["within_budget"], outage_order.outage_plan_text(plan, direction)
    assert plan["budget_minutes"] == (120 if direction == "shutdown" else 180)


def test_branch_site_orders_its_own_hosts_only(hostvars):
    result = outage_order.outage_tiers(
        list(hostvars), hostvars, "shutdown", scope=scope(hostvars, "hoken_center")
    )
    hosts = {h for t in result for h in t["hosts"]}
    assert "gw-hoken-center" in hosts and "ad01" not in hosts
    assert all(hostvars[h]["jichitai_site"] == "hoken_center" for h in hosts)
