"""The lab's local Debian repository (lab/components/65-aptrepo.sh) and the namespace hosts' reboot.

One LGWAN host and one Internet host install from `production` through the deb822 source the
inventory defines (jichitai_apt_repositories), see the newer version only once it is promoted,
reboot with the lab's reboot command (host-init.sh restarts the host, /run is emptied), and fail
installs while a lab fault is injected. The My Number host reaches no repository. Everything is put
back as found: production on the old snapshot, the package and the source removed.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import LAB_DIR

pytestmark = pytest.mark.lab

COMPONENT = LAB_DIR / "components" / "65-aptrepo.sh"
HOSTS = ("backup01", "mail01")  # lgwan, internet
PATTERN = ",".join(HOSTS)
PACKAGE = "jichitai-lab-agent"
SOURCE = "jichitai-lab"
REPO = "jichitai_apt_repositories[jichitai_segment]"
SOURCE_ARGS = json.dumps(
    {"name": SOURCE, "types": "deb"}
    | {field: f"{{{{ {REPO}.{field} }}}}" for field in ("uris", "suites", "components", "signed_by")}
)
REBOOT_ARGS = json.dumps(
    {
        "reboot_command": "{{ jichitai_reboot_command }}",
        "boot_time_command": "{{ jichitai_boot_time_command }}",
        "post_reboot_delay": 0,
    }
)


def component(*args: str) -> str:
    proc = subprocess.run(["bash", str(COMPONENT), *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def succeeded(results: dict, hosts=HOSTS) -> dict:
    assert sorted(results) == sorted(hosts), results
    for host, result in results.items():
        ok = not result.get("failed") and not result.get("unreachable")
        assert ok, f"{host}: {result.get('msg', result)}"
    return results


def versions(lab_ansible) -> dict[str, str]:
    results = lab_ansible(PATTERN, "ansible.builtin.command", f"dpkg-query -W -f=${{Version}} {PACKAGE}")
    return {host: result["stdout"] for host, result in succeeded(results).items()}


def put_back(lab_ansible) -> None:
    for host in HOSTS:
        component("fix-host", host)
    component("reset")
    lab_ansible(PATTERN, "ansible.builtin.apt", f"name={PACKAGE} state=absent purge=true")
    lab_ansible(PATTERN, "ansible.builtin.deb822_repository", f"name={SOURCE} state=absent")


@pytest.fixture(scope="module")
def sourced(lab, lab_ansible):
    """The two hosts with the inventory's source configured and the index fetched; put back after."""
    put_back(lab_ansible)
    succeeded(lab_ansible(PATTERN, "ansible.builtin.deb822_repository", SOURCE_ARGS))
    succeeded(lab_ansible(PATTERN, "ansible.builtin.apt", "update_cache=true"))
    yield
    put_back(lab_ansible)


def test_production_moves_only_when_promoted_and_a_reboot_clears_the_flag(sourced, lab_ansible):
    assert "production lab-2026-11-01" in component("status")
    succeeded(lab_ansible(PATTERN, "ansible.builtin.apt", f"name={PACKAGE} state=present"))
    assert versions(lab_ansible) == dict.fromkeys(HOSTS, "1.0.0-1")

    component("promote")
    listing = "apt-get update -qq && apt list --upgradable 2>/dev/null"
    upgradable = succeeded(lab_ansible(PATTERN, "ansible.builtin.shell", listing))
    for host, result in upgradable.items():
        assert f"{PACKAGE}/production 1.1.0-1" in result["stdout"], f"{host}: {result['stdout']}"

    succeeded(lab_ansible(PATTERN, "ansible.builtin.apt", f"name={PACKAGE} state=latest"))
    flags = succeeded(lab_ansible(PATTERN, "ansible.builtin.stat", "path=/run/reboot-required"))
    assert all(result["stat"]["exists"] for result in flags.values()), flags

    rebooted = succeeded(lab_ansible(PATTERN, "ansible.builtin.reboot", REBOOT_ARGS, timeout=300))
    assert all(result["rebooted"] for result in rebooted.values()), rebooted
    flags = succeeded(lab_ansible(PATTERN, "ansible.builtin.stat", "path=/run/reboot-required"))
    assert not any(result["stat"]["exists"] for result in flags.values()), flags
    pings = succeeded(lab_ansible(PATTERN, "ansible.builtin.ping"))
    assert all(result.get("ping") == "pong" for result in pings.values()), pings
    assert versions(lab_ansible) == dict.fromkeys(HOSTS, "1.1.0-1")


def test_a_broken_host_fetches_indexes_but_fails_installs_naming_the_lab_fault(sourced, lab_ansible):
    host = "mail01"
    component("break-host", host)
    try:
        succeeded(lab_ansible(host, "ansible.builtin.apt", "update_cache=true"), hosts=[host])
        result = lab_ansible(host, "ansible.builtin.apt", "name=jichitai-lab-tools state=present")[host]
        assert result.get("failed"), result
        assert "LAB FAULT" in result["msg"], result["msg"]
    finally:
        component("fix-host", host)
    for state in ("present", "absent purge=true"):
        succeeded(
            lab_ansible(host, "ansible.builtin.apt", f"name=jichitai-lab-tools state={state}"), hosts=[host]
        )


def test_the_mynumber_host_reaches_no_repository(lab, lab_ansible, lab_vars):
    assert "mynumber" not in lab_vars("mnxfer01")["jichitai_apt_repositories"]
    probe = (
        "import socket\n"
        "for a in ('198.18.10.1', '198.18.20.1', '198.18.30.1'):\n"
        "    try:\n"
        "        socket.create_connection((a, 8080), timeout=2).close()\n"
        "        print(a, 'open')\n"
        "    except OSError as e:\n"
        "        print(a, 'closed', e)\n"
    )
    args = json.dumps({"argv": ["python3", "-c", probe]})
    result = lab_ansible("mnxfer01", "ansible.builtin.command", args)["mnxfer01"]
    assert result.get("rc") == 0, result
    lines = result["stdout"].splitlines()
    assert len(lines) == 3 and all(" closed " in line for line in lines), lines
