#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: liveness_sweep
short_description: Check many servers, appliances, site networks and PCs for liveness at once
description:
  - Sweeps every target's checks concurrently from the controller (asyncio, one process) and reports
    a Nagios-style state per check and per target, for the pre-business checks (REQUIREMENTS
    §6-3(4)① OPS-DAILY), monitoring (§6-3(1) OPS-MON) and the asset view of which PCs are on
    (§6-3(4)②).
  - C(tcp) connects to a port; C(tls) connects and completes a TLS handshake and reports the
    certificate's notAfter and the days left; C(icmp) sends an echo request over an unprivileged ICMP
    datagram socket when C(net.ipv4.ping_group_range) admits the process, else a raw socket when
    running as root, else the check is UNKNOWN ("ICMP not permitted here"). No process is started per
    host.
  - A check that fails is tried again (O(retries)) before it counts as CRITICAL.
  - A target's state is its worst check (CRITICAL over UNKNOWN over WARNING over OK). A target that is
    down is reported, not a failure of the module; the module fails only on bad options.
  - Every target is validated before any probe; all problems (no address, unknown check type, port
    out of range, ...) are refused at once, each naming its target.
  - Read-only; runs where the task runs, usually the controller.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  targets:
    description:
      - The endpoints to check. The C(sweep_targets) filter builds this list from the inventory.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the target (the inventory host name); required and unique.
        type: str
      address:
        description: IPv4 address or DNS name the checks reach, unless a check gives its own.
        type: str
      checks:
        description: The checks of this target; at least one.
        type: list
        elements: dict
        suboptions:
          type:
            description: Required. C(tcp) connect, C(tls) connect and handshake, C(icmp) echo.
            type: str
          port:
            description:
              - TCP port (1-65535) of a C(tcp) or C(tls) check, required for those; an C(icmp) check takes
                none.
            type: raw
          address:
            description: Address of this check, when the service is reached elsewhere than the target.
            type: str
          server_name:
            description:
              - C(tls) only. The name sent as SNI; with O(targets[].checks[].ca_file) the certificate must
                also carry this name.
            type: str
          ca_file:
            description:
              - C(tls) only. CA bundle (PEM) the certificate must chain to; an untrusted certificate is
                CRITICAL. Without it the certificate is read but not verified.
            type: path
  concurrency:
    description: How many checks run at the same time.
    type: int
    default: 256
  timeout:
    description: Seconds one attempt of one check may take.
    type: float
    default: 2.0
  retries:
    description: How many more times a failed check is tried before it counts as CRITICAL.
    type: int
    default: 1
  cert_warning_days:
    description: A C(tls) check is WARNING when the certificate expires within this many days.
    type: int
    default: 30
  textfile:
    description:
      - Also write the results as Prometheus textfile-collector metrics to this file (its name must end
        in C(.prom)), atomically through a temporary file in the same directory.
      - Metrics C(jichitai_sweep_up), C(jichitai_sweep_state), C(jichitai_sweep_latency_seconds),
        C(jichitai_sweep_cert_expiry_days) (labels C(target), C(check), C(port), C(address)) and
        C(jichitai_sweep_duration_seconds).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Supports check mode; the module only reads, so a check run sweeps too, but does not write O(textfile).
  - Writing O(textfile) is bookkeeping of the monitoring, not a change of the estate; it does not make
    the task changed.
seealso:
  - module: ansible.legacy.dhcp_info
attributes:
  platform:
    platforms: posix
    details: >-
      Runs where the task runs, usually the controller (delegated to localhost); it reaches the
      targets over the network.
  check_mode:
    support: full
    details: The module only reads; a check run sweeps as a normal run, without writing O(textfile).
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Sweep the whole estate before opening hours
  liveness_sweep:
    targets: "{{ groups['all'] | sweep_targets(hostvars) }}"
    textfile: /var/lib/prometheus/node-exporter/jichitai_sweep.prom
  delegate_to: localhost
  run_once: true
  register: sweep

- name: Every server and site network must answer
  ansible.builtin.assert:
    that: sweep.down | length == 0
    fail_msg: "down: {{ sweep.down | join(', ') }}"
  run_once: true

- name: Which PCs are on
  liveness_sweep:
    targets: "{{ groups['role_pc'] | sweep_targets(hostvars) }}"
    timeout: 1
  delegate_to: localhost
  run_once: true

- name: One certificate, verified against the city CA
  liveness_sweep:
    targets:
      - name: ad01
        address: 10.10.1.11
        checks:
          - {type: tls, port: 636, server_name: ad01.city.moriguchi.local, ca_file: /etc/jichitai/ca.crt}
