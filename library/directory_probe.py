#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: directory_probe
short_description: Check that a domain controller answers an LDAPS bind and a file share lists
description:
  - Proves a directory server or file server works, not only that its port is open, for the
    pre-business checks (REQUIREMENTS §6-3(4)① OPS-DAILY) and monitoring (§6-3(1) OPS-MON). O(ldap)
    binds over LDAPS (the certificate always verified) and reads the domain's base entry; O(smb) opens
    the share and lists its top folder.
  - Each probe reports a Nagios-style state (C(OK) or C(CRITICAL)), what it saw and how long it took.
    A server that does not answer is reported, not a failure of the module; the module fails only on bad
    options.
  - Read-only; runs on the controller.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only; the same probes run in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  ldap:
    description: The LDAPS probe; omit to skip it.
    type: dict
    suboptions:
      url:
        description: C(ldaps://host:port) of the domain controller. Plain LDAP is refused.
        type: str
        required: true
      bind_dn:
        description: Account the probe binds as (a read-only monitoring account is enough).
        type: str
        required: true
      bind_password:
        description: Its password.
        type: str
        required: true
      ca_file:
        description: CA certificate file the server certificate must chain to.
        type: path
        required: true
      base_dn:
        description: Base DN of the domain; the probe reads this entry after the bind.
        type: str
        required: true
  smb:
    description: The file-share probe; omit to skip it.
    type: dict
    suboptions:
      server:
        description: File server (name or address).
        type: str
        required: true
      share:
        description: Share whose top folder is listed.
        type: str
        required: true
      username:
        description: Account the probe logs on as.
        type: str
        required: true
      password:
        description: Its password.
        type: str
        required: true
      port:
        description: SMB port.
        type: int
        default: 445
  timeout:
    description: Seconds each probe may take (whole seconds, as the LDAP and SMB clients take them).
    type: int
    default: 10
notes:
  - The SMB session is encrypted (SMB 3); a server that cannot encrypt is reported C(CRITICAL).
requirements:
  - ldap3 (for O(ldap))
  - smbprotocol (for O(smb))
seealso:
  - module: ansible.legacy.liveness_sweep
"""

EXAMPLES = r"""
- name: Check the domain controller and its file share
  directory_probe:
    ldap:
      url: "{{ jichitai_ldap_url }}"
      bind_dn: "{{ jichitai_ldap_bind_dn }}"
      bind_password: "{{ jichitai_ldap_bind_password }}"
      ca_file: "{{ jichitai_ldap_ca_file }}"
      base_dn: "{{ jichitai_ldap_base_dn }}"
    smb:
      server: "{{ jichitai_smb_server }}"
      share: netlogon
      username: "{{ jichitai_smb_user }}"
      password: "{{ jichitai_smb_password }}"
  delegate_to: localhost
  register: directory_probe
"""

RETURN = r"""
ldap:
  description: The LDAPS probe's result; absent when O(ldap) was not given.
  returned: when O(ldap) is given
  type: dict
  contains:
    state:
      description: C(OK) when the bind and the read succeeded, else C(CRITICAL).
      type: str
    detail:
      description: What the probe saw, or why it failed.
      type: str
    base_dn:
      description: DN of the base entry that was read (when OK).
      type: str
    response_ms:
      description: Milliseconds from connect to the end of the read.
      type: float
  sample:
    state: OK
    detail: ldaps://10.10.1.11:636 bind and read of DC=lgwan,DC=moriguchi,DC=internal
    response_ms: 41.2
smb:
  description: The share probe's result; absent when O(smb) was not given.
  returned: when O(smb) is given
  type: dict
  contains:
    state:
      description: C(OK) when the share was listed, else C(CRITICAL).
      type: str
    detail:
      description: What the probe saw, or why it failed.
      type: str
    path:
      description: UNC path of the share.
      type: str
    entries:
      description: Number of entries at the top of the share (when OK).
      type: int
    names:
      description: The first 20 of those entries.
      type: list
      elements: str
    response_ms:
      description: Milliseconds from connect to the end of the listing.
      type: float
  sample:
    state: OK
    detail: "\\\\fs01\\share: 24 entries"
    entries: 24
    names: [soumu, jinji]
    response_ms: 88.0
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.probe import ldap_probe, smb_probe

LDAP_SPEC = {
    "url": {"type": "str", "required": True},
    "bind_dn": {"type": "str", "required": True},
    "bind_password": {"type": "str", "required": True, "no_log": True},
    "ca_file": {"type": "path", "required": True},
    "base_dn": {"type": "str", "required": True},
}
SMB_SPEC = {
    "server": {"type": "str", "required": True},
    "share": {"type": "str", "required": True},
    "username": {"type": "str", "required": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "port": {"type": "int", "default": 445},
}


def main():
    module = AnsibleModule(
        argument_spec={
            "ldap": {"type": "dict", "options": LDAP_SPEC},
            "smb": {"type": "dict", "options": SMB_SPEC},
            "timeout": {"type": "int", "default": 10},
        },
        required_one_of=[("ldap", "smb")],
        supports_check_mode=True,
    )
    p = module.params
    problems = []
    if p["timeout"] < 1:
        problems.append(f"timeout must be 1 second or more, not {p['timeout']}")
    if p["ldap"] and not p["ldap"]["url"].lower().startswith("ldaps://"):
        problems.append(f"ldap.url must be ldaps:// (passwords travel on it), not {p['ldap']['url']}")
    if p["smb"] and not 0 < p["smb"]["port"] < 65536:
        problems.append(f"smb.port must be 1-65535, not {p['smb']['port']}")
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    result = {}
    if p["ldap"]:
        q = p["ldap"]
        result["ldap"] = ldap_probe(q["url"], q["bind_dn"], q["bind_password"], q["ca_file"], q["base_dn"],
                                    p["timeout"])
    if p["smb"]:
        q = p["smb"]
        result["smb"] = smb_probe(q["server"], q["share"], q["username"], q["password"], q["port"],
                                  p["timeout"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
