#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ups_info
short_description: Read the power status of a UPS over NUT or SNMP (RFC 1628 UPS-MIB)
description:
  - Reads one UPS and reports it in one model whatever the protocol, so playbooks for planned
    outages (REQUIREMENTS §6-3(8)) and monitoring (§6-3(1)) need not care how a UPS is reached.
  - C(backend=nut) talks to a Network UPS Tools C(upsd) (TCP 3493); C(backend=snmp) reads the
    RFC 1628 UPS-MIB of the UPS's network card with SNMP v2c, using numeric OIDs only.
  - Runs on the controller (C(ansible_connection=local)); it never changes the UPS.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  user:
    description: C(upsd) user. Reading needs no login; accepted so one set of options serves both UPS modules.
  write_community:
    description: Not used for reading; accepted so one set of options serves both UPS modules.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - ups_connection
requirements:
  - pysnmp >= 7 (for C(backend=snmp))
notes:
  - Supports check mode; the module only reads.
  - RFC 1628 has no standing shutdown/startup delays. With C(backend=snmp), RV(ups.shutdown_delay) and
    RV(ups.startup_delay) are the countdowns in effect (upsShutdownAfterDelay, upsStartupAfterDelay),
    null when none runs.
  - NUT sends the protocol in clear text, so keep C(upsd) on the management network.
seealso:
  - module: ansible.legacy.ups_control
attributes:
  check_mode:
    support: full
    details: The module only reads, so a check run reports the same as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Read the UPS that feeds this host
  ups_info:
    backend: "{{ hostvars[jichitai_ups].jichitai_ups_backend }}"
    address: "{{ hostvars[jichitai_ups].jichitai_ups_address }}"
    port: "{{ hostvars[jichitai_ups].jichitai_ups_port }}"
    name: "{{ hostvars[jichitai_ups].jichitai_ups_name }}"
    community: "{{ hostvars[jichitai_ups].jichitai_ups_community | default(omit) }}"
  delegate_to: localhost
  register: ups

- name: Stop when the UPS runs on battery
  ansible.builtin.assert:
    that: ups.ups.status == 'online'
    fail_msg: "UPS {{ jichitai_ups }} is {{ ups.ups.status }} ({{ ups.ups.battery_charge }} %)"
"""

RETURN = r"""
ups:
  description: The UPS in the common model.
  returned: success
  type: dict
  contains:
    backend:
      description: C(nut) or C(snmp).
      type: str
      sample: nut
    name:
      description: UPS name (or the address when no name was given).
      type: str
      sample: ups01
    status:
      description: >-
        The most serious condition: C(forced_shutdown), C(low_battery), C(on_battery), C(bypass),
        C(online), C(off) or C(unknown).
      type: str
      sample: on_battery
    flags:
      description: Every condition on its own (online, on_battery, low_battery, bypass, forced_shutdown, off).
      type: dict
      sample:
        online: false
        on_battery: true
        low_battery: false
        bypass: false
        forced_shutdown: false
        "off": false
    raw_status:
      description: What the UPS said (NUT C(ups.status), or the SNMP output source and battery status).
      type: str
      sample: OB DISCHRG
    battery_charge:
      description: Battery charge in percent.
      type: float
      sample: 70.0
    runtime:
      description: Estimated runtime on battery in seconds.
      type: int
      sample: 1500
    load:
      description: Output load in percent.
      type: float
      sample: 35.0
    input_voltage:
      description: Input voltage in volts.
      type: float
      sample: 100.0
    shutdown_delay:
      description: Seconds between a shutdown command and the output switching off (null if unknown).
      type: int
      sample: 60
    startup_delay:
      description: Seconds the UPS waits before switching the output back on (null if unknown).
      type: int
      sample: 120
    shutdown_pending:
      description: Whether a shutdown countdown is running.
      type: bool
      sample: false
    shutdown_countdown:
      description: Seconds left before the output switches off, null when no shutdown is pending.
      type: int
      sample: null
    startup_countdown:
      description: Seconds left before the output switches on, null when none runs.
      type: int
      sample: null
    auto_restart:
      description: Whether the UPS switches on by itself when power returns (SNMP upsAutoRestart; NUT null).
      type: bool
      sample: true
    manufacturer:
      description: Manufacturer reported by the UPS.
      type: str
      sample: Lab Power
    model:
      description: Model reported by the UPS.
      type: str
      sample: LP-3000 SNMP
    alarms:
      description: Well-known RFC 1628 alarms present (SNMP only).
      type: list
      elements: str
      returned: backend is snmp
      sample: [on_battery]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.ups.backend import UpsError, check_params, read_status
from ansible.module_utils.ups.common import ups_argument_spec


def main():
    module = AnsibleModule(argument_spec=ups_argument_spec(), supports_check_mode=True)
    problems = check_params(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    try:
        status = read_status(module.params)
    except UpsError as exc:
        label = module.params.get("name") or module.params["address"]
        module.fail_json(msg=f"cannot read UPS {label}: {exc}")
    module.exit_json(changed=False, ups=status)


if __name__ == "__main__":
    main()
