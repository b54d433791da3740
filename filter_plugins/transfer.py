# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja filters over the inter-segment transfer systems of the inventory.

{{ groups['role_transfer'] | transfer_systems(hostvars, jichitai_transfer_routes) }}
    -> one entry per file-transfer system: its id, segments, the host whose account backend
       transfer_accounts talks to, every host of the system and the host of each side (segment),
       the account side and directions
{{ 'xfer-lg01' | transfer_drop(hostvars) }}       -> transfer_probe's send/receive for that side
{{ info.results | transfer_check_problems(probe.results) }} -> every problem of a transfer check
"""

from __future__ import annotations

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError


def transfer_systems(hosts, hostvars, routes):
    """The file-transfer systems of ``hosts`` (jichitai_transfer_route), with no secret in them: the
    API key is read from ``hostvars[entry.host]`` where it is used, so it never lands in a loop item."""
    systems = {}
    for name in hosts or []:
        hv = hostvars[name]
        route = hv.get("jichitai_transfer_route")
        if not route:
            continue
        if route not in (routes or {}):
            raise AnsibleFilterError(
                f"transfer_systems: {name}: {route!r} is not a route of jichitai_transfer_routes"
            )
        policy = routes[route]
        entry = systems.setdefault(
            route,
            {
                "system": route,
                "name": policy.get("name", route),
                "segments": list(policy.get("segments") or []),
                "account_side": policy.get("account_side", "lgwan"),
                "directions": list(policy.get("directions") or []),
                "hosts": [],
                "sides": {},
                "host": None,
                "backend": None,
            },
        )
        entry["hosts"].append(name)
        entry["sides"].setdefault(str(hv.get("jichitai_segment")), name)
        backend = hv.get("jichitai_transfer_accounts_backend")
        if backend and entry["host"] is None:
            entry.update(host=name, backend=backend)
    for entry in systems.values():
        entry["host"] = entry["host"] or entry["hosts"][0]
    return [systems[k] for k in sorted(systems)]


def transfer_drop(host, hostvars):
    """The SFTP drop of one side's host, as transfer_probe's ``send``/``receive`` take it."""
    hv = hostvars[host]
    missing = [k for k in ("jichitai_transfer_drop_user", "jichitai_transfer_drop_key_file") if not hv.get(k)]
    if missing:
        raise AnsibleFilterError(f"transfer_drop: {host} has no {', '.join(missing)}")
    return {
        "name": host,
        "host": str(hv.get("jichitai_address") or hv.get("ansible_host") or host),
        "port": int(hv.get("jichitai_transfer_drop_port", 22)),
        "user": hv["jichitai_transfer_drop_user"],
        "key_file": hv["jichitai_transfer_drop_key_file"],
    }


def transfer_check_problems(info_results, probe_results):
    """One line per problem of a transfer check, each naming its system (and direction)."""
    out = []
    for result in info_results or []:
        system = result.get("item", {}).get("system", "?")
        if result.get("failed"):
            out.append(f"{system}: {result.get('msg')}")
        out += [f"{system}: {finding}" for finding in result.get("findings") or []]
    for result in probe_results or []:
        item = result.get("item", {})
        where = f"{item.get('system', '?')} {item.get('from')}→{item.get('to')}"
        problems = result.get("problems")
        if problems:
            out += [f"{where}: {problem}" for problem in problems]
        elif result.get("failed"):
            out.append(f"{where}: {result.get('msg')}")
    return out


def transfer_check_record(info_results, probe_results):
    """The record of a transfer check, as data (no module arguments, so no secret): each system's
    state and findings, each direction's documents, and every problem."""
    systems = [
        {
            "system": r.get("item", {}).get("system"),
            "status": r.get("status"),
            "findings": r.get("findings") or [],
            "error": r.get("msg") if r.get("failed") else None,
        }
        for r in info_results or []
    ]
    probes = [
        {
            "system": r.get("item", {}).get("system"),
            "from": r.get("item", {}).get("from"),
            "to": r.get("item", {}).get("to"),
            "documents": r.get("documents") or [],
            "error": r.get("msg") if r.get("failed") and not r.get("problems") else None,
        }
        for r in probe_results or []
    ]
    return {
        "systems": systems,
        "probes": probes,
        "problems": transfer_check_problems(info_results, probe_results),
    }


class FilterModule:
    """Transfer-system filters; documented for ansible-doc in <filter name>.yml beside this file."""

    def filters(self):
        return {
            "transfer_systems": transfer_systems,
            "transfer_drop": transfer_drop,
            "transfer_check_problems": transfer_check_problems,
            "transfer_check_record": transfer_check_record,
        }
