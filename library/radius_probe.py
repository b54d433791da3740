#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: radius_probe
short_description: Authenticate a probe account against RADIUS servers and report each server's state
description:
  - Sends each server one RADIUS Access-Request (RFC 2865) with the probe account, from where the task
    runs, and reports a Nagios-style state per server, for monitoring (REQUIREMENTS §6-3(1) OPS-MON)
    and the daily checks of the RADIUS pair.
  - The request carries C(User-Name), C(User-Password) (encrypted with the shared secret),
    C(NAS-IP-Address) and a C(Message-Authenticator) (RFC 2869).
  - C(OK) on an Access-Accept; C(CRITICAL) on an Access-Reject, on any other answer, or when no answer
    comes within O(timeout) after O(retries) more attempts, each with the reason. A wrong shared secret
    looks like no answer (the server drops the request, or its reply does not verify).
  - A server that is down is reported, not a failure of the module; the module fails only on bad
    options, naming every bad row at once.
  - The servers are probed at the same time. Read-only.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
requirements:
  - pyrad
options:
  servers:
    description:
      - The RADIUS servers to probe. A row's O(servers[].port), O(servers[].secret), O(servers[].user)
        and O(servers[].password) default to the top-level options of the same name.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the server (the inventory host name); required and unique.
        type: str
      address:
        description: IPv4 address or DNS name of the server; required.
        type: str
      port:
        description: Its authentication port (UDP). Default O(port).
        type: raw
      secret:
        description: The shared secret of this client on the server. Default O(secret).
        type: str
      user:
        description: The probe account. Default O(user).
        type: str
      password:
        description: The probe account's password. Default O(password).
        type: str
  port:
    description: Authentication port (UDP) of every server that names none.
    type: int
    default: 1812
  secret:
    description: Shared secret for every server that names none.
    type: str
  user:
    description: Probe account for every server that names none.
    type: str
  password:
    description: Probe account's password for every server that names none.
    type: str
  timeout:
    description: Seconds to wait for the answer to one attempt.
    type: float
    default: 3.0
  retries:
    description: How many more times an unanswered request is sent before the server counts as CRITICAL.
    type: int
    default: 1
  nas_ip_address:
    description:
      - The C(NAS-IP-Address) to send. Default the controller's own address towards each server.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Supports check mode; the module only reads, so a check run probes too.
  - The probe account should exist only for monitoring and grant nothing.
seealso:
  - module: ansible.legacy.liveness_sweep
attributes:
  platform:
    platforms: posix
    details: >-
      Runs where the task runs, usually the controller (delegated to localhost); it reaches the
      servers over UDP.
  check_mode:
    support: full
    details: The module only reads; a check run probes as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Probe the RADIUS pair with the monitoring account
  radius_probe:
    servers: >-
      {{ groups['pair_radius'] | map('extract', hostvars)
         | json_query('[].{name: inventory_hostname, address: jichitai_radius_address,
                           port: jichitai_radius_port, secret: jichitai_radius_secret,
                           user: jichitai_radius_probe_user, password: jichitai_radius_probe_password}') }}
  delegate_to: localhost
  run_once: true
  register: radius

- name: Both servers must accept the probe account
  ansible.builtin.assert:
    that: radius.down | length == 0
    fail_msg: >-
      RADIUS down: {{ radius.servers | rejectattr('state', 'eq', 'OK')
                      | map(attribute='detail') | join('; ') }}
  run_once: true

- name: One secret and account for both servers
  radius_probe:
    servers:
      - {name: radius01, address: 10.10.1.31}
      - {name: radius02, address: 10.10.1.32}
    secret: "{{ vault_jichitai_radius_secret }}"
    user: jichitai-probe
    password: "{{ vault_jichitai_radius_probe_password }}"
    timeout: 2
"""

RETURN = r"""
servers:
  description: One entry per server, in the order given. Secrets and passwords are never returned.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The server's name.
      type: str
    address:
      description: The address probed.
      type: str
    port:
      description: The port probed.
      type: int
    user:
      description: The account the request named.
      type: str
    state:
      description: C(OK) (Access-Accept) or C(CRITICAL).
      type: str
    state_code:
      description: Nagios code of RV(servers[].state) (0 or 2).
      type: int
    reply:
      description:
        - C(Access-Accept), C(Access-Reject), C(Access-Challenge), C(code N); null when nothing came back.
      type: str
    response_ms:
      description: Milliseconds from the first send to the answer (retries included); null without an answer.
      type: float
    detail:
      description: What came back, or why the server is CRITICAL.
      type: str
  sample:
    - {name: radius01, address: 10.10.1.31, port: 1812, user: jichitai-probe, state: OK, state_code: 0,
       reply: Access-Accept, response_ms: 1.9, detail: Access-Accept for jichitai-probe}
    - {name: radius02, address: 10.10.1.32, port: 1812, user: jichitai-probe, state: CRITICAL,
       state_code: 2, reply: null, response_ms: null,
       detail: "no answer from 10.10.1.32:1812 within 3 s, 2 attempt(s) (server down, port closed, or a
       shared secret the server does not accept)"}
summary:
  description: Number of servers in each state.
  returned: always
  type: dict
  sample: {OK: 1, CRITICAL: 1}
down:
  description: Names of the servers that are CRITICAL.
  returned: always
  type: list
  elements: str
  sample: [radius02]
duration_seconds:
  description: Wall time of the probe.
  returned: always
  type: float
  sample: 3.01
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import pyrad  # noqa: F401  # pylint: disable=unused-import
except ImportError:
    PYRAD_ERROR = traceback.format_exc()
else:
    PYRAD_ERROR = None

from ansible.module_utils.radius.probe import option_problems, probe_all, resolve_servers, server_problems

SERVER_SPEC = {
    "name": {"type": "str"},
    "address": {"type": "str"},
    # ports are checked by server_problems, so every bad row is named in one refusal
    "port": {"type": "raw"},
    "secret": {"type": "str", "no_log": True},
    "user": {"type": "str"},
    "password": {"type": "str", "no_log": True},
}


def main():
    module = AnsibleModule(
        argument_spec={
            "servers": {"type": "list", "elements": "dict", "required": True, "options": SERVER_SPEC},
            "port": {"type": "int", "default": 1812},
            "secret": {"type": "str", "no_log": True},
            "user": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "timeout": {"type": "float", "default": 3.0},
            "retries": {"type": "int", "default": 1},
            "nas_ip_address": {"type": "str"},
        },
        supports_check_mode=True,
    )
    p = module.params
    if PYRAD_ERROR:
        module.fail_json(msg=missing_required_lib("pyrad"), exception=PYRAD_ERROR)
    servers = resolve_servers(p["servers"], p)
    problems = option_problems(p["timeout"], p["retries"], p["nas_ip_address"]) + server_problems(servers)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    report = probe_all(
        servers, timeout=p["timeout"], retries=p["retries"], nas_ip_address=p["nas_ip_address"]
    )
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
