#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Health gate probe: an LDAPS simple bind and a base read of the directory."""

DOCUMENTATION = r"""
---
module: health_gate_ldaps
short_description: Prove a directory server answers by binding over LDAPS and reading its base entry
description:
  - Opens an LDAPS connection with strict certificate verification, performs a simple bind as the
    given account and reads the base entry. Fails when any of the three does not succeed.
  - Read-only; runs the same in check mode. Used by the C(health_gate) role after a planned power
    outage (REQUIREMENTS OPS-OUTAGE, §6-3(8)) and by the outage pre-checks.
version_added: "1.0.0"
options:
  url:
    description: LDAPS URL of the server, e.g. C(ldaps://ad01.example.lg.jp:636).
    type: str
    required: true
  bind_dn:
    description: DN (or user principal name) to bind as.
    type: str
    required: true
  bind_password:
    description: Password of I(bind_dn).
    type: str
    required: true
  base_dn:
    description: Entry read after the bind (the domain's base DN).
    type: str
    required: true
  ca_file:
    description: CA certificate file that signed the server certificate (always verified).
    type: path
    required: true
  timeout:
    description: Seconds for the connection and for each operation.
    type: int
    default: 5
author:
  - jichitai-ops maintainers (@jichitai-ops)
requirements:
  - ldap3 (through the directory probe module utility)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
attributes:
  check_mode:
    support: full
    details: The module only reads, so a check run reports the same as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: LDAPS bind on the first controller
  health_gate_ldaps:
    url: "{{ jichitai_ldap_url }}"
    bind_dn: "{{ jichitai_ldap_bind_dn }}"
    bind_password: "{{ jichitai_ldap_bind_password }}"
    base_dn: "{{ jichitai_ldap_base_dn }}"
    ca_file: "{{ jichitai_ldap_ca_file }}"
  no_log: true
"""

RETURN = r"""
server:
  description: The URL that answered.
  returned: success
  type: str
  sample: ldaps://127.0.0.1:636
base_dn:
  description: DN of the base entry that was read.
  returned: success
  type: str
  sample: DC=lab,DC=jichitai,DC=test
seconds:
  description: Time taken by connect, bind and read.
  returned: always
  type: float
  sample: 0.12
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.probe import ldap_probe


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "required": True},
            "bind_dn": {"type": "str", "required": True},
            "bind_password": {"type": "str", "required": True, "no_log": True},
            "base_dn": {"type": "str", "required": True},
            "ca_file": {"type": "path", "required": True},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    probe = ldap_probe(p["url"], p["bind_dn"], p["bind_password"], p["ca_file"], p["base_dn"], p["timeout"])
    seconds = round(probe["response_ms"] / 1000, 3)
    if probe["state"] != "OK":
        module.fail_json(msg=probe["detail"], seconds=seconds)
    module.exit_json(changed=False, server=p["url"], base_dn=probe["base_dn"], seconds=seconds)


if __name__ == "__main__":
    main()
