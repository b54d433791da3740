#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: dhcp_info
short_description: Report the state of a Kea DHCP appliance pair, its pools and leases
description:
  - Asks every peer of an ISC Kea DHCPv4 pair, through its Control Agent, for its HA state, and
    reports the size and use of each subnet's dynamic pool. It can also look leases up by MAC
    address or by IP address.
  - A peer that cannot be reached is reported (RV(peers[].reachable) false with the reason), not a
    failure, so monitoring (REQUIREMENTS §6-3(1)) and pre-business checks (§6-3(4)①) see a peer
    that is down. The module fails when the credentials are refused or when no peer answers.
  - Read-only; runs on the controller.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  subnet:
    description: Report only this subnet (prefix); every subnet when omitted.
    type: str
  macs:
    description: MAC addresses whose leases to look up.
    type: list
    elements: str
    default: []
  addresses:
    description: IPv4 addresses whose leases to look up.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - kea_api
notes:
  - Supports check mode; the module only reads.
  - Pool use counts the addresses inside the dynamic pools that hold an active lease on any peer.
seealso:
  - module: ansible.legacy.dhcp_reservations
attributes:
  check_mode:
    support: full
    details: The module only reads, so a check run reports the same as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Check the DHCP pair before opening hours
  dhcp_info:
    peers: "{{ dhcp_peers }}"
  register: dhcp

- name: Both peers must be up and in their normal HA state
  ansible.builtin.assert:
    that: dhcp.pair_healthy
    fail_msg: "{{ dhcp.peers | map(attribute='ha_state') | list }}"

- name: Where is this PC?
  dhcp_info:
    peers: "{{ dhcp_peers }}"
    subnet: 10.10.16.0/20
    macs: ["90:1b:0e:e5:c8:2d"]