"""

RETURN = r"""
targets:
  description: One entry per target, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The target's name.
      type: str
    address:
      description: The target's address.
      type: str
    state:
      description: The worst state of its checks (C(OK), C(WARNING), C(CRITICAL), C(UNKNOWN)).
      type: str
    state_code:
      description: Nagios code of RV(targets[].state) (0, 1, 2, 3).
      type: int
    checks:
      description: One entry per check, in the order given.
      type: list
      elements: dict
      contains:
        type:
          description: C(tcp), C(tls) or C(icmp).
          type: str
        address:
          description: The address probed.
          type: str
        port:
          description: The port probed (null for C(icmp)).
          type: int
        state:
          description: C(OK), C(WARNING), C(CRITICAL) or C(UNKNOWN).
          type: str
        state_code:
          description: 0, 1, 2 or 3.
          type: int
        latency_ms:
          description: Milliseconds of the successful attempt (connect, handshake, echo); null on failure.
          type: float
        detail:
          description: What was seen, or why the check failed.
          type: str
        attempts:
          description: Attempts made (more than one when a failure was retried).
          type: int
        cert_not_after:
          description: C(tls) only. The certificate's notAfter (UTC, ISO 8601); null without a handshake.
          type: str
        cert_days_left:
          description: C(tls) only. Days until notAfter (negative when expired).
          type: float
  sample:
    - name: ad01
      address: 10.10.1.11
      state: WARNING
      state_code: 1
      checks:
        - {type: tls, address: 10.10.1.11, port: 636, state: WARNING, state_code: 1, latency_ms: 3.1,
           detail: "tls 10.10.1.11:636: certificate (verified) expires 2026-12-20T00:00:00Z, in 13.6 days
           (warning below 30)", attempts: 1, cert_not_after: "2026-12-20T00:00:00Z", cert_days_left: 13.6}
        - {type: tcp, address: 10.10.1.11, port: 445, state: OK, state_code: 0, latency_ms: 0.8,
           detail: "tcp 10.10.1.11:445 accepts connections", attempts: 1}
summary:
  description: Number of targets in each state.
  returned: always
  type: dict
  sample: {OK: 1287, WARNING: 0, CRITICAL: 13, UNKNOWN: 0}
down:
  description: Names of the targets that are CRITICAL.
  returned: always
  type: list
  elements: str
  sample: [gw-gesui]
duration_seconds:
  description: Wall time of the sweep.
  returned: always
  type: float
  sample: 0.42
textfile:
  description: The metrics file written, null when O(textfile) was not given or in check mode.
  returned: always
  type: str
  sample: /var/lib/prometheus/node-exporter/jichitai_sweep.prom
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.sweep.engine import sweep
from ansible.module_utils.sweep.metrics import render, write_atomically
from ansible.module_utils.sweep.targets import target_problems

CHECK_SPEC = {
    # types and ports are checked by target_problems, so every bad target is named in one refusal
    "type": {"type": "str"},
    "port": {"type": "raw"},
    "address": {"type": "str"},
    "server_name": {"type": "str"},
    "ca_file": {"type": "path"},
}
TARGET_SPEC = {
    "name": {"type": "str"},
    "address": {"type": "str"},
    "checks": {"type": "list", "elements": "dict", "options": CHECK_SPEC},
}


def option_problems(p):
    problems = []
    if p["concurrency"] < 1:
        problems.append(f"concurrency must be at least 1, not {p['concurrency']}")
    if p["timeout"] <= 0:
        problems.append(f"timeout must be above 0, not {p['timeout']}")
    if p["retries"] < 0:
        problems.append(f"retries must be 0 or more, not {p['retries']}")
    if p["textfile"] and not p["textfile"].endswith(".prom"):
        problems.append(f"textfile {p['textfile']} must end in .prom (the collector reads only those)")
    return problems


def main():
    module = AnsibleModule(
        argument_spec={
            "targets": {"type": "list", "elements": "dict", "required": True, "options": TARGET_SPEC},
            "concurrency": {"type": "int", "default": 256},
            "timeout": {"type": "float", "default": 2.0},
            "retries": {"type": "int", "default": 1},
            "cert_warning_days": {"type": "int", "default": 30},
            "textfile": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    problems = option_problems(p) + target_problems(p["targets"])
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    report = sweep(p["targets"], concurrency=p["concurrency"], timeout=p["timeout"], retries=p["retries"],
                   cert_warning_days=p["cert_warning_days"])
    report["textfile"] = None
    if p["textfile"] and not module.check_mode:
        try:
            write_atomically(p["textfile"], render(report))
        except (OSError, ValueError) as exc:
            module.fail_json(msg=f"cannot write the metrics to {p['textfile']}: {exc}", **report)
        report["textfile"] = p["textfile"]
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
