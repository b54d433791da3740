#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: dhcp_reservations
short_description: Keep the reservations of DHCP subnets identical on both peers of a Kea appliance pair
description:
  - Manages the host reservations (MAC address to IPv4 address) of one subnet (O(subnet)), or of every
    scope of the pair in one run (O(scopes)), on every peer of an ISC Kea DHCPv4 pair through their
    Control Agents, so the pair keeps one configuration. The IP ledger is the source of truth
    (REQUIREMENTS §6-3(4)④).
  - With O(scopes) each peer is read once, every scope is checked before any change (one error lists
    the problems of every scope), and each peer gets one C(config-set) with all its changed scopes, so
    its HA service restarts once however many scopes change.
  - Kea does not replicate configuration between HA peers, and the Debian/ISC open-source build has
    no host_cmds hook, so each peer is changed by C(config-get), edit, C(config-test), C(config-set)
    and C(config-write).
  - Everything is checked before the first change. That covers every row of the input (MAC, IP,
    host name), addresses outside the subnet or inside its dynamic pool, two reservations for one
    address, addresses leased to another MAC (C(lease4-get-all)), peers whose subnet definitions
    already differ, and unreachable peers. One error names every bad row.
  - C(config-test) runs on every peer before any C(config-set). Peers are then changed one at a
    time, and the next one only once the previous one serves again in its HA relationship
    (a health gate, so the pair is never reconfigured together). The result is read back from every peer.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  peers:
    description:
      - Each peer needs its own Control Agent; two peers whose C(url) reach the same host and port are
        refused before any peer is contacted.
      - The peers of the pair, in order. With O(converge=true) the reference is the first reachable peer
        whose subnet already holds the ledger's target, else the first reachable peer (see O(converge)).
      - Build it from the inventory (C(jichitai_kea_api_url), C(jichitai_kea_api_user),
        C(jichitai_kea_api_password)).
  subnet:
    description:
      - The subnet whose reservations are managed, as a prefix (C(10.10.16.0/20)).
      - One of O(subnet) (with O(reservations)) and O(scopes) is required.
    type: str
  scopes:
    description:
      - "Every scope to manage in this run, as the IP ledger lists them (C(jichitai_dhcp_scopes)), one
        mapping each with C(subnet) (required), C(reservations) (as O(reservations)), C(name) (names
        the scope in errors and in RV(scopes)) and C(pool) (optional; the scope's dynamic pool as
        C(first-last) or C({start, end}); refused when a peer serves the subnet with another pool).
        Other keys of the ledger's scope (C(site), C(gateway)) are ignored."
      - O(state), O(allow_empty), O(converge) and O(check_leases) apply to every scope.
    type: list
    elements: dict
  reservations:
    description:
      - The reservations, one mapping each. C(mac) accepts C(aa:bb:cc:dd:ee:ff), C(aa-bb-..),
        C(aabb.ccdd.eeff) and C(aabbccddeeff). C(ip) is an IPv4 address. C(hostname) is optional.
        C(source) is optional and only names the row in error messages (for example C(pc_assets.csv line 17)).
      - With O(state=absent) a row may give only C(mac) or only C(ip).
      - For V(present) and V(exact), C(mac) must be a unicast address of a device (not
        C(ff:ff:ff:ff:ff:ff), not all zero, not multicast - first octet odd) and C(ip) not
        C(0.0.0.0), C(255.255.255.255), a multicast address, or the subnet's network or broadcast address.
      - With O(state=exact) the list is required (refused before any peer is contacted when it is not
        given); an empty list that would remove reservations is refused unless O(allow_empty=true).
    type: list
    elements: dict
  allow_empty:
    description:
      - With O(state=exact) and an empty O(reservations) list, remove every reservation of the subnet
        on every peer. Without it such a request is refused before any change when the subnet holds
        reservations on any peer (an empty list for an empty subnet passes), since an empty list is far
        more often a mistake than an intent.
    type: bool
    default: false
  state:
    description:
      - V(present) adds the reservations or corrects them (the MAC address is the key) and leaves
        the others alone.
      - V(absent) removes the reservations with the given MACs or addresses.
      - V(exact) makes the subnet's reservations equal the list and removes every other one.
    type: str
    choices: [present, absent, exact]
    default: present
  converge:
    description:
      - When the peers' definitions of the subnet already differ, the module refuses to run. With
        V(true) it writes the reference peer's subnet, with the requested reservations, to every peer.
      - The reference is the first reachable peer whose subnet already equals what the requested
        reservations make of it (it holds the ledger's target, as the peer an interrupted apply changed
        does); when no peer does, the first reachable peer in the order of O(peers). RV(reference) names it.
      - The plan (check mode with diff) shows, for every peer that changes, its subnet before and after,
        one line per reservation; RV(peers) gives each peer's difference.
    type: bool
    default: false
  allow_peer_down:
    description:
      - By default an unreachable peer (or a peer whose DHCP service is down) stops the run before
        anything changes. With V(true) the reachable peers are changed and the others are reported
        in RV(peers_skipped). The pair then differs until a later run with O(converge=true).
    type: bool
    default: false
  check_leases:
    description: Refuse addresses that another MAC holds an active lease on (needs the lease_cmds hook).
    type: bool
    default: true
  ha_wait_timeout:
    description:
      - Seconds to wait for a changed peer to serve again in its HA relationship before the next one.
      - More than 0, at most 3600; O(timeout) (seconds per request) more than 0, at most 300.
    type: float
    default: 30.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - kea_api
  - workplan_journal