"""

RETURN = r"""
peers:
  description: One entry per peer, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Peer name.
      type: str
    reachable:
      description: Whether the peer's DHCP service answered.
      type: bool
    error:
      description: Why the peer did not answer (null when it did).
      type: str
    ha_mode:
      description: HA mode (C(hot-standby), C(load-balancing), ...), null without HA.
      type: str
    ha_state:
      description: The peer's own HA state (C(hot-standby), C(partner-down), C(waiting), ...).
      type: str
    ha_role:
      description: The peer's role (C(primary), C(standby), C(secondary), C(backup)).
      type: str
    partner_state:
      description: The partner's state as this peer last saw it.
      type: str
  sample:
    - {name: dhcp01, reachable: true, error: null, ha_mode: hot-standby, ha_state: partner-down,
       ha_role: primary, partner_state: unavailable}
    - {name: dhcp02, reachable: false, error: "dhcp02: cannot reach the control agent at http://127.0.0.1:8002/:
       [Errno 111] Connection refused", ha_mode: null, ha_state: null, ha_role: null, partner_state: null}
pair_healthy:
  description:
    - Every peer answers and is in a normal HA state (C(hot-standby), C(load-balancing), C(passive-backup),
      C(backup)).
  returned: always
  type: bool
  sample: true
subnets:
  description: Each subnet with its dynamic pool size and use.
  returned: always
  type: list
  elements: dict
  sample:
    - {subnet: 198.18.100.0/22, id: 1, pools: ["198.18.103.1-198.18.103.250"], pool_size: 250,
       in_use: 3, free: 247, usage_percent: 1.2, reservations: 8}
leases:
  description: Leases found for O(macs) and O(addresses), one per address, with the peers holding it.
  returned: always
  type: list
  elements: dict
  sample:
    - {ip: 198.18.100.21, mac: "02:4a:00:10:01:01", hostname: prn-cityhall-1f-01, subnet_id: 1,
       expires: 1795736928, state: assigned, peers: [dhcp01, dhcp02]}
"""

import ipaddress
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kea.client import KeaAuthError, KeaError
from ansible.module_utils.kea.pair import check_peers, clients, pair_argument_spec
from ansible.module_utils.kea.reservations import (
    active_leases_by_ip,
    find_subnet,
    normalize_mac,
    pool_ranges,
    pool_size,
)

NORMAL_HA_STATES = ("hot-standby", "load-balancing", "passive-backup", "backup")
LEASE_STATES = {0: "assigned", 1: "declined", 2: "expired-reclaimed"}


def peer_report(client):
    report = {"name": client.name, "reachable": False, "error": None, "ha_mode": None, "ha_state": None,
              "ha_role": None, "partner_state": None}
    ha = client.ha_state()
    report["reachable"] = True
    if ha:
        report.update(ha_mode=ha["mode"], ha_state=ha["state"], ha_role=ha["role"],
                      partner_state=ha["partner_state"])
    return report


def subnet_reports(dhcp4, only, leases_by_peer):
    if only:
        found = find_subnet(dhcp4, only)
        subnets = [found] if found else []
    else:
        subnets = list(dhcp4.get("subnet4", []))
        for network in dhcp4.get("shared-networks", []):
            subnets.extend(network.get("subnet4", []))
    active = {}
    for leases in leases_by_peer.values():
        active.update(active_leases_by_ip(leases))
    reports = []
    for subnet in subnets:
        ranges = pool_ranges(subnet)
        size = pool_size(subnet)
        used = sum(
            1 for ip, lease in active.items()
            if lease.get("subnet-id") == subnet["id"]
            and any(first <= ipaddress.IPv4Address(ip) <= last for first, last in ranges)
        )
        reports.append({
            "subnet": subnet["subnet"],
            "id": subnet["id"],
            "pools": [f"{first}-{last}" for first, last in ranges],
            "pool_size": size,
            "in_use": used,
            "free": size - used,
            "usage_percent": round(100.0 * used / size, 1) if size else 0.0,
            "reservations": len(subnet.get("reservations", [])),
        })
    return reports


def lease_entry(lease, peer):
    return {
        "ip": lease.get("ip-address"),
        "mac": normalize_mac(lease.get("hw-address")) or lease.get("hw-address"),
        "hostname": lease.get("hostname") or None,
        "subnet_id": lease.get("subnet-id"),
        "expires": lease.get("cltt", 0) + lease.get("valid-lft", 0),
        "expired": lease.get("cltt", 0) + lease.get("valid-lft", 0) < time.time(),
        "state": LEASE_STATES.get(lease.get("state", 0), str(lease.get("state"))),
        "peers": [peer],
    }


def main():
    spec = pair_argument_spec()
    spec.update(
        subnet={"type": "str"},
        macs={"type": "list", "elements": "str", "default": []},
        addresses={"type": "list", "elements": "str", "default": []},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    problems = check_peers(p)
    macs = []
    for mac in p["macs"]:
        normal = normalize_mac(mac)
        if normal is None:
            problems.append(f"invalid MAC address {mac!r} in macs")
        macs.append(normal)
    for address in p["addresses"]:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            problems.append(f"invalid IPv4 address {address!r} in addresses")
    if p["subnet"]:
        try:
            ipaddress.ip_network(p["subnet"], strict=False)
        except ValueError:
            problems.append(f"subnet {p['subnet']!r} is not an IPv4 prefix")
    if problems:
        module.fail_json(msg="; ".join(problems))

    peers, found, leases_by_peer, reference = [], {}, {}, None
    for client in clients(p):
        try:
            report = peer_report(client)
            dhcp4 = client.config_get()["Dhcp4"]
            ids = [s["id"] for s in dhcp4.get("subnet4", [])]
            ids += [s["id"] for n in dhcp4.get("shared-networks", []) for s in n.get("subnet4", [])]
            leases_by_peer[client.name] = client.leases_in_subnets(ids) if ids else []
            lookups = [lease for mac in macs for lease in client.leases_by_mac(mac)]
            for address in p["addresses"]:
                lease = client.lease_by_address(address)
                if lease:
                    lookups.append(lease)
        except KeaAuthError as exc:
            module.fail_json(msg=str(exc), peers=peers)
        except KeaError as exc:
            peers.append({"name": client.name, "reachable": False, "error": str(exc), "ha_mode": None,
                          "ha_state": None, "ha_role": None, "partner_state": None})
            continue
        peers.append(report)
        reference = reference or dhcp4
        for lease in lookups:
            key = (lease.get("ip-address"), lease.get("hw-address"))
            if key in found:
                if client.name not in found[key]["peers"]:
                    found[key]["peers"].append(client.name)
            else:
                found[key] = lease_entry(lease, client.name)
    if not any(peer["reachable"] for peer in peers):
        errors = "; ".join(x["error"] for x in peers)
        module.fail_json(msg=f"no peer of the pair answers: {errors}", peers=peers)
    # pools from the first peer that answered; use counts leases from every peer that answered
    subnets = subnet_reports(reference, p["subnet"], leases_by_peer)
    if p["subnet"] and not subnets:
        module.fail_json(msg=f"no peer has the subnet {p['subnet']}", peers=peers)
    module.exit_json(
        changed=False,
        peers=peers,
        pair_healthy=all(
            x["reachable"] and (x["ha_state"] in NORMAL_HA_STATES or x["ha_mode"] is None) for x in peers
        ),
        subnets=subnets,
        leases=sorted(found.values(), key=lambda x: (x["ip"] or "", x["mac"] or "")),
    )


if __name__ == "__main__":
    main()
