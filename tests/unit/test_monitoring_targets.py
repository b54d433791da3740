"""Monitoring as code from the inventory alone (filter monitoring_targets over sweep_targets): every host
of both inventories gets the probe that fits it, a host added to the inventory becomes a target, a host
without an address stops the run naming it, and the alert rules pass promtool with the contract's labels.
No server needed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from estate_helpers import inventory_list

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "monitoring_config"
sys.path.insert(0, str(REPO / "filter_plugins"))
from monitoring_targets import monitoring_targets  # noqa: E402
from sweep_targets import sweep_targets  # noqa: E402

CHECKS = {"down", "ups_on_battery", "ups_low_runtime", "dhcp_pool", "pair_degraded", "disk", "cert_expiry",
          "av_definitions", "daily_check"}  # fmt: skip
OPTIONS = {
    "secrets_dir": "/etc/prometheus/secrets",
    "blackbox": "127.0.0.1:9115",
    "snmp": "127.0.0.1:9116",
    "snmp_module": "ups_mib",
    "nut_exporter": "127.0.0.1:9199",
    "kea_exporter": "127.0.0.1:9199",
    "radius_exporter": "127.0.0.1:9199",
    "engines": {"prometheus": "127.0.0.1:9090", "alertmanager": "127.0.0.1:9093"},
    "monitoring_host": "mon01",
    "windows_exporter": True,
}


@pytest.fixture(scope="module", params=["lab", "moriguchi"])
def estate(request):
    data = inventory_list(REPO / "inventories" / request.param)
    hostvars = data["_meta"]["hostvars"]
    groups = {name: group.get("hosts", []) for name, group in data.items() if name != "_meta"}
    # the role's default: every host but the PCs (group role_pc, which Ansible flattens; here by role)
    hosts = sorted(
        h for h in hostvars if hostvars[h].get("jichitai_role") != "pc" and h not in groups.get("role_pc", [])
    )
    return request.param, hosts, hostvars, groups


def model(hosts, hostvars, **options):
    return monitoring_targets(sweep_targets(hosts, hostvars), hostvars, OPTIONS | options)


def targets_by_host(built) -> dict[str, list[tuple[str, str]]]:
    """{host: [(job, target), ...]} from the scrape jobs, as Prometheus will read them."""
    found: dict[str, list[tuple[str, str]]] = {}
    for job in built["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                found.setdefault(static["labels"]["jichitai_host"], []).append((job["job_name"], target))
    return found


def test_every_host_is_a_target_with_the_probe_that_fits_it(estate):
    name, hosts, hostvars, groups = estate
    found = targets_by_host(model(hosts, hostvars))
    assert set(hosts) <= set(found), sorted(set(hosts) - set(found))
    jobs = {host: {job for job, _ in found[host]} for host in found}
    for host in groups.get("role_ad_dc", []):
        # a controller whose certificate carries another name gets its own variant (blackbox_ldaps_2)
        kinds = {re.sub(r"_\d+$", "", job) for job in jobs[host]}
        assert {"blackbox_ldaps", "blackbox_smb"} <= kinds, host
    for host in groups.get("role_gateway", []):
        assert jobs[host] == {"blackbox_icmp"}, host
        assert found[host] == [("blackbox_icmp", hostvars[host]["ansible_host"])]
    for host in groups.get("role_dhcp", []):
        assert {"dhcp_pools", f"blackbox_kea_ha_{host}"} <= jobs[host], host
    for host in groups.get("role_radius", []):
        assert ("radius", host) in found[host], host
    for host in groups.get("role_ups", []):
        backend = hostvars[host].get("jichitai_ups_backend")
        assert {"ups_nut" if backend == "nut" else "ups_snmp"} <= jobs[host], host
    for host in set(groups.get("windows", [])) & set(hosts):
        assert "windows_exporter" in jobs[host], host
    for host in groups.get("linux", []):
        if hostvars[host].get("ansible_connection") != "local":
            assert "blackbox_ssh_banner" in jobs[host], host
    if name == "moriguchi":
        winrm = [h for h in hosts if hostvars[h].get("ansible_connection") == "winrm"]
        assert winrm and all("blackbox_winrm_https" in jobs[h] for h in winrm)


def test_lab_endpoints_are_the_lab_servers():
    data = inventory_list(REPO / "inventories" / "lab")
    hostvars = data["_meta"]["hostvars"]
    built = model(sorted(hostvars), hostvars, windows_exporter=False)
    found = targets_by_host(built)
    assert ("blackbox_ldaps", "127.0.0.1:636") in found["ad01"]
    assert any(job.startswith("blackbox_ldaps") and to == "127.0.0.2:636" for job, to in found["ad02"])
    assert ("ups_nut", "ups01") in found["ups01"]
    assert ("ups_snmp", "127.0.0.1:1161") in found["ups04"]
    assert ("blackbox_kea_ha_dhcp02", "http://127.0.0.1:8002/") in found["dhcp02"]
    assert ("blackbox_tcp_connect", "127.0.0.1:8002") in found["dhcp02"]  # a stopped peer is down
    assert not [job for job in built["scrape_configs"] if job["job_name"] == "windows_exporter"]
    kea = built["blackbox_modules"]["kea_ha_dhcp01"]["http"]
    assert kea["basic_auth"] == {
        "username": "jichitai-ops",
        "password_file": "/etc/prometheus/secrets/kea-dhcp01.password",
    }
    assert "hot-standby" in kea["fail_if_body_not_matches_regexp"][0]
    assert built["blackbox_modules"]["ldaps"]["tcp"]["tls_config"]["ca_file"] == "{{ jichitai_ca_file }}"
    # no secret travels in the model: only the name of the variable that holds it
    secret = "/etc/prometheus/secrets/kea-dhcp01.password"
    assert built["password_files"][0] == {
        "host": "dhcp01",
        "path": secret,
        "variable": "jichitai_kea_api_password",
    }


def test_the_radius_pair_is_probed_by_the_exporter_with_its_secret_in_files():
    data = inventory_list(REPO / "inventories" / "lab")
    hostvars = data["_meta"]["hostvars"]
    built = model(sorted(hostvars), hostvars, windows_exporter=False)
    job = next(job for job in built["scrape_configs"] if job["job_name"] == "radius")
    assert job["metrics_path"] == "/radius_metrics"
    assert [(s["targets"], s["labels"]["jichitai_pair"]) for s in job["static_configs"]] == [
        (["radius01"], "radius"),
        (["radius02"], "radius"),
    ]
    assert {"target_label": "__address__", "replacement": "127.0.0.1:9199"} in job["relabel_configs"]
    assert {"source_labels": ["__address__"], "target_label": "__param_target"} in job["relabel_configs"]
    exporter = built["radius_exporter"]
    assert exporter["args"] == [
        "--radius",
        "radius01=127.0.0.31:1812",
        "--radius",
        "radius02=127.0.0.32:1812",
    ]
    assert exporter["secret_file"] == "/etc/prometheus/secrets/radius.secret"
    assert exporter["auth_file"] == "/etc/prometheus/secrets/radius-probe.auth"
    # the model names the variables only; no secret, no password in it
    assert exporter["secret_variable"] == "jichitai_radius_secret"
    text = json.dumps(built)
    for host in ("radius01", "radius02"):
        for variable in ("jichitai_radius_secret", "jichitai_radius_probe_password"):
            assert str(hostvars[host][variable]) not in text.replace(f'"{variable}"', "")


def test_an_inventory_without_radius_servers_has_no_radius_job():
    hostvars = {
        "fs01": {"ansible_host": "198.18.10.9", "jichitai_os_family": "linux", "jichitai_role": "file_server"}
    }
    built = model(["fs01"], hostvars)
    assert "radius" not in {job["job_name"] for job in built["scrape_configs"]}
    assert built["radius_exporter"] == {}


def test_a_host_added_to_the_inventory_becomes_a_target(estate):
    _, hosts, hostvars, _ = estate
    before = targets_by_host(model(hosts, hostvars))
    added = {"ansible_host": "198.18.10.99", "jichitai_os_family": "linux", "jichitai_role": "file_server",
             "jichitai_site": "cityhall", "jichitai_segment": "lgwan"}  # fmt: skip
    after = targets_by_host(model([*hosts, "fs-new01"], hostvars | {"fs-new01": added}))
    assert "fs-new01" not in before
    assert after["fs-new01"] == [("blackbox_ssh_banner", "198.18.10.99:22")]
    assert {h: sorted(t) for h, t in after.items() if h != "fs-new01"} == {
        h: sorted(t) for h, t in before.items()
    }


def test_a_host_without_an_address_is_refused_by_name(estate):
    _, hosts, hostvars, _ = estate
    bare = {"jichitai_os_family": "linux", "jichitai_role": "file_server"}
    with pytest.raises(
        Exception, match=r"no address for fs-bare01 \(neither jichitai_address nor ansible_host\)"
    ):
        model([*hosts, "fs-bare01"], hostvars | {"fs-bare01": bare})


def test_the_same_inventory_gives_the_same_jobs(estate):
    _, hosts, hostvars, _ = estate
    forward, backward = model(hosts, hostvars), model(list(reversed(hosts)), hostvars)
    for key in ("scrape_configs", "blackbox_modules", "password_files"):
        assert forward[key] == backward[key], key


def test_every_target_carries_the_labels_the_rules_read(estate):
    _, hosts, hostvars, _ = estate
    for job in model(hosts, hostvars)["scrape_configs"]:
        for static in job["static_configs"]:
            assert {"jichitai_host", "jichitai_probe"} <= set(static["labels"]), job["job_name"]


def rendered_rules(tmp_path: Path) -> Path:
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROLE / "templates"), trim_blocks=True)
    text = env.get_template("jichitai.rules.yml.j2").render(ansible_managed="test", **variables)
    path = tmp_path / "jichitai.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_carry_the_contract_labels_and_japanese_annotations(tmp_path):
    rules = yaml.safe_load(rendered_rules(tmp_path).read_text(encoding="utf-8"))
    alerts = [rule for group in rules["groups"] for rule in group["rules"] if "alert" in rule]
    assert {a["labels"]["jichitai_check"] for a in alerts} == CHECKS - {"daily_check"}
    radius = next(a for a in alerts if a["alert"] == "JichitaiRadiusDown")
    assert radius["labels"] == {"severity": "critical", "jichitai_check": "down"}
    assert "jichitai_radius_up == 0" in radius["expr"]
    pair = next(a for a in alerts if a["alert"] == "JichitaiPairDegraded")
    assert "jichitai:member_up" in pair["expr"]
    member = next(r for g in rules["groups"] for r in g["rules"] if r.get("record") == "jichitai:member_up")
    assert "jichitai_radius_up" in member["expr"]
    for alert in alerts:
        assert alert["labels"]["severity"] in ("critical", "warning"), alert["alert"]
        assert alert["labels"]["jichitai_check"] in CHECKS
        for key in ("summary_ja", "action_ja"):
            assert any(
                "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in alert["annotations"][key]
            )


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian prometheus) not installed")
def test_rules_pass_promtool(tmp_path):
    check = subprocess.run(["promtool", "check", "rules", str(rendered_rules(tmp_path))],
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
