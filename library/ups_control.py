#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ups_control
short_description: Schedule or cancel a UPS shutdown and set its delays, confirmed by the UPS
description:
  - Manages what a planned power outage (REQUIREMENTS §6-3(8)) needs from a UPS. It schedules a
    shutdown after a delay that switches the output back on by itself when power returns, changes
    the shutdown and startup delays, and cancels a scheduled shutdown.
  - Confirms that the UPS really took each change and fails when it did not. With C(backend=nut)
    every C(SET VAR) and C(INSTCMD) runs with C(SET TRACKING ON) and must end in C(SUCCESS) in
    C(GET TRACKING), and set variables are read back. With C(backend=snmp) the RFC 1628 control
    objects are written in one SET with the write community and read back with the read community.
  - Validates everything before the first change. Check mode reports the change with a diff
    and changes nothing.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  state:
    description:
      - V(configured) sets the delays only (NUT C(ups.delay.shutdown) and C(ups.delay.start)); the
        UPS-MIB has no standing delays, so SNMP UPSes refuse it.
      - V(scheduled) makes sure a shutdown is pending. NUT runs C(shutdown.return) (or C(shutdown.stayoff)
        without O(auto_restart)) after setting the delays. SNMP writes upsAutoRestart, upsStartupAfterDelay
        and then upsShutdownAfterDelay, which starts the countdown. A shutdown already pending is left
        alone (its countdown is not restarted).
      - V(cancelled) makes sure no shutdown is pending (NUT C(shutdown.stop); SNMP writes -1 to the
        countdowns).
    type: str
    choices: [configured, scheduled, cancelled]
    default: configured
  shutdown_delay:
    description:
      - Seconds between the command and the output switching off.
      - Required to schedule a shutdown on an SNMP UPS; with NUT the UPS's own delay is used when omitted.
      - 0 to 7200 (two hours); a value out of range is refused before the UPS is contacted.
    type: int
  startup_delay:
    description:
      - Seconds before the output switches back on. Must be longer than the shutdown delay.
      - With SNMP this is upsStartupAfterDelay, counted from when the shutdown is scheduled.
      - 0 to 86400 (a day); a value out of range is refused before the UPS is contacted.
    type: int
  auto_restart:
    description: Whether the UPS switches the output back on by itself when power returns.
    type: bool
    default: true
  confirm_timeout:
    description:
      - Seconds to wait for NUT tracking to confirm each change. More than 0, at most 300.
      - The connection's O(port) must be 1 to 65535 and O(timeout) more than 0, at most 60 seconds.
    type: float
    default: 15.0
  community:
    description: SNMP read community, also used for the read-back (inventory C(jichitai_ups_community)).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - ups_connection
requirements:
  - pysnmp >= 7 (for C(backend=snmp))
notes:
  - Supports check mode and diff mode.
  - A NUT UPS whose driver does not offer C(shutdown.return), C(shutdown.stayoff) or C(shutdown.stop)
    cannot be scheduled or cancelled through C(upsd); the module says so before changing anything.
  - C(upsd) answers OK to a wrong password, so a bad password shows as access denied on the first change.
seealso:
  - module: ansible.legacy.ups_info
attributes:
  check_mode:
    support: full
    details: Validates and reports the UPS settings that would change; writes nothing to the UPS.
  diff_mode:
    support: full
    details: The UPS settings before and after.
"""

EXAMPLES = r"""
- name: Give the servers 3 minutes and restart 10 minutes after power returns
  ups_control:
    backend: "{{ jichitai_ups_backend }}"
    address: "{{ jichitai_ups_address }}"
    port: "{{ jichitai_ups_port }}"
    name: "{{ jichitai_ups_name }}"
    user: "{{ jichitai_ups_user | default(omit) }}"
    password: "{{ jichitai_ups_password | default(omit) }}"
    community: "{{ jichitai_ups_community | default(omit) }}"
    write_community: "{{ jichitai_ups_write_community | default(omit) }}"
    state: configured
    shutdown_delay: 180
    startup_delay: 600

- name: Schedule the shutdown for the planned outage
  ups_control:
    backend: snmp
    address: "{{ jichitai_ups_address }}"
    community: "{{ jichitai_ups_community }}"
    write_community: "{{ jichitai_ups_write_community }}"
    state: scheduled
    shutdown_delay: 300
    startup_delay: 900
    auto_restart: true

- name: Call it off
  ups_control:
    backend: snmp
    address: "{{ jichitai_ups_address }}"
    community: "{{ jichitai_ups_community }}"
    write_community: "{{ jichitai_ups_write_community }}"
    state: cancelled
"""

RETURN = r"""
before:
  description: The UPS's shutdown settings before the run.
  returned: always
  type: dict
  contains:
    shutdown_delay:
      description: Shutdown delay in seconds (SNMP, the countdown in effect; null when none).
      type: int
    startup_delay:
      description: Startup delay in seconds (SNMP, the countdown in effect; null when none).
      type: int
    shutdown_scheduled:
      description: Whether a shutdown countdown was running.
      type: bool
    auto_restart:
      description: Whether the UPS restarts by itself when power returns (null when the protocol cannot say).
      type: bool
  sample: {shutdown_delay: 60, startup_delay: 120, shutdown_scheduled: false, auto_restart: null}
