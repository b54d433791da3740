"""The reference estate as Ansible sees it (ansible-inventory on inventories/moriguchi)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from graphlib import CycleError, TopologicalSorter

import pytest
import yaml
from estate_helpers import ESTATE, ROOT, ansible, inventory_json

SITES = yaml.safe_load((ESTATE / "group_vars" / "all" / "sites.yml").read_text(encoding="utf-8"))[
    "jichitai_sites"
]
DEPARTMENTS = yaml.safe_load(
    (ESTATE / "group_vars" / "all" / "organisation.yml").read_text(encoding="utf-8")
)["jichitai_departments"]
BRANCHES = [s for s in SITES if s["kind"] != "city_hall"]
PC_KINDS = ("pc_notebook", "pc_desktop", "pc_2in1", "pc_telework")
# REQUIREMENTS §1 table 2: role -> how many hosts carry it (at least, where the table gives no number)
TABLE2 = {
    "ad_dc": 2, "dhcp": 2, "radius": 2, "wsus": 1, "kms": 1, "backup": 1, "av_mgmt": 1,
    "mfp_server": 1, "mail_relay": 1, "virtual_server": 5, "storage": 1, "file_server": 2,
    "skysea": 4, "transfer": 4, "sanitizer": 1, "virtual_browser": 1, "telework": 1,
}  # fmt: skip


def members(listing, group):
    """Every host of a group, children included."""
    entry = listing.get(group, {})
    hosts = set(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts |= members(listing, child)
    return hosts


def servers(hostvars):
    return {h: v for h, v in hostvars.items() if v.get("jichitai_role") != "pc"}


@pytest.fixture(scope="module")
def listing():
    """Groups and host-level variables (--export: group variables stay on their groups)."""
    return inventory_json(ESTATE, "--list", "--export")


@pytest.fixture(scope="module")
def hostvars(listing):
    return listing["_meta"]["hostvars"]


@pytest.fixture(scope="module")
def flat(listing, hostvars, tmp_path_factory):
    """Variables as a play sees them, for every server and one PC of each kind.

    (--list without --export repeats every group variable, the organisation master included, on
    each of the 1,354 hosts: ~160 MB of JSON, too slow for a unit test. PCs share their group
    variables, so one per kind stands for all.)"""
    sample = sorted(servers(hostvars)) + [sorted(members(listing, k))[0] for k in PC_KINDS]
    limit = tmp_path_factory.mktemp("limit") / "hosts"
    limit.write_text("\n".join(sample) + "\n", encoding="utf-8")
    return inventory_json(ESTATE, "--list", "--limit", f"@{limit}")["_meta"]["hostvars"]


def test_graph_shows_segments_kinds_sites_departments_and_1250_pcs():
    result = ansible("ansible-inventory", "-i", str(ESTATE), "--graph")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    graph = result.stdout
    groups = {line.split("@", 1)[1].rstrip(":") for line in graph.splitlines() if "@" in line}
    expected = {
        "segment_lgwan",
        "segment_internet",
        "segment_mynumber",
        "pair_ad",
        "pair_dhcp",
        "pair_radius",
    }
    expected |= {
        "windows",
        "linux",
        "appliance",
        "ups",
        "branch_sites",
        "site_cityhall",
        "role_pc",
        *PC_KINDS,
    }
    expected |= {f"site_{s['id']}" for s in SITES} | {f"dept_{d['code']}" for d in DEPARTMENTS}
    expected |= {f"role_{r}" for r in TABLE2}
    expected |= {"role_ups", "role_gateway", "role_hypervisor", "role_monitoring"}
    assert expected <= groups, sorted(expected - groups)
    pcs = {
        line.strip(" |-")
        for line in graph.splitlines()
        if line.strip(" |-")[:4] in ("lgnb", "lgdt", "lgtb", "twpc")
    }
    assert len(pcs) == 1250
    for gw in (f"gw-{s['id'].replace('_', '-')}" for s in BRANCHES):
        assert f"--{gw}\n" in graph


def test_pcs_by_kind_segment_and_department(listing, hostvars):
    counts = {k: len(members(listing, k)) for k in PC_KINDS}
    assert counts == {"pc_notebook": 1100, "pc_desktop": 100, "pc_2in1": 20, "pc_telework": 30}
    assert members(listing, "role_pc") == {h for h, v in hostvars.items() if v.get("jichitai_role") == "pc"}
    assert members(listing, "pc_telework") <= members(listing, "segment_internet")
    pcs_in_depts = set().union(*(members(listing, f"dept_{d['code']}") for d in DEPARTMENTS))
    assert pcs_in_depts == members(listing, "role_pc")


def test_every_asset_of_table_2_is_a_host(hostvars):
    roles = Counter(v["jichitai_role"] for v in servers(hostvars).values())
    for role, count in TABLE2.items():
        assert roles[role] >= count, f"{role}: {roles[role]} < {count}"
    assert roles["hypervisor"] >= 1 and roles["app_server"] >= 1
    assert roles["monitoring"] == 1  # mon01: the monitoring server (Linux, LGWAN, city hall)
    segments = {h: v["jichitai_segment"] for h, v in hostvars.items()}
    routes = Counter((v.get("jichitai_transfer_route"), v["jichitai_segment"]) for v in hostvars.values())
    # each sanctioned transfer path has one end in each of its two segments
    assert routes[("internet_lgwan", "internet")] == routes[("internet_lgwan", "lgwan")] == 1
    assert routes[("lgwan_mynumber", "lgwan")] == routes[("lgwan_mynumber", "mynumber")] == 1
    assert {segments[h] for h, v in hostvars.items() if v["jichitai_role"] == "app_server"} == {"mynumber"}


def test_every_host_carries_the_shared_contract(listing, hostvars):
    site_ids = {s["id"] for s in SITES}
    for group in ("role_pc", "pc_telework"):  # PCs take their dependencies from group variables
        assert listing[group]["vars"]["jichitai_depends_on"], group
    pc_default = {"jichitai_depends_on": listing["role_pc"]["vars"]["jichitai_depends_on"]}
    for host, v in hostvars.items():
        v = pc_default | v if v["jichitai_role"] == "pc" else v
        assert v["jichitai_segment"] in ("lgwan", "internet", "mynumber"), host
        assert v["jichitai_role"], host
        assert v["jichitai_site"] in site_ids, host
        assert v["jichitai_os_family"] in ("windows", "linux", "appliance", "ups"), host
        assert isinstance(v["jichitai_depends_on"], list), host
        for target in v["jichitai_depends_on"]:
            assert target in hostvars, f"{host} depends on unknown {target}"
        assert v.get("ansible_host"), host


def test_pairs_are_two_hosts_on_different_upses(listing, hostvars):
    for pair in ("ad", "dhcp", "radius"):
        hosts = sorted(members(listing, f"pair_{pair}"))
        assert len(hosts) == 2, pair
        assert all(hostvars[h]["jichitai_pair"] == pair for h in hosts)
        assert hostvars[hosts[0]]["jichitai_ups"] != hostvars[hosts[1]]["jichitai_ups"], pair


def test_every_server_and_network_device_is_on_a_ups_plus_one_spare(listing, hostvars):
    upses = {h for h, v in hostvars.items() if v["jichitai_role"] == "ups"}
    spare = members(listing, "ups_spare")
    assert len(spare) == 1 and spare <= upses
    fed = {v.get("jichitai_ups") for v in hostvars.values()}
    for host, v in servers(hostvars).items():
        if host in upses:
            assert not v.get("jichitai_ups"), host
        else:
            assert v.get("jichitai_ups") in upses - spare, f"{host} is not on a working UPS"
            assert hostvars[v["jichitai_ups"]]["jichitai_segment"] == v["jichitai_segment"], host
    assert not (spare & fed)
    assert upses - spare <= fed, "a UPS that feeds nothing is a spare"


def test_dependencies_allow_an_ordered_shutdown(hostvars):
    graph = {h: set(v["jichitai_depends_on"]) | ({v["jichitai_ups"]} if v.get("jichitai_ups") else set())
             for h, v in servers(hostvars).items()}  # fmt: skip
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the message names the cycle
        pytest.fail(f"dependency cycle: {exc.args[1]}")
    position = {h: i for i, h in enumerate(order)}
    # startup order: storage before hypervisors before virtual servers; AD before file servers
    assert position["storage01"] < position["vhost01"] < position["vsrv01"]
    assert position["ad01"] < position["fs01"] and position["ad02"] < position["fs01"]
    assert all(position[h] > position["ad01"] for h in ("radius01", "wsus01", "skysea01", "xfer-lg01"))


def test_windows_is_winrm_https_validated_and_encrypted(listing, hostvars, flat):
    windows = members(listing, "windows")
    windows_servers = {h for h, v in servers(hostvars).items() if v["jichitai_os_family"] == "windows"}
    assert windows == windows_servers | members(listing, "role_pc")
    sampled = windows & set(flat)
    assert sampled >= windows_servers and len(sampled) == len(windows_servers) + len(PC_KINDS)
    for host in sampled:
        v = flat[host]
        assert v["ansible_connection"] == "winrm", host
        assert v["ansible_port"] == 5986, host
        assert v["ansible_winrm_scheme"] == "https", host
        assert v["ansible_winrm_server_cert_validation"] == "validate", host
        assert v["ansible_winrm_message_encryption"] == "always", host
        assert v["ansible_winrm_transport"] == (
            "ntlm" if v["jichitai_segment"] == "internet" else "kerberos"
        ), host
    for host, v in flat.items():
        assert v.get("ansible_winrm_transport") not in ("basic", "plaintext"), host
        assert v.get("ansible_winrm_scheme", "https") == "https", host


def test_controller_run_appliances_and_upses(listing, flat):
    for host in members(listing, "appliance") | members(listing, "ups"):
        assert flat[host]["ansible_connection"] == "local", host
        assert flat[host]["ansible_python_interpreter"] == "{{ ansible_playbook_python }}", host


def test_branch_sites_match_the_site_master(listing, hostvars):
    assert len(BRANCHES) == 30
    branch = members(listing, "branch_sites")
    for site in BRANCHES:
        gw = f"gw-{site['id'].replace('_', '-')}"
        assert gw in branch and gw in members(listing, f"site_{site['id']}")
        assert hostvars[gw]["ansible_host"] == site["gateway"]
        assert len(hostvars[gw]["jichitai_printers"]) == site["printers"], gw
    printers = sum(len(hostvars[h].get("jichitai_printers", [])) for h in branch)
    sites_yml = yaml.safe_load((ESTATE / "group_vars" / "all" / "sites.yml").read_text(encoding="utf-8"))
    assert printers + sites_yml["jichitai_spare_printers"] == 32  # REQUIREMENTS §1 table 2 #21


def test_ledger_is_current_and_deterministic(tmp_path):
    check = ansible("python", str(ROOT / "tools" / "generate_ledger.py"), "--check")
    assert check.returncode == 0, check.stderr
    out = tmp_path / "pc_assets_cp932.csv"
    made = ansible("python", str(ROOT / "tools" / "generate_ledger.py"), "--encoding", "cp932",
                   "--output", str(out), "--no-scopes")  # fmt: skip
    assert made.returncode == 0, made.stderr
    utf8 = (ESTATE / "ledgers" / "pc_assets.csv").read_bytes()
    assert utf8.startswith(b"\xef\xbb\xbf")
    cp932_text = out.read_bytes().decode("cp932")
    assert cp932_text == utf8.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(cp932_text, newline="")))
    assert len(rows) == 1250
    assert any(r["利用者"].startswith("髙") for r in rows) and any("﨑" in r["利用者"] for r in rows)
    assert len({r["MACアドレス"] for r in rows}) == 1250
