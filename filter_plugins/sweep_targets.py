# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The targets of the liveness_sweep module, built from the inventory.

What is checked follows what the host is (``jichitai_os_family``, ``jichitai_role``) and how the
controller already reaches it (the connection and service variables of docs/inventory.md), so the
sweep tests the very endpoints the playbooks use. Documentation for ansible-doc: sweep_targets.yml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests run without ansible on the path too
    AnsibleFilterError = ValueError

OVERRIDE = "jichitai_sweep_checks"
WINRM_HTTPS = 5986
SSH = 22
SMB = 445
LDAPS = 636
NUT = 3493
LOCAL = ("local",)


def _url_endpoint(url, default_port):
    parts = urlsplit(str(url))
    return parts.hostname, parts.port or default_port


def _check(kind, port=None, address=None, **extra):
    check = {"type": kind}
    if port is not None:
        check["port"] = int(port)
    if address:
        check["address"] = str(address)
    check.update({k: v for k, v in extra.items() if v})
    return check


def _connection_address(hv, address):
    """Where Ansible connects (ansible_host), when the ledger address (jichitai_address) differs."""
    reached = hv.get("ansible_host")
    return str(reached) if reached and str(reached) != address else None


def _derived_checks(hv, address):
    family, role = hv.get("jichitai_os_family"), hv.get("jichitai_role")
    connection = hv.get("ansible_connection")
    reached = _connection_address(hv, address)
    checks = []
    if role == "pc" or "role_pc" in (hv.get("group_names") or []):
        return [_check("icmp", address=reached), _check("tcp", SMB, reached)]
    if family == "windows" and connection == "winrm":
        ca = hv.get("ansible_winrm_ca_trust_path")
        if hv.get("ansible_winrm_server_cert_validation") == "ignore":
            ca = None
        checks.append(_check("tls", hv.get("ansible_port") or WINRM_HTTPS, reached, ca_file=ca))
    if family == "linux" and connection not in LOCAL:
        checks.append(_check("tcp", hv.get("ansible_port") or SSH, reached))
    if role == "ad_dc":
        host, port = (None, LDAPS)
        if hv.get("jichitai_ldap_url") and str(hv["jichitai_ldap_url"]).startswith("ldaps://"):
            host, port = _url_endpoint(hv["jichitai_ldap_url"], LDAPS)
        ca = hv.get("jichitai_ldap_ca_file")
        checks.append(_check("tls", port, host, ca_file=ca, server_name=host if ca else None))
        checks.append(_check("tcp", SMB, host))
    if role == "dhcp" and hv.get("jichitai_kea_api_url"):
        host, port = _url_endpoint(hv["jichitai_kea_api_url"], 80)
        checks.append(_check("tcp", port, host))
    if (role == "ups" or family == "ups") and hv.get("jichitai_ups_backend") == "nut":
        checks.append(_check("tcp", hv.get("jichitai_ups_port") or NUT, hv.get("jichitai_ups_address")))
    if role in ("gateway", "switch"):
        checks.append(_check("icmp", address=reached))
    if not checks:  # nothing known to connect to: at least whether it answers at all
        address_for_icmp = hv.get("jichitai_ups_address") if family == "ups" else reached
        checks.append(_check("icmp", address=address_for_icmp))
    return checks


def sweep_targets(hosts: Iterable[str] | str, hostvars: Mapping) -> list[dict]:
    """One ``{name, address, checks}`` per host, in the order given. ``jichitai_sweep_checks`` on a host
    replaces the derived checks. A host without an address is an error naming it."""
    if isinstance(hosts, str):
        hosts = [hosts]
    targets, missing = [], []
    for name in hosts:
        name = str(name)
        if name not in hostvars:
            missing.append(f"{name} (not in the inventory)")
            continue
        hv = hostvars[name]
        address = hv.get("jichitai_address") or hv.get("ansible_host")
        if not address:
            missing.append(f"{name} (neither jichitai_address nor ansible_host)")
            continue
        address = str(address)
        override = hv.get(OVERRIDE)
        checks = [dict(c) for c in override] if override else _derived_checks(hv, address)
        targets.append({"name": name, "address": address, "checks": checks})
    if missing:
        raise AnsibleFilterError(f"sweep_targets: no address for {', '.join(missing)}")
    return targets


class FilterModule:
    """Liveness sweep filters."""

    def filters(self):
        return {"sweep_targets": sweep_targets}
