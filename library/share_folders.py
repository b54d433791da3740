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
  organisation:
    description: The current organisation master as variables (C(jichitai_departments), ...).
    type: dict
    required: true
  organisation_next:
    description: The organisation master from the effective date; omit when it does not change.
    type: dict
  phase:
    description: C(prepare) creates the folders of new departments only; C(cutover) does everything.
    type: str
    choices: [prepare, cutover]
    required: true
  smb_server:
    description: File server name or address.
    type: str
    required: true
  smb_share:
    description: Share that holds the department folders.
    type: str
    required: true
  smb_username:
    description: Account with the right to change ACLs (C(DOMAIN\\user) or C(user@domain)).
    type: str
    required: true
  smb_password:
    description: Its password.
    type: str
    required: true
  smb_encrypt:
    description: Require SMB3 encryption on the session.
    type: bool
    default: true
  ldap_url:
    description: C(ldaps://) URL of a domain controller, to look up group SIDs.
  admin_sids:
    description:
      - SIDs that keep full control on every department folder, in their string form (C(S-1-5-32-544)).
      - >-
        Every argument is checked before the directory or the share is contacted; a malformed SID, an
        empty list or a share name with C(\\ / : * ? " < > |) is refused. In the organisation masters,
        each C(share_folder) must be a path relative to the share (no leading C(/), no C(.) or C(..),
        no C(\\ : * ? " < > |) or control characters, at most 200 characters) and each group name
        at most 64 characters without DN or account syntax (C(, = + ; " \\ < > # / [ ] : | * ?)).
    type: list
    elements: str
    default: [S-1-5-32-544, S-1-5-18]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - directory_connection
  - workplan_journal
requirements:
  - smbprotocol
  - ldap3
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
attributes:
  platform:
    platforms: posix
    details: >-
      Runs where the task runs, usually the controller (delegated to localhost); it reaches the
      servers over the network.
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
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError, LdapDirectory
from ansible.module_utils.directory.smb import HAS_SMBPROTOCOL
from ansible.module_utils.hr_transfer import steps
from ansible.module_utils.hr_transfer.run import InputProblems, load_organisations
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC


def main():
    module = AnsibleModule(
        argument_spec={
            "organisation": {"type": "dict", "required": True},
            "organisation_next": {"type": "dict"},
            "phase": {"type": "str", "required": True, "choices": ["prepare", "cutover"]},
            **steps.SHARE_ARGS,
            "ldap_url": {"type": "str", "required": True},
            "ldap_bind_dn": {"type": "str", "required": True},
            "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
            "ldap_ca_file": {"type": "path", "required": True},
            "ldap_base_dn": {"type": "str", "required": True},
            "departments_ou": {"type": "str", "default": "OU=Departments"},
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
        with LdapDirectory(
            params["ldap_url"],
            params["ldap_bind_dn"],
            params["ldap_bind_password"],
            params["ldap_ca_file"],
            base,
        ) as directory:
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
