"""playbooks/monitoring_config.yml against the lab's real engines (lab/components/80-monitoring.sh):
check mode shows the difference a new inventory host makes and writes nothing; the applied files pass
promtool and amtool; Prometheus scrapes every lab target and finds it up; a second run changes nothing;
a host added to the inventory is a target after one run; every engine reloaded without a restart; the
secret files are written and their content is in no output nor plan."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import LAB_INVENTORY, LAB_RUN, REPO, VENV_BIN

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PLAYBOOK = REPO / "playbooks" / "monitoring_config.yml"
ETC = LAB_RUN / "monitoring" / "etc"
PROMETHEUS = "http://127.0.0.1:9090"
ENGINES = ("mon-prometheus", "mon-alertmanager", "mon-blackbox", "mon-snmp")
UNPLANNED = {"workplan_unplanned_ok": True, "workplan_unplanned_reason": "lab integration test"}
# a host the inventory gains: a Linux server reached locally, so its probe is ICMP to its own address
EXTRA = {"all": {"children": {"linux_controller": {"hosts": {"mon-extra01": {
    "jichitai_address": "127.0.0.42", "jichitai_segment": "lgwan", "jichitai_role": "file_server",
    "jichitai_site": "cityhall", "jichitai_os_family": "linux", "jichitai_depends_on": [],
    "ansible_connection": "local",
}}}}}}  # fmt: skip


def run(tmp: Path, check: bool = False, extra_host: bool = False, extra_vars: dict | None = None) -> dict:
    inventories = ["-i", str(LAB_INVENTORY)]
    if extra_host:
        path = tmp / "extra.yml"
        path.write_text(yaml.safe_dump(EXTRA), encoding="utf-8")
        inventories += ["-i", str(path)]
    extra = tmp / "vars.json"
    extra.write_text(json.dumps(UNPLANNED | (extra_vars or {})), encoding="utf-8")
    cmd = [str(VENV_BIN / "ansible-playbook"), *inventories, str(PLAYBOOK), "--diff", "-e", f"@{extra}"]
    env = os.environ | {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "JICHITAI_WORKPLAN_LAB": "1",
        "JICHITAI_WORKPLAN_DIR": str(tmp / "plans"),
    }
    proc = subprocess.run([*cmd, *(["--check"] if check else [])], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300, check=False)  # fmt: skip
    start = proc.stdout.find("{")
    assert start >= 0, f"no JSON from ansible-playbook (rc {proc.returncode}): {proc.stderr[-3000:]}"
    report, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    assert proc.returncode == 0, json.dumps(report.get("stats"), ensure_ascii=False) + proc.stderr[-3000:]
    report["text"] = proc.stdout + proc.stderr
    report["diffs"] = [
        diff
        for play in report["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
        for diff in (
            result.get("diff") if isinstance(result.get("diff"), list) else [result.get("diff") or {}]
        )
    ]
    return report


def changed(report: dict) -> int:
    return report["stats"]["mon01"]["changed"]


def get(path: str) -> dict:
    with urllib.request.urlopen(PROMETHEUS + path, timeout=10) as answer:  # the lab's Prometheus on loopback
        return json.loads(answer.read())["data"]


def pids() -> dict[str, str]:
    return {name: (LAB_RUN / "pids" / f"{name}.pid").read_text().strip() for name in ENGINES}


def wait_for(predicate, seconds: float = 60):
    """Poll until predicate() is truthy (scrapes run every 5 s in the lab); its last value either way."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1)


def targets() -> list[dict]:
    return get("/api/v1/targets?state=active")["activeTargets"]


def reload_time() -> float:
    result = get("/api/v1/query?query=prometheus_config_last_reload_success_timestamp_seconds")["result"]
    return float(result[0]["value"][1])


@pytest.fixture(scope="module")
def monitoring(lab):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        before = pids()
        applied = run(tmp)  # converges whatever the lab held (seeded files or an earlier run)
        yield {"tmp": tmp, "pids": before, "applied": applied}
        run(tmp)  # the lab's own inventory again, without the extra host


def test_check_mode_shows_the_difference_and_writes_nothing(monitoring):
    text = (ETC / "prometheus.yml").read_text(encoding="utf-8")
    report = run(monitoring["tmp"], check=True, extra_host=True)
    after = "".join(str(d.get("after", "")) for d in report["diffs"])
    assert "mon-extra01" in after and "127.0.0.42" in after
    assert changed(report) >= 1
    assert (ETC / "prometheus.yml").read_text(encoding="utf-8") == text


