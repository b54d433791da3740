#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: dhcp_service
short_description: Stop the DHCP service of Kea appliances through their Control Agents
description:
  - Sends the Kea C(shutdown) command to the DHCP service of each peer whose service still answers,
    through the peer's Control Agent - the same client as M(ansible.legacy.dhcp_info) and
    M(ansible.legacy.dhcp_reservations). Used
    by the planned power outage (REQUIREMENTS OPS-OUTAGE, §6-3(8)) to stop a DHCP appliance in order.
  - A peer whose DHCP service no longer answers (the Control Agent says so, or the appliance is not
    reachable at all) is already stopped and left alone, so the module is idempotent.
  - The module does not wait for the service to go; M(ansible.legacy.dhcp_info) shows when it has.
  - Runs on the controller.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  state:
    description: C(stopped) - the DHCP service of every peer is shut down.
    type: str
    choices: [stopped]
    default: stopped
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - kea_api
notes:
  - Credentials refused by a Control Agent are an error, never taken for a stopped service.
seealso:
  - module: ansible.legacy.dhcp_info
  - module: ansible.legacy.dhcp_reservations
attributes:
  check_mode:
    support: full
    details: The peers are asked for their status and nothing is sent; the result says which would stop.
  diff_mode:
    support: full
    details: Each peer's service before (running or stopped) and after (stopped).
"""

EXAMPLES = r"""
- name: Stop the DHCP service of dhcp02 for the planned outage
  dhcp_service:
    peers: "{{ ['dhcp02'] | kea_peers(hostvars) }}"
    state: stopped
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
    was_running:
      description: Whether the peer's DHCP service answered before the module ran.
      type: bool
    changed:
      description: Whether the shutdown command was sent (or would be, in check mode).
      type: bool
    detail:
      description: The Control Agent's answer, or why the peer counts as stopped.
      type: str
  sample:
    - {name: dhcp02, was_running: true, changed: true, detail: "Shutting down."}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.kea.client import KeaAuthError, KeaError, KeaUnreachable
from ansible.module_utils.kea.pair import check_peers, clients, pair_argument_spec


def main():
    spec = pair_argument_spec()
    spec.update(state={"type": "str", "default": "stopped", "choices": ["stopped"]})
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    problems = check_peers(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))

    peers = []
    for client in clients(module.params):
        entry = {"name": client.name, "was_running": False, "changed": False, "detail": ""}
        try:
            client.status()
            entry["was_running"] = True
        except KeaAuthError as exc:
            module.fail_json(msg=str(exc), peers=peers)
        except KeaUnreachable as exc:
            entry["detail"] = f"already stopped: {exc}"
        except KeaError as exc:
            module.fail_json(msg=f"cannot tell whether the DHCP service runs: {exc}", peers=peers)
        if entry["was_running"]:
            entry["changed"] = True
            if module.check_mode:
                entry["detail"] = "would send shutdown (check mode)"
            else:
                try:
                    entry["detail"] = client.command("shutdown", allow_empty=False)[1] or "shutdown sent"
                except KeaError as exc:
                    module.fail_json(msg=f"shutdown refused: {exc}", peers=peers + [entry])
        peers.append(entry)

    changed = any(p["changed"] for p in peers)
    module.exit_json(
        changed=changed,
        peers=peers,
        diff={
            "before": {p["name"]: "running" if p["was_running"] else "stopped" for p in peers},
            "after": {p["name"]: "stopped" for p in peers},
        },
    )


if __name__ == "__main__":
    main()
