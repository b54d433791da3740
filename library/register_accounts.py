#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: register_accounts
short_description: Read every user account of Active Directory over LDAPS for the account register
description:
  - Reads every user account under O(ldap_base_dn) (the domain, or the OU holding the staff) over LDAPS
    (the server certificate always verified), the rows of the account register (アカウント管理簿,
    REQUIREMENTS OPS-ACCT §6-3(2)③) - account name, display name, department, staff number, title, OU,
    state (enabled or disabled), groups and the time of the last change (C(whenChanged)).
  - One paged search on the connection the personnel transfer uses; read-only, runs on the controller.
    Read access to the users is enough for the account of O(ldap_bind_dn).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - directory_connection
attributes:
  check_mode:
    support: full
    details: Reads only; a check run reads the same.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
  platform:
    platforms: posix
    details: Runs where the task runs, usually the controller; it reaches the domain controller over LDAPS.
options:
  timeout:
    description: Seconds the connection and each answer may take.
    type: int
    default: 15
requirements:
  - ldap3
seealso:
  - module: ansible.legacy.register_report
  - module: ansible.legacy.ad_personnel
"""

EXAMPLES = r"""
- name: Read the accounts for the account register
  register_accounts:
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
  register: accounts
"""

RETURN = r"""
accounts:
  description: The register's rows and where and when they were read.
  returned: success
  type: dict
  contains:
    source:
      description: What was read (the directory's URL and base).
      type: str
      sample: "Active Directory ldaps://127.0.0.1:636（DC=lab,DC=jichitai,DC=test）"
    read_at:
      description: When it was read (local time, ISO 8601).
      type: str
      sample: "2026-12-06T23:00:01+0900"
    entries:
      description: One entry per user account, sorted by account name.
      type: list
      elements: dict
      sample:
        - {account: t.yamada, dn: "CN=山田 太郎,OU=秘書課,OU=市長公室,DC=lab,DC=jichitai,DC=test",
           name: 山田 太郎, department: "110100", staff_no: "100123", title: 主任, ou: 市長公室/秘書課,
           enabled: true, groups: [g-110100-staff], changed: "2026-12-06 13:59:59Z"}
count:
  description: How many accounts were read.
  returned: success
  type: int
  sample: 412
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import DirectoryError
from ansible.module_utils.directory.specs import DIRECTORY_CONNECTION, ldap_directory
from ansible.module_utils.registers.accounts import read_accounts


def main():
    module = AnsibleModule(
        argument_spec={**DIRECTORY_CONNECTION, "timeout": {"type": "int", "default": 15}},
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] < 1:
        module.fail_json(msg=f"timeout must be 1 second or more, not {p['timeout']}")
    read_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    try:
        with ldap_directory(p, timeout=p["timeout"]) as directory:
            entries = read_accounts(directory, p["ldap_base_dn"])
    except DirectoryError as exc:
        module.fail_json(msg=f"the account register cannot be read: {exc}")
    source = f"Active Directory {p['ldap_url']}（{p['ldap_base_dn']}）"
    module.exit_json(
        changed=False, count=len(entries), accounts={"source": source, "read_at": read_at, "entries": entries}
    )


if __name__ == "__main__":
    main()
