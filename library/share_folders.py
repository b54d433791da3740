#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Department folders and their group ACLs on the file share, over one SMB session (§6-3(7) OPS-MOVE).

DOCUMENTATION = r"""
---
module: share_folders
short_description: Department folders and their group ACLs on an SMB share, as the organisation master says
description:
  - Each department of the organisation master has a folder on the share whose protected DACL gives
    administrators full control and each department group the right of C(folder_rights)
    (read, modify, full). Access follows group membership, so staff moves need no ACL change.
  - With a reorganisation's master (I(organisation_next)), created departments get their folder
    (I(phase=prepare)); renamed departments' folders are renamed, and abolished departments' folders
    are archived read-only for their own groups and their successor's (I(phase=cutover)).
  - Folders are found and changed over one SMB session; group SIDs come from one LDAPS search.
    Only the DACL is written; owner, group and file contents are left alone. Nothing is deleted.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  phase:
    description: C(prepare) creates the folders of new departments only; C(cutover) does everything.
    type: str
    choices: [prepare, cutover]
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - organisation_masters
  - department_share
  - directory_connection
  - departments_ou
  - workplan_journal
requirements:
  - smbprotocol
  - ldap3
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
attributes:
  check_mode:
    support: full
    details: Reads the share and the directory and reports the folder and ACL changes; changes nothing.
  diff_mode:
    support: full
    details: Each folder's access control entries before and after.
"""

EXAMPLES = r"""
- name: Department folders follow the April reorganisation
  share_folders:
    organisation: "{{ personnel_transfer_org_current }}"
    organisation_next: "{{ personnel_transfer_org_next }}"
    phase: cutover
    smb_server: "{{ jichitai_smb_server }}"
    smb_share: "{{ jichitai_smb_share }}"
    smb_username: Administrator
    smb_password: "{{ jichitai_ldap_bind_password }}"
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
  delegate_to: localhost
"""

RETURN = r"""
folders:
  description: Per folder the change planned or made, with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "水道局/水道課", "op": "create", "phase": "prepare", "reason": "190300 水道課 新設"}]
missing_groups:
  description: Groups the ACLs name that do not exist yet (expected in a plan made before I(phase=prepare)).
  returned: always
  type: list
  elements: str
smb_operations:
  description: Number of SMB opens the run needed.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.directory.smb import HAS_SMBPROTOCOL
from ansible.module_utils.directory.specs import DEPARTMENTS_OU, DIRECTORY_CONNECTION, ldap_directory
from ansible.module_utils.hr_transfer import specs, steps
from ansible.module_utils.hr_transfer.run import InputProblems, load_organisations
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC


def main():
    module = AnsibleModule(
        argument_spec={
            **specs.ORGANISATION_MASTERS,
            "phase": {"type": "str", "required": True, "choices": ["prepare", "cutover"]},
            **specs.DEPARTMENT_SHARE,
            **DIRECTORY_CONNECTION,
            **DEPARTMENTS_OU,
            **JOURNAL_ARGUMENT_SPEC,
        },
        supports_check_mode=True,
    )
    if not HAS_LDAP3 or not HAS_SMBPROTOCOL:
        module.fail_json(msg="the ldap3 and smbprotocol Python libraries are required on the controller")
    params = module.params
    bad = steps.share_argument_problems(params)
    if bad:  # refused before the directory or the share is contacted
        module.fail_json(
            msg="引数に誤りがあります。何も変更していません / bad arguments, nothing changed: "
            + "; ".join(bad),
            errors=bad,
        )
    base = params["ldap_base_dn"]
    try:
        current, nxt, org_diff = load_organisations(params)
    except InputProblems as exc:
        module.fail_json(msg=str(exc), errors=exc.problems)
    try:
        with ldap_directory(params) as directory:
            sids = steps.group_sids(directory, base)
    except DirectoryError as exc:
        module.fail_json(msg=f"グループの SID を AD から読めません: {exc}")
    try:
        result, entries = steps.share_step(module, current, nxt, org_diff, sids, params["phase"])
    except steps.StepFailed as exc:
        module.fail_json(msg=exc.msg, **exc.fields)
    result["changed"] = bool(result["folders"])
    if module._diff:
        result["diff"] = entries
    module.exit_json(**result)


if __name__ == "__main__":
    main()