def test_the_applied_files_pass_promtool_and_amtool(monitoring):
    for cmd in (
        ["promtool", "check", "config", str(ETC / "prometheus.yml")],
        ["promtool", "check", "rules", str(ETC / "rules" / "jichitai.yml")],
        ["amtool", "check-config", str(ETC / "alertmanager.yml")],
        ["prometheus-blackbox-exporter", "--config.check", f"--config.file={ETC / 'blackbox.yml'}"],
        ["prometheus-snmp-exporter", "--dry-run", f"--config.file={ETC / 'snmp.yml'}"],
    ):
        check = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert check.returncode == 0, f"{cmd}: {check.stdout}{check.stderr}"


def test_prometheus_scrapes_the_lab_targets_and_finds_them_up(monitoring):
    wanted = {"ad01", "ad02", "dhcp01", "dhcp02", "ups01", "ups02", "ups03", "ups04", "backup01", "mail01",
              "gw-cityhall", "gw-shobo-honbu", "mon01"}  # fmt: skip
    hosts = {t["labels"].get("jichitai_host") for t in targets()}
    assert wanted <= hosts, sorted(wanted - hosts)

    def all_up():
        current = targets()
        return current if all(t["health"] == "up" for t in current) else None

    down = [(t["labels"]["job"], t["labels"].get("jichitai_host"), t["lastError"]) for t in targets()
            if t["health"] != "up"] if not wait_for(all_up) else []  # fmt: skip
    assert not down
    # the probes themselves succeed: up is the scrape, probe_success the endpoint
    failing = wait_for(lambda: not get("/api/v1/query?query=probe_success==0")["result"])
    assert failing, get("/api/v1/query?query=probe_success==0")["result"]
    ha = get('/api/v1/query?query=probe_success{jichitai_probe="kea_ha"}')["result"]
    assert sorted(r["metric"]["jichitai_host"] for r in ha) == ["dhcp01", "dhcp02"]
    battery = get('/api/v1/query?query=network_ups_tools_battery_charge{jichitai_host="ups01"}')["result"]
    assert battery and battery[0]["metric"]["ups"] == "ups01"
    assert get('/api/v1/query?query=upsOutputSource{jichitai_host="ups04"}')["result"]
    assert get("/api/v1/query?query=kea_dhcp4_addresses_total")["result"]


def test_a_second_run_changes_nothing(monitoring):
    assert changed(run(monitoring["tmp"])) == 0


def test_a_host_added_to_the_inventory_is_a_target_after_one_run(monitoring):
    reloaded = reload_time()
    report = run(monitoring["tmp"], extra_host=True)
    assert changed(report) >= 1
    assert wait_for(lambda: reload_time() > reloaded, 30), "Prometheus did not reload"
    extra = wait_for(lambda: [t for t in targets() if t["labels"].get("jichitai_host") == "mon-extra01"], 30)
    assert [(t["labels"]["job"], t["labels"]["instance"]) for t in extra] == [("blackbox_icmp", "127.0.0.42")]
    up = wait_for(lambda: [t for t in targets() if t["labels"].get("jichitai_host") == "mon-extra01"
                           and t["health"] == "up"], 30)  # fmt: skip
    assert up
    assert changed(run(monitoring["tmp"], extra_host=True)) == 0


def test_the_engines_reloaded_without_restarting(monitoring):
    assert pids() == monitoring["pids"]


def test_the_secret_files_are_written_and_shown_nowhere(monitoring, tmp_path):
    """The probes' passwords and the RADIUS exporter's shared secret and account (config_files'
    secret_files) are written and never shown: a run into an empty folder writes every file, and no
    secret file's content is in Ansible's output (its registered results included) or the plan."""
    etc = tmp_path / "etc"
    report = run(tmp_path, extra_vars={"monitoring_config_etc_dir": str(etc)})
    secrets = {p.name: p.read_text(encoding="utf-8").strip() for p in (etc / "secrets").iterdir()}
    assert {"radius.secret", "radius-probe.auth"} <= set(secrets) and len(secrets) >= 3, sorted(secrets)
    assert "content not shown" in report["text"], "the plan does not say that the secret files change"
    plans = [p for p in (tmp_path / "plans").rglob("*") if p.suffix in (".json", ".md", ".html")]
    shown = report["text"] + "".join(p.read_text(encoding="utf-8") for p in plans)
    for name, value in secrets.items():
        password = value.rsplit(":", 1)[-1]  # the probe account's file holds user:password
        assert value and value not in shown and password not in shown, f"the content of {name} is shown"