notes:
  - Supports check mode and diff mode. The diff (in diff mode only) has one entry per reservation.
  - The errors of a scope in O(scopes) start with C(scope <name>:).
  - When a peer fails after another was changed, every changed peer is rolled back (its previous
    configuration set and written again). The failure names each peer's state afterwards
    (RV(peers), RV(rollback)); a rollback that failed is reported as failed, and RV(converge_plan)
    says how to make the peers equal again (a new work plan with C(dhcp_sync_converge=true)).
  - With O(journal), each peer's C(config-set) and C(config-write) and each rollback step is journalled
    as it happens, and the controller process is checked before each write to a peer; when it is gone
    nothing more is sent to any peer, not even a rollback, and the failure says which peers hold what.
  - The configuration of a peer is replaced whole by C(config-set). A change made on that peer by other
    means between this module's C(config-get) and C(config-set) would be lost, so do not run two
    changes on one pair at once.
seealso:
  - module: ansible.legacy.dhcp_info
attributes:
  check_mode:
    support: full
    details: Runs every check (C(config-test) included) and reports the changes; sends no C(config-set).
  diff_mode:
    support: full
    details: One entry per reservation added, changed or removed, and per peer that is converged.
"""

EXAMPLES = r"""
- name: Make the pair's reservations match the IP ledger
  dhcp_reservations:
    peers:
      - name: dhcp01
        url: https://10.10.0.21:8000/
        user: jichitai-ops
        password: "{{ vault_kea_password }}"
      - name: dhcp02
        url: https://10.10.0.22:8000/
        user: jichitai-ops
        password: "{{ vault_kea_password }}"
    subnet: 10.10.16.0/20
    state: exact
    reservations:
      - {hostname: lgdt0011, mac: "90:1b:0e:e5:c8:2d", ip: 10.10.16.10}
      - {hostname: lgdt0012, mac: "90:1b:0e:de:d4:c3", ip: 10.10.16.11}

- name: Every scope of the ledger in one run (one config-set per peer)
  dhcp_reservations:
    peers: "{{ dhcp_peers }}"
    state: exact
    scopes: "{{ jichitai_dhcp_scopes }}"

- name: Remove one reservation
  dhcp_reservations:
    peers: "{{ dhcp_peers }}"
    subnet: 10.10.16.0/20
    state: absent
    reservations:
      - mac: "90:1b:0e:de:d4:c3"

- name: Bring a peer that drifted back in line with the first peer
  dhcp_reservations:
    peers: "{{ dhcp_peers }}"
    subnet: 10.10.16.0/20
    state: present
    converge: true
"""

RETURN = r"""
changed_hosts:
  description:
    - The peers (their inventory names) this call changes, or would change in check mode. One call runs for
      the pair, so the work plan marks each of them changed, not only the host the task ran for.
  returned: when the module got as far as comparing the peers
  type: list
  elements: str
  sample: [dhcp01, dhcp02]
changes:
  description: The reservation changes (made, or in check mode to be made), one per reservation.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: C(add), C(update) or C(remove).
      type: str
    mac:
      description: MAC address of the reservation.
      type: str
    ip:
      description: Reserved address (after the change, or the removed one).
      type: str
    hostname:
      description: Host name of the reservation.
      type: str
    before:
      description: The Kea reservation before (null for C(add)).
      type: dict
    after:
      description: The Kea reservation after (null for C(remove)).
      type: dict
    row:
      description: The row of I(reservations) that asks for the change (its number, source and host name).
      type: str
      returned: for C(add) and C(update)
    subnet:
      description: The subnet of the reservation.
      type: str
      returned: with O(scopes)
    scope:
      description: The name of its scope in O(scopes).
      type: str
      returned: with O(scopes)
  sample:
    - action: add
      row: row 25 (ledger ip.csv line 26, prn-cityhall-5f-01)
      mac: "02:4a:00:10:05:01"
      ip: 198.18.100.25
      hostname: prn-cityhall-5f-01
      before: null
      after: {hw-address: "02:4a:00:10:05:01", ip-address: 198.18.100.25, hostname: prn-cityhall-5f-01}
