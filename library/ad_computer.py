#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ad_computer
short_description: Pre-stage computer objects in Active Directory over LDAPS
description:
  - "Creates the computer object of each new device in its OU before the device joins the domain
    (REQUIREMENTS OPS-ONBOARD §6-3(9)), over one LDAPS connection from the controller, as a domain
    administrator pre-stages one. The object is created as Windows' own pre-staging does - a
    workstation trust account (C(userAccountControl) 4128) named C(NAME$) - so the device's join
    finds and takes it over."
  - An object that already exists in the wanted OU is kept; its description and location are set
    when they differ. An object of the same name in another OU is refused (it belongs to another
    device or was moved on purpose) - the module names it and changes nothing.
  - Every OU is checked before the first write; a missing OU is named and nothing is created.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  computers:
    description:
      - The computer objects, one mapping each - C(name) (the computer name, at most 15 characters),
        C(ou) (the OU's DN relative to O(ldap_base_dn), for example C(CN=Computers) or
        C(OU=PC,OU=120100,OU=Departments)), optional C(description) and C(location).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - directory_connection
  - departments_ou
  - workplan_journal
notes:
  - Supports check mode and diff mode; the diff has one line per object.
  - O(departments_ou) of the connection options is not used by this module.
attributes:
  platform:
    platforms: posix
    details: Runs on the controller and reaches a domain controller over LDAPS.
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - ldap3
seealso:
  - module: microsoft.ad.computer
    description: The same object created through a Windows host (WinRM).
"""

EXAMPLES = r"""
- name: Pre-stage the new devices' computer objects
  ad_computer:
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
    computers:
      - name: LGNB1201
        ou: CN=Computers
        description: R08-NB-1201 健康推進課
        location: 守口市市民保健センター
  no_log: false
"""

RETURN = r"""
created:
  description: DNs of the objects created (in check mode, that would be created).
  type: list
  elements: str
  returned: always
updated:
  description: DNs of the objects whose description or location was set.
  type: list
  elements: str
  returned: always
present:
  description: DNs of the objects that were already as wanted.
  type: list
  elements: str
  returned: always
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError, LdapDirectory, escape_filter
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, Journal

NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$")
# WORKSTATION_TRUST_ACCOUNT | PASSWD_NOTREQD: a pre-staged computer account, as ADUC creates it
PRESTAGED_UAC = "4128"
BAD_INPUT_JA = "コンピュータオブジェクトの指定に誤りがあります。何も変更していません"
REFUSED_JA = "コンピュータオブジェクトを作成できません。何も変更していません"


def _wanted(computers, base_dn):
    problems, wanted = [], []
    for index, item in enumerate(computers, start=1):
        name = str(item.get("name") or "")
        if not NAME_RE.match(name) or name.isdigit():
            problems.append(f"computers[{index}]: {name!r} is not a computer name (15 letters, digits, -)")
            continue
        ou = str(item.get("ou") or "").strip(",")
        if not ou:
            problems.append(f"computers[{index}] {name}: no ou")
            continue
        parent = f"{ou},{base_dn}"
        wanted.append({
            "name": name.upper(),
            "parent": parent,
            "dn": f"CN={name.upper()},{parent}",
            "attrs": {k: str(item[k]) for k in ("description", "location") if item.get(k)},
        })  # fmt: skip
    return wanted, problems


def main():
    argument_spec = {
        "computers": {"type": "list", "elements": "dict", "required": True},
        "ldap_url": {"type": "str", "required": True},
        "ldap_bind_dn": {"type": "str", "required": True},
        "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
        "ldap_ca_file": {"type": "path", "required": True},
        "ldap_base_dn": {"type": "str", "required": True},
        "departments_ou": {"type": "str", "default": "OU=Departments"},
        **JOURNAL_ARGUMENT_SPEC,
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_LDAP3:
        module.fail_json(msg="the ldap3 Python library is required on the controller")
    params = module.params
    wanted, problems = _wanted(params["computers"], params["ldap_base_dn"])
    if problems:
        module.fail_json(msg=f"{BAD_INPUT_JA}: " + "; ".join(problems))
    directory = LdapDirectory(
        params["ldap_url"], params["ldap_bind_dn"], params["ldap_bind_password"],
        params["ldap_ca_file"], params["ldap_base_dn"],
    )  # fmt: skip
    created, updated, present, diff_lines = [], [], [], {"before": "", "after": ""}
    try:
        directory.connect()
        plan = []
        for item in wanted:
            if not directory.exists(item["parent"]):
                problems.append(f"{item['name']}: the OU {item['parent']} does not exist")
                continue
            account = escape_filter(f"{item['name']}$")
            found = list(directory.search(
                params["ldap_base_dn"], f"(&(objectClass=computer)(sAMAccountName={account}))",
                ["description", "location"],
            ))  # fmt: skip
            if not found:
                plan.append(("add", item, {}))
                continue
            dn, attrs = found[0]
            if dn.lower() != item["dn"].lower():
                problems.append(f"{item['name']}: a computer of that name already exists elsewhere ({dn})")
                continue
            current = {k: (attrs.get(k) or [""])[0] for k in ("description", "location")}
            change = {k: v for k, v in item["attrs"].items() if current.get(k) != v}
            plan.append(("modify", item, change) if change else ("keep", item, {}))
        if problems:
            module.fail_json(msg=f"{REFUSED_JA}: " + "; ".join(problems))
        if not module.check_mode:
            directory.journal = Journal.from_module(module, "ad_computer")
        for action, item, change in plan:
            if action == "add":
                diff_lines["after"] += f"{item['dn']}\n"
                created.append(item["dn"])
                if not module.check_mode:
                    directory.add(item["dn"], {
                        "objectClass": ["top", "person", "organizationalPerson", "user", "computer"],
                        "cn": item["name"],
                        "sAMAccountName": f"{item['name']}$",
                        "userAccountControl": PRESTAGED_UAC,
                        **item["attrs"],
                    })  # fmt: skip
            elif action == "modify":
                diff_lines["before"] += f"{item['dn']} {change}\n"
                diff_lines["after"] += f"{item['dn']} {item['attrs']}\n"
                updated.append(item["dn"])
                if not module.check_mode:
                    directory.modify(item["dn"], change)
            else:
                present.append(item["dn"])
    except DirectoryError as exc:
        module.fail_json(
            msg=f"AD への変更が {directory.writes} 件目の後で止まりました（再実行で残りを適用）: {exc}",
            created=created, updated=updated, changed=directory.writes > 0,
        )  # fmt: skip
    finally:
        directory.close()
    result = {"changed": bool(created or updated), "created": created, "updated": updated, "present": present}
    if module._diff:
        result["diff"] = diff_lines
    module.exit_json(**result)


if __name__ == "__main__":
    main()