after:
  description: The settings after the run (in check mode, what they would be), shaped as RV(before).
  returned: always
  type: dict
  sample: {shutdown_delay: 90, startup_delay: 120, shutdown_scheduled: false, auto_restart: null}
steps:
  description: What was (or in check mode would be) sent to the UPS, in order.
  returned: always
  type: list
  elements: str
  sample: ["SET VAR ups01 ups.delay.shutdown 90"]
confirmed_by:
  description:
    - How the UPS confirmed the changes (C(tracking) and read-back for NUT, C(read-back) for SNMP).
    - Null when nothing was sent.
  returned: always
  type: str
  sample: tracking
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.ups.backend import (
    UpsError,
    check_params,
    nut_client,
    snmp_client,
    snmp_control_values,
)
from ansible.module_utils.ups.common import (
    CONTROL_STATES,
    control_argument_problems,
    control_from_nut,
    control_from_snmp,
    plan_nut,
    plan_snmp,
    snmp_readback_problems,
    ups_argument_spec,
)
from ansible.module_utils.ups.nut import NutError


def describe_nut(ups, steps):
    return [f"SET VAR {ups} {s[1]} {s[2]}" if s[0] == "set_var" else f"INSTCMD {ups} {s[1]}" for s in steps]


def describe_snmp(writes):
    return [f"SNMP SET {name} = {value}" for name, value in writes.items()]


def run_nut(module, p):
    ups = p["name"]
    with nut_client(p) as client:
        before, after, steps, errors = plan_nut(
            client.list_var(ups), client.list_cmd(ups), p["state"],
            p["shutdown_delay"], p["startup_delay"], p["auto_restart"],
        )
        result = {"before": before, "after": after, "steps": describe_nut(ups, steps), "confirmed_by": None}
        if errors:
            module.fail_json(msg=f"UPS {ups}: " + "; ".join(errors), changed=False, **result)
        if not steps or module.check_mode:
            return result, bool(steps)
        if not (p.get("user") and p.get("password")):
            module.fail_json(msg=f"UPS {ups}: user and password are needed to change a NUT UPS", **result)
        client.login(p["user"], p["password"])
        tracking = client.enable_tracking()
        for done, step in enumerate(steps):
            what = describe_nut(ups, [step])[0]
            try:
                if step[0] == "set_var":
                    tracking_id = client.set_var(ups, step[1], step[2])
                else:
                    tracking_id = client.instcmd(ups, step[1])
                if tracking_id:
                    client.wait_tracking(tracking_id, what, timeout=p["confirm_timeout"])
                elif step[0] == "instcmd":
                    raise NutError(f"{what}: upsd cannot track commands, so the UPS's answer is unknown")
                if step[0] == "set_var" and client.get_var(ups, step[1]) != step[2]:
                    raise NutError(f"{what}: the UPS still reports {client.get_var(ups, step[1])!r}")
            except NutError as exc:
                sent = result["steps"][:done]
                module.fail_json(
                    msg=f"UPS {ups} did not take the change: {exc}",
                    changed=bool(sent), steps_confirmed=sent, **result,
                )
        result["confirmed_by"] = "tracking" if tracking else "read-back"
        result["after"] = control_from_nut(client.list_var(ups))
    return result, True


def run_snmp(module, p):
    client = snmp_client(p)
    label = p.get("name") or p["address"]
    before, after, writes, errors = plan_snmp(
        snmp_control_values(client), p["state"], p["shutdown_delay"], p["startup_delay"], p["auto_restart"]
    )
    result = {"before": before, "after": after, "steps": describe_snmp(writes), "confirmed_by": None}
    if errors:
        module.fail_json(msg=f"UPS {label}: " + "; ".join(errors), changed=False, **result)
    if not writes or module.check_mode:
        return result, bool(writes)
    if not p.get("write_community"):
        module.fail_json(msg=f"UPS {label}: write_community is needed to change an SNMP UPS", **result)
    client.set(writes)
    now = snmp_control_values(client)
    problems = snmp_readback_problems(writes, now)
    if problems:
        module.fail_json(
            msg=f"UPS {label} did not take the change (read back): " + "; ".join(problems),
            changed=True, **result,
        )
    result["confirmed_by"] = "read-back"
    result["after"] = control_from_snmp(now)
    return result, True


def main():
    spec = ups_argument_spec()
    spec.update(
        state={"type": "str", "default": "configured", "choices": list(CONTROL_STATES)},
        shutdown_delay={"type": "int"},
        startup_delay={"type": "int"},
        auto_restart={"type": "bool", "default": True},
        confirm_timeout={"type": "float", "default": 15.0},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    problems = check_params(p) + control_argument_problems(
        p["shutdown_delay"], p["startup_delay"], p["confirm_timeout"]
    )
    if problems:  # refused before the UPS is contacted
        module.fail_json(msg="; ".join(problems))
    try:
        result, changed = run_nut(module, p) if p["backend"] == "nut" else run_snmp(module, p)
    except UpsError as exc:
        module.fail_json(msg=f"UPS {p.get('name') or p['address']}: {exc}")
    module.exit_json(changed=changed, diff={"before": result["before"], "after": result["after"]}, **result)


if __name__ == "__main__":
    main()