summary:
  description:
    - Number of reservations added, updated, removed, and in the subnet after the run (with O(scopes),
      the sums over the scopes).
  returned: always
  type: dict
  sample: {added: 1, updated: 0, removed: 0, total: 9}
subnet_id:
  description: Kea id of the subnet.
  returned: success, with O(subnet)
  type: int
  sample: 1
scopes:
  description: Each scope of O(scopes), in order, with what it changes.
  returned: success, with O(scopes)
  type: list
  elements: dict
  contains:
    name:
      description: The scope's name.
      type: str
    subnet:
      description: Its prefix.
      type: str
    subnet_id:
      description: Its Kea id.
      type: int
    reference:
      description: The peer whose subnet its change is based on (see RV(reference)).
      type: str
    summary:
      description: As RV(summary), for this scope.
      type: dict
    peers:
      description: Each reachable peer, whether this scope changes on it, its C(difference) (see RV(peers)).
      type: list
      elements: dict
  sample:
    - name: cityhall-pc
      subnet: 10.10.16.0/20
      subnet_id: 1
      reference: dhcp01
      summary: {added: 1, updated: 0, removed: 0, total: 240}
      peers:
        - {name: dhcp01, changed: true, difference: {added: 1, updated: 0, removed: 0}}
        - {name: dhcp02, changed: true, difference: {added: 1, updated: 0, removed: 0}}
peers:
  description:
    - Each peer, whether it was reachable and was (or would be) changed, its HA state afterwards, and
      its state after the run (on success and on failure).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The peer's name.
      type: str
    reachable:
      description: Whether the peer answered (after a failure, whether it answered last).
      type: bool
    changed:
      description:
        - Whether the peer is (or would be) changed; after a failure, whether it took a configuration of
          this run.
      type: bool
    ha_state:
      description: Its HA state after its change (or at the health gate).
      type: str
    state:
      description:
        - V(changed) holds the new configuration; V(untouched) not changed by this run.
        - After a failure also V(rolled_back) (changed, then its previous configuration set and written
          again), V(not_rolled_back) (changed and the rollback failed - it holds the new configuration) and
          V(unreachable) (cannot be reached and what it holds is not known, or it was down before the run).
      type: str
      choices: [changed, untouched, rolled_back, not_rolled_back, unreachable]
    written:
      description:
        - Whether its new configuration was saved (C(config-write)). A peer in state V(not_rolled_back) that
          was written comes back with the new configuration after a restart.
      type: bool
      returned: when a change was attempted
    error:
      description: The error of this peer's change, if any.
      type: str
      returned: when a change was attempted
    difference:
      description: What its reservations gain and lose to reach the target (C(added), C(updated), C(removed)).
      type: dict
      returned: when the change was planned
  sample:
    - name: dhcp01
      reachable: false
      changed: true
      ha_state: hot-standby
      state: not_rolled_back
      written: true
      error: "dhcp01: cannot reach the control agent at http://127.0.0.1:8001/: Remote end closed connection"
      difference: {added: 1, updated: 0, removed: 0}
    - {name: dhcp02, reachable: true, changed: false, ha_state: hot-standby, state: untouched,
       difference: {added: 1, updated: 0, removed: 0}}
rollback:
  description:
    - One entry per peer a rollback was tried on, the last changed first; C(ok) is false when it failed.
  returned: when a change failed after a peer was sent its new configuration
  type: list
  elements: dict
  contains:
    peer:
      description: The peer.
      type: str
    ok:
      description: Whether its previous configuration was set and saved again.
      type: bool
    error:
      description: Why the rollback failed (null when it worked).
      type: str
  sample:
    - {peer: dhcp01, ok: false, error: "dhcp01: cannot reach the control agent at http://127.0.0.1:8001/"}
converge_plan:
  description:
    - Whether the peers may now differ (C(needed)), and how to make them equal again - a new work plan of
      C(playbooks/dhcp_sync.yml) with C(-e dhcp_sync_converge=true), approved and applied - in Japanese
      (C(ja)) and English (C(en)).
    - C(reference) is the peer converge will take (the one holding the ledger's target), or null when
      converge is left to choose.
  returned: when a change failed after a peer was sent its new configuration, or peers were skipped
  type: dict
  sample:
    needed: true
    reference: dhcp01
    ja: "dhcp01 を復旧させたうえで、playbooks/dhcp_sync.yml を -e dhcp_sync_converge=true 付きの ..."
    en: "To converge the pair, bring dhcp01 back first, then make a new work plan of ..."
reference:
  description: The peer whose subnet the change is based on (with O(converge), the converge reference).
  returned: success, with O(subnet)
  type: str
  sample: dhcp01
peers_skipped:
  description: Peers left unchanged because they were unreachable (only with O(allow_peer_down=true)).
  returned: always
  type: list
  elements: str
  sample: []
errors:
  description: Every problem found before any change, one entry per bad row or peer.
  returned: failure
  type: list
  elements: str
  sample: ["row 2 (prn-x): address 198.18.103.10 is inside the dynamic pool 198.18.103.1-198.18.103.250"]
"""

import copy
import ipaddress
import json
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kea.pair import (
    KeaError,
    KeaUnreachable,
    check_peers,
    clients,
    pair_argument_spec,
)
from ansible.module_utils.kea.reservations import (
    STATES,
    canonical_subnet,
    check_request,
    diff_items,
    empty_exact_error,
    find_subnet,
    lease_conflicts,
    parse_rows,
    plan,
    pool_problem,
    replace_subnet,
    reservation_lines,
    subnet_differences,
    validate,
)
from ansible.module_utils.kea.rollback import (
    CHANGED,
    NOT_ROLLED_BACK,
    UNREACHABLE,
    UNTOUCHED,
    change_one_at_a_time,
    describe,
)
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone, Journal

SUMMARY_KEYS = ("added", "updated", "removed", "total")


def labelled(scope, errors):
    """ERRORS of one scope of O(scopes), each starting with the scope's name (as they were, for O(subnet))."""
    return [f"{scope['label']}: {error}" if scope["label"] else error for error in errors]


def row_number(error):
    """Sort key: errors about the pair first, then rows in input order."""
    match = re.match(r"row (\d+)", error)
    return int(match.group(1)) if match else 0


def subnet_text(subnet):
    """A subnet as diffable text: one line per setting, then one line per reservation (by address)."""
    lines = [
        f"{key}: {json.dumps(subnet[key], sort_keys=True)}\n"
        for key in sorted(subnet)
        if key != "reservations"
    ]
    reservations = sorted(
        subnet.get("reservations", []), key=lambda r: (_ip_int(r), json.dumps(r, sort_keys=True))
    )
    for reservation in reservations:
        # leave out the defaults Kea fills in, as the per-reservation diff does
        shown = {k: v for k, v in reservation.items() if v not in ("", [], {}, None, "0.0.0.0")}
        lines.append(f"reservation: {json.dumps(shown, sort_keys=True)}\n")
    return "".join(lines)


def _ip_int(reservation):
    try:
        return int(ipaddress.IPv4Address(reservation.get("ip-address", "0.0.0.0")))
    except ValueError:
        return 0


def reservation_difference(current, target):
    """{added, updated, removed}: what a peer's subnet gains and loses to become target (key: the MAC)."""

    def keyed(subnet):
        texts = [json.dumps(r, sort_keys=True) for r in subnet.get("reservations", [])]
        return {
            reservation.get("hw-address") or text: text
            for reservation, text in zip(subnet.get("reservations", []), texts, strict=True)
        }

    now, wanted = keyed(current), keyed(target)
    return {
        "added": len(set(wanted) - set(now)),
        "updated": sum(now[k] != wanted[k] for k in set(now) & set(wanted)),
        "removed": len(set(now) - set(wanted)),
    }


def peer_diff(name, current, target):
    """A diff entry for a peer whose subnet differs from the reference (converge)."""
    counts = reservation_difference(current, target)
    return {
        "before_header": f"{name} subnet {current['subnet']}",
        "after_header": (
            f"{name} subnet {current['subnet']} (converged: reservations +{counts['added']} "
            f"~{counts['updated']} -{counts['removed']})"
        ),
        "before": subnet_text(current),
        "after": subnet_text(target),
    }


def converge_advice(reference=None, down=()):
    """(Japanese, English) sentences saying how to make the peers equal again: a converge work plan."""
    ref_ja = f"台帳どおりの設定を持つ {reference}" if reference else "接続できる最初の機器"
    ref_en = (
        f"{reference}, which holds the ledger's reservations" if reference
        else "the first reachable peer in the pair's order"
    )
    first_ja = f"{'・'.join(down)} を復旧させたうえで、" if down else ""
    first_en = f"bring {', '.join(down)} back first, then " if down else ""
    ja = (
        f"{first_ja}playbooks/dhcp_sync.yml を -e dhcp_sync_converge=true 付きの新しい作業計画"
        f"（--check --diff）にして承認・適用し、2 台を{ref_ja} に揃えてください。"
    )
    en = (
        f"To converge the pair, {first_en}make a new work plan of playbooks/dhcp_sync.yml with "
        "-e dhcp_sync_converge=true (--check --diff, the same inventory and ledger), approve it and "
        f"apply it: every peer is made equal to {ref_en} (the converge reference: the first reachable "
        "peer whose subnet already holds the ledger's target, else the first reachable peer)."
    )
    return ja, en


def converge_reference(subnets, rows, state):
    """The peer converge takes as reference: the first whose subnet already is its own target (it
    holds the ledger's reservations, e.g. the peer an interrupted apply changed), else the first."""
    for name, subnet in subnets.items():
        reservations, _changes = plan(subnet.get("reservations", []), rows, state)
        target = dict(subnet, reservations=reservations)
        if canonical_subnet(target) == canonical_subnet(subnet):
            return name
    return next(iter(subnets))


class Run:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.clients = clients(self.p)
        self.peers = {
            c.name: {
                "name": c.name, "reachable": False, "changed": False, "ha_state": None, "state": UNTOUCHED,
            }
            for c in self.clients
        }
        self.result = {"changes": [], "summary": {}, "peers": list(self.peers.values()), "peers_skipped": []}

    def fail(self, msg, errors=None, changed=False):
        self.module.fail_json(msg=msg, errors=errors or [msg], changed=changed, **self.result)

    def read_configs(self):
        """({peer: Dhcp4 config} of reachable peers, errors that forbid any change)."""
        configs, down, fatal = {}, [], []
        for client in self.clients:
            try:
                configs[client.name] = client.config_get()["Dhcp4"]
                self.peers[client.name]["reachable"] = True
            except KeaUnreachable as exc:
                down.append(str(exc))
                self.peers[client.name]["state"] = UNREACHABLE
            except KeaError as exc:  # refused credentials, unsupported command, ...
                fatal.append(str(exc))
        if not configs and not fatal:
            fatal.append("no peer of the pair is reachable: " + "; ".join(down))
        elif down and not self.p["allow_peer_down"]:
            fatal.append(
                "a peer of the pair is down, so no peer is changed (allow_peer_down=true changes the "
                "reachable peers alone): " + "; ".join(down)
            )
        self.result["peers_skipped"] = [c.name for c in self.clients if c.name not in configs]
        if self.result["peers_skipped"] and not fatal:
            self.module.warn("changing only " + ", ".join(configs) + "; unreachable: " + "; ".join(down))
        return configs, fatal

    def requested_scopes(self):
        """[{label, subnet, reservations, pool}]: O(scopes), or the one O(subnet) with O(reservations)."""
        p = self.p
        if p["scopes"] is None:
            return [{"label": "", "subnet": p["subnet"], "reservations": p["reservations"], "pool": None}]
        return [
            {
                "label": f"scope {scope.get('name') or scope.get('subnet') or index + 1}",
                "name": scope.get("name"),
                "subnet": scope.get("subnet"),
                "reservations": scope.get("reservations"),
                "pool": scope.get("pool"),
            }
            for index, scope in enumerate(p["scopes"])
        ]

    def run(self):
        p = self.p
        scopes = self.requested_scopes()
        errors = check_peers(p)
        hopeless = bool(errors)  # arguments that can never be right: refused before any peer is contacted
        timeout_errors = check_request([], p["state"], False, p.get("ha_wait_timeout"))
        errors += timeout_errors
        hopeless |= bool(timeout_errors)
        seen = set()
        for scope in scopes:
            said = []
            try:
                prefix = ipaddress.ip_network(scope["subnet"] or "", strict=False)
            except ValueError:
                said.append(f"subnet {scope['subnet']!r} is not an IPv4 prefix such as 10.10.16.0/20")
                hopeless = True
            else:
                if prefix in seen:  # two targets for one subnet: the second would silently win
                    said.append(f"subnet {scope['subnet']} is given in more than one scope")
                    hopeless = True
                seen.add(prefix)
            if not isinstance(scope["reservations"], (list, type(None))):
                said.append("reservations must be a list of mappings")
                hopeless = True
                scope["reservations"] = None
            request_errors = check_request(scope["reservations"], p["state"], p.get("allow_empty", False))
            hopeless |= bool(request_errors)
            scope["rows"], scope["row_errors"] = parse_rows(scope["reservations"], p["state"])
            errors += labelled(scope, said + request_errors + scope["row_errors"])
        if hopeless:
            self.refuse(errors)
        configs, peer_errors = self.read_configs()
        if peer_errors:
            self.refuse(peer_errors + errors)

        plans = []
        for scope in scopes:
            planned, scope_errors = self.plan_scope(configs, scope)
            errors += labelled(scope, scope_errors)
            plans.append(planned)
        if errors:
            self.refuse(errors)

        to_change = [name for name in configs if any(name in sp["to_change"] for sp in plans)]
        changes = [c for sp in plans for c in sp["changes"]]
        self.result.update(
            changes=changes,
            summary={key: sum(sp["summary"][key] for sp in plans) for key in SUMMARY_KEYS},
        )
        if p["scopes"] is None:
            self.result.update(subnet_id=plans[0]["id"], reference=plans[0]["reference"])
        else:
            self.result["scopes"] = [
                {
                    "name": sp["scope"].get("name"),
                    "subnet": sp["scope"]["subnet"],
                    "subnet_id": sp["id"],
                    "reference": sp["reference"],
                    "summary": sp["summary"],
                    "peers": [
                        {"name": name, "changed": name in sp["to_change"], "difference": difference}
                        for name, difference in sp["differences"].items()
                    ],
                }
                for sp in plans
            ]
        for name in configs:
            totals = [sp["differences"][name] for sp in plans]
            self.peers[name]["difference"] = {
                key: sum(t[key] for t in totals) for key in ("added", "updated", "removed")
            }
        for name in to_change:
            self.peers[name]["changed"] = True
        self.result["changed_hosts"] = list(to_change)  # one call changes both peers: name them both
        shown = {}  # the diff only when asked for (--diff): 500 entries cost Ansible a quarter second
        if self.module._diff:
            shown["diff"] = [entry for sp in plans for entry in sp["diff"]()]
        if self.result["peers_skipped"]:
            ja, en = converge_advice(None, self.result["peers_skipped"])
            self.result["converge_plan"] = {"needed": True, "reference": None, "ja": ja, "en": en}
        if not to_change or self.module.check_mode:
            self.module.exit_json(changed=bool(to_change), **shown, **self.result)
        self.apply(configs, to_change, plans)
        self.module.exit_json(changed=True, **shown, **self.result)

    def plan_scope(self, configs, scope):
        """One scope's target and changes against the reachable peers' CONFIGS, and its errors."""
        p = self.p
        rows, errors = scope["rows"], []
        subnets = {}
        for name, dhcp4 in configs.items():
            subnet = find_subnet(dhcp4, scope["subnet"])
            if subnet is None:
                errors.append(f"{name} has no subnet {scope['subnet']}")
            else:
                subnets[name] = subnet
        if len(subnets) < len(configs):
            return None, errors
        if scope["pool"] is not None:
            errors += [e for e in (pool_problem(n, s, scope["pool"]) for n, s in subnets.items()) if e]
        differences = subnet_differences(subnets)
        reference_name = next(iter(subnets))
        if differences and not scope["row_errors"]:
            reference_name = converge_reference(subnets, rows, p["state"])
        if differences and not p["converge"]:
            _ja, advice = converge_advice(reference_name)
            errors.append(
                f"the peers' definitions of subnet {scope['subnet']} already differ: "
                + "; ".join(differences) + ". " + advice
            )
        reference = subnets[reference_name]
        new_reservations, changes = plan(reference.get("reservations", []), rows, p["state"])
        empty = empty_exact_error(
            scope["reservations"], p["state"], p.get("allow_empty", False),
            max(len(s.get("reservations", [])) for s in subnets.values()),
        )
        if empty:
            errors.append(empty)
        errors += validate(rows, p["state"], reference, new_reservations)
        if p["check_leases"] and any(c["action"] in ("add", "update") for c in changes):
            errors += self.lease_errors(reference["id"], changes, {row["mac"]: row["label"] for row in rows})
        if errors:
            return None, sorted(errors, key=row_number)

        target = copy.deepcopy(reference)
        target["reservations"] = new_reservations
        # each subnet as comparable text once (a JSON dump of every reservation: the costly part)
        canonical = {name: canonical_subnet(subnet) for name, subnet in subnets.items()}
        canonical_target = canonical_subnet(target)
        to_change = [n for n in subnets if canonical[n] != canonical_target]
        if p["scopes"] is not None:
            changes = [dict(c, subnet=scope["subnet"], scope=scope["name"]) for c in changes]

        def diff():
            entries = diff_items(scope["subnet"], changes)
            for name in to_change:
                if canonical[name] != canonical[reference_name]:
                    entries.append(peer_diff(name, subnets[name], target))
            return entries

        return {
            "scope": scope,
            "id": reference["id"],
            "reference": reference_name,
            "target": target,
            "changes": changes,
            "to_change": to_change,
            "summary": {
                "added": sum(c["action"] == "add" for c in changes),
                "updated": sum(c["action"] == "update" for c in changes),
                "removed": sum(c["action"] == "remove" for c in changes),
                "total": len(new_reservations),
            },
            "differences": {name: reservation_difference(subnet, target) for name, subnet in subnets.items()},
            "diff": diff,
        }, []

    def refuse(self, errors):
        errors = sorted(errors, key=row_number)
        self.fail(f"{len(errors)} problem(s), nothing was changed on any peer: " + " | ".join(errors), errors)

    def lease_errors(self, subnet_id, changes, labels):
        leases = {}
        for client in self.clients:
            if not self.peers[client.name]["reachable"]:
                continue
            try:
                leases[client.name] = client.leases_in_subnets([subnet_id])
            except KeaError as exc:
                return [f"cannot check leases ({exc}); set check_leases=false to skip the check"]
        return lease_conflicts(changes, leases, labels=labels)

    def apply(self, configs, to_change, plans):
        by_name = {c.name: c for c in self.clients}
        mine = {name: [sp for sp in plans if name in sp["to_change"]] for name in to_change}
        new_configs = {}
        for name in to_change:
            # configurations are plain JSON data: a JSON round trip copies them a few times faster
            dhcp4 = json.loads(json.dumps(configs[name]))
            for sp in mine[name]:  # every scope of the pair in one configuration: one config-set per peer
                replace_subnet(dhcp4, json.loads(json.dumps(sp["target"])))
            new_configs[name] = {"Dhcp4": dhcp4}
        # every peer must accept the new configuration before any peer is changed
        for name in to_change:
            try:
                by_name[name].config_test(new_configs[name])
            except KeaError as exc:
                self.fail(f"config-test で変更が拒否されました。どの機器も変更していません / "
                          f"config-test refused the change, nothing was changed: {exc}")
        # health gate: the pair must be serving before the first change
        for name in to_change:
            try:
                self.peers[name]["ha_state"] = by_name[name].wait_serving(self.p["ha_wait_timeout"])
            except KeaError as exc:
                self.fail(f"DHCP の HA が正常ではないため、どの機器も変更していません / "
                          f"the pair is not healthy, nothing was changed: {exc}")
        journal = Journal.from_module(self.module, "dhcp_reservations")
        lines = {}  # (peer, subnet): (reservation lines before, after)
        for name in to_change:
            for sp in mine[name]:
                subnet = sp["scope"]["subnet"]
                old = (find_subnet(configs[name], subnet) or {}).get("reservations", [])
                new = sp["target"].get("reservations", [])
                lines[name, subnet] = (reservation_lines(old), reservation_lines(new))

        def record(action, peer, ok, error):
            for sp in mine[peer]:
                subnet = sp["scope"]["subnet"]
                before, after = lines[peer, subnet]
                if action.startswith("rollback"):
                    before, after = after, before
                journal.write(
                    action,
                    target=peer,
                    obj=f"subnet {subnet} reservations",
                    before=before if action.endswith("config-set") else None,
                    after=after if action.endswith("config-set") else None,
                    ok=ok,
                    note=error or "",
                )

        outcome = change_one_at_a_time(
            by_name,
            to_change,
            new_configs,
            {name: {"Dhcp4": configs[name]} for name in to_change},
            self.p["ha_wait_timeout"],
            before_write=lambda _peer: journal.check_controller(),
            record=record,
            stop=(ControllerGone,),
        )
        self.take_outcome(outcome)
        if not outcome.ok:
            self.fail_after_change(outcome)
        # read back: every changed peer now holds each target subnet
        # Kea fills in defaults (option-data, client-classes, ...): compare what the ledger sets
        for name in to_change:
            try:
                now = by_name[name].config_get()["Dhcp4"]
            except KeaError as exc:
                self.fail_read_back(f"cannot read back {name} after the change: {exc}")
            for sp in mine[name]:
                subnet = find_subnet(now, sp["scope"]["subnet"])
                wanted = sorted(lines[name, sp["scope"]["subnet"]][1])
                if subnet is None or sorted(reservation_lines(subnet.get("reservations", []))) != wanted:
                    self.fail_read_back(
                        f"{name} does not show the new reservations of subnet {sp['scope']['subnet']} "
                        "after config-set"
                    )

    def take_outcome(self, outcome):
        """Each changed peer's state, HA state and error, and the rollback steps, into the result."""
        for name, state in outcome.peers.items():
            peer = self.peers[name]
            peer.update(
                state=state["state"],
                written=state["written"],
                error=state["error"],
                reachable=state["reachable"],
                ha_state=state["ha_state"] if state["ha_state"] is not None else peer["ha_state"],
            )
            # changed: the peer took a configuration of this run, even if it was rolled back since
            peer["changed"] = state["config_set"]
        self.result["rollback"] = outcome.rollback

    def fail_after_change(self, outcome):
        """The failure of a change that had begun: each peer's real state, and how to converge."""
        failed = outcome.failed_peer
        holding = outcome.names(CHANGED, NOT_ROLLED_BACK)
        down = [n for n in self.peers if not self.peers[n]["reachable"]]
        rolled = [r["peer"] for r in outcome.rollback if r["ok"]]
        not_rolled = [r["peer"] for r in outcome.rollback if not r["ok"]]
        if outcome.stopped and isinstance(outcome.error, ControllerGone):
            ja = (
                f"ansible-playbook が終了したため、{failed} への書き込みの前に止めました"
                f"（切り戻しもしていません）。{describe(self.peers, 0)}。"
            )
        else:
            ja = f"{failed} の変更中に失敗しました。{describe(self.peers, 0)}。"
        en = (
            f"changing {failed} failed: {outcome.error}. Peers: {describe(self.peers, 1)}. "
            f"Rolled back: {', '.join(rolled) or 'none'}; NOT rolled back: {', '.join(not_rolled) or 'none'}"
        )
        for step in outcome.rollback:
            if not step["ok"]:
                en += f" ({step['error']})"
        en += "."
        if outcome.peers_differ or outcome.stopped and holding:
            advice_ja, advice_en = converge_advice(holding[0] if holding else None, down)
            ja += "2 台の設定が異なる可能性があります（この計画はそのままでは再適用できません）。" + advice_ja
            en += " The peers may now differ, so this plan cannot be applied again as it is. " + advice_en
            self.result["converge_plan"] = {
                "needed": True,
                "reference": holding[0] if holding else None,
                "ja": advice_ja,
                "en": advice_en,
            }
        elif not outcome.changed:
            ja += "どの機器も変更していません。原因を取り除けば、この計画を再適用できます。"
            en += " No peer was changed: once the cause is fixed, this plan can be applied again."
            self.result["converge_plan"] = {"needed": False, "reference": None, "ja": "", "en": ""}
        else:
            ja += "変更した機器はすべて元の設定に戻しました。原因を取り除けば、この計画を再適用できます。"
            en += (
                " Every changed peer was rolled back: once the cause is fixed, this plan can be applied "
                "again."
            )
            self.result["converge_plan"] = {"needed": False, "reference": None, "ja": "", "en": ""}
        for step in outcome.rollback:
            if not step["ok"]:
                self.module.warn(f"rollback of {step['peer']} failed: {step['error']}")
        self.fail(ja + " / " + en, changed=outcome.changed)

    def fail_read_back(self, problem):
        """A changed peer does not read back as the target: every changed peer keeps the new configuration."""
        advice_ja, advice_en = converge_advice(None)
        self.result["converge_plan"] = {"needed": True, "reference": None, "ja": advice_ja, "en": advice_en}
        holding = [n for n in self.peers if self.peers[n]["state"] == CHANGED]
        self.fail(
            f"変更後の読み戻しで問題があります（新しい設定の機器: {'・'.join(holding)}）。{advice_ja} / "
            f"{problem}; peers holding the new configuration (not rolled back): {', '.join(holding)}. "
            f"{advice_en}",
            changed=True,
        )


def main():
    spec = pair_argument_spec()
    spec.update(JOURNAL_ARGUMENT_SPEC)
    spec.update(
        subnet={"type": "str"},
        reservations={"type": "list", "elements": "dict"},
        scopes={"type": "list", "elements": "dict"},
        allow_empty={"type": "bool", "default": False},
        state={"type": "str", "default": "present", "choices": list(STATES)},
        converge={"type": "bool", "default": False},
        allow_peer_down={"type": "bool", "default": False},
        check_leases={"type": "bool", "default": True},
        ha_wait_timeout={"type": "float", "default": 30.0},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_one_of=[("subnet", "scopes")],
        mutually_exclusive=[("subnet", "scopes"), ("reservations", "scopes")],
    )
    Run(module).run()


if __name__ == "__main__":
    main()
