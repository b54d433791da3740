#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: transfer_accounts
short_description: Users, groups, approvers and routes of an inter-segment file-transfer system, from data
description:
  - Makes the accounts of one transfer system between segments (REQUIREMENTS §1 table 2, rows 36 and 37) hold
    the given users (with their department and approver), groups and routes (which group may send
    from which segment to which, with or without a superior's approval), as one change set.
  - Under the α model only two paths exist. The sanitising transfer joins the Internet and LGWAN
    segments, and the file transfer joins LGWAN and My Number. A route outside the system's own two
    segments (Internet⇔My Number above all), and an account on a segment the system does not join,
    are refused with the row named, before the system is contacted.
  - Every row is checked first; one error names every bad row and nothing is changed. A user or route
    naming a group the system will not hold, an approver who is not a user, and (with O(directory))
    a group whose AD group does not exist are refused the same way.
  - Two backends. V(rest) uses the product's account API, changes one item per request and reads the
    result back. V(csv) serves a product without an account API. It reads the accounts the product
    exported, writes the whole new account set as a batch (users.csv, groups.csv, routes.csv, then
    SHA256SUMS) into the product's import folder, waits for the product's answer and reads the export
    again.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  segments:
    description:
      - The two segments the system joins (C(jichitai_transfer_routes[system].segments)), C([internet, lgwan])
        or C([lgwan, mynumber]). Any other pair is refused.
    type: list
    elements: str
    required: true
  backend:
    description: How the accounts reach the product.
    type: str
    choices: [rest, csv]
    default: rest
  users:
    description:
      - The users. C(id) is the user id and C(name) the display name. C(department) and
        C(department_name) are the code and name of the organisation master. C(group) is a group of
        the system, C(approver) the user id of the superior who approves their transfers (empty for
        none) and C(side) the segment the account lives on.
      - C(source) is optional and only names the row in error messages.
    type: list
    elements: dict
    default: []
  groups:
    description:
      - The groups, each C(name), C(description) and optionally C(ad_group) - the AD group it follows,
        default the same name, checked with O(directory).
    type: list
    elements: dict
    default: []
  routes:
    description:
      - The routes, each C(group), C(from) and C(to) (segment ids) and C(approval) (V(required), the
        default, or V(none)).
    type: list
    elements: dict
    default: []
  state:
    description:
      - V(present) adds and corrects the given items and leaves the others alone.
      - V(exact) also removes every user, group and route not given. Removing every user this way is
        refused unless O(allow_empty=true).
      - V(absent) removes the given items (by key - user id, group name, route group/from/to).
    type: str
    choices: [present, exact, absent]
    default: present
  default_side:
    description: The segment of users that give no C(side) (C(jichitai_transfer_routes[system].account_side)).
    type: str
  keep_users:
    description:
      - User ids that O(state=exact) leaves alone (service accounts such as the path probe's); they are
        neither removed nor changed unless given in O(users).
    type: list
    elements: str
    default: []
  keep_groups:
    description: Groups that O(state=exact) leaves alone, with their routes (the path probe's group).
    type: list
    elements: str
    default: []
  allow_empty:
    description: With O(state=exact), allow a change that leaves the system without any user.
    type: bool
    default: false
  import_dir:
    description: V(csv) backend - the product's import folder (a batch folder is written into it).
    type: path
  export_dir:
    description: V(csv) backend - the folder the product exports its current accounts to.
    type: path
  wait_import:
    description:
      - V(csv) backend - seconds to wait for the product to answer a batch; more than 0, at most 3600.
        Without an answer the module fails and names the batch, which stays in the import folder.
    type: float
    default: 60.0
  directory:
    description:
      - LDAPS connection (the C(jichitai_ldap_*) inventory variables) used to check that every group's
        AD group exists. Without it the AD check is skipped.
    type: dict
    suboptions:
      ldap_url:
        description: C(ldaps://host:port) of a domain controller.
        type: str
        required: true
      ldap_bind_dn:
        description: Account used to bind.
        type: str
        required: true
      ldap_bind_password:
        description: Its password.
        type: str
        required: true
      ldap_ca_file:
        description: CA certificate the LDAPS server certificate is verified against.
        type: path
        required: true
      ldap_base_dn:
        description: Base DN of the domain.
        type: str
        required: true
  ad_groups_planned:
    description:
      - AD groups an earlier task of the same work plan creates. In check mode they may be missing from
        AD; when the change is applied they must exist.
    type: list
    elements: str
    default: []
  hosts:
    description:
      - Inventory names of the system's appliances, returned as RV(changed_hosts) when the accounts
        change, so a work plan marks every appliance the change reaches.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - transfer_api
  - workplan_journal
notes:
  - Supports check mode and diff mode. The diff has one entry per user, group or route added, changed
    or removed.
  - The V(rest) backend's account paths (C(/admin/accounts), C(/admin/users/{id}), C(/admin/groups/{name}),
    C(/admin/routes/{group}/{from}/{to})) are those of the lab's stand-in. A product that names them
    otherwise needs its own adapter with the same methods (docs/transfer.md).
  - With O(journal) each change is journalled as it is made, and the controller process is checked
    before each one.
seealso:
  - module: ansible.legacy.transfer_info
  - module: ansible.legacy.transfer_probe
attributes:
  platform:
    platforms: posix
    details: Runs on the controller; it reaches the product over the network or through its import folder.
  check_mode:
    support: full
    details: Reads the current accounts, runs every check and reports the changes; writes nothing.
  diff_mode:
    support: full
    details: One entry per user, group or route added, changed or removed.
"""

EXAMPLES = r"""
- name: Staff of the departments that may use the sanitising transfer, with their approvers
  transfer_accounts:
    system: internet_lgwan
    segments: "{{ jichitai_transfer_routes.internet_lgwan.segments }}"
    api_url: "{{ jichitai_transfer_api_url }}"
    api_key: "{{ jichitai_transfer_api_key }}"
    ca_path: "{{ jichitai_transfer_api_ca_file }}"
    groups:
      - {name: g-xfer-internet-lgwan, description: 無害化転送 利用者}
    routes:
      - {group: g-xfer-internet-lgwan, from: internet, to: lgwan, approval: none}
      - {group: g-xfer-internet-lgwan, from: lgwan, to: internet, approval: required}
    users:
      - {id: m0012345, name: 守口 太郎, department: "120200", department_name: 人事課,
         group: g-xfer-internet-lgwan, approver: m0010001, side: lgwan}
      - {id: m0010001, name: 守口 花子, department: "120200", department_name: 人事課,
         group: g-xfer-internet-lgwan, approver: "", side: lgwan}
    state: exact
  no_log: true

- name: The same for a product that imports CSV from a folder
  transfer_accounts:
    system: lgwan_mynumber
    segments: [lgwan, mynumber]
    backend: csv
    import_dir: /mnt/mnxfer/import
    export_dir: /mnt/mnxfer/export
    groups: [{name: g-xfer-lgwan-mynumber, description: 個人番号系転送 利用者}]
    routes: [{group: g-xfer-lgwan-mynumber, from: lgwan, to: mynumber}]
    users: "{{ my_number_staff }}"
    state: exact
"""

RETURN = r"""
changes:
  description: The changes planned or made, in order.
  returned: always
  type: list
  elements: dict
  sample: [{"op": "create", "kind": "users", "key": "m0012345"}]
counts:
  description: Number of items the system holds after the change, per kind.
  returned: always
  type: dict
  sample: {"users": 120, "groups": 1, "routes": 2}
changed_hosts:
  description: O(hosts) when the accounts changed, else empty.
  returned: always
  type: list
  elements: str
batch:
  description: V(csv) backend - the batch handed over (id, folder, sha256 of each file) and the answer.
  returned: when a batch was written
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.directory.specs import DIRECTORY_CONNECTION
from ansible.module_utils.transfer import accounts_step
from ansible.module_utils.transfer.accounts_step import NOTHING_CHANGED, SystemFailed
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, Journal


def argument_spec():
    return {
        **accounts_step.system_options(),
        "directory": {"type": "dict", "no_log": False, "options": DIRECTORY_CONNECTION},
        "ad_groups_planned": {"type": "list", "elements": "str", "default": []},
        **JOURNAL_ARGUMENT_SPEC,
    }


def missing_ad_groups(params, wanted, check_mode):
    """Problems for groups whose AD group does not exist (planned ones pass in check mode only)."""
    conn = params["directory"]
    if not conn:
        return []
    if not HAS_LDAP3:
        return ["directory: the ldap3 Python library is required on the controller"]
    if not [g for g in wanted["groups"] if isinstance(g, dict)]:
        return []
    planned = params["ad_groups_planned"] if check_mode else []
    return accounts_step.missing_ad_groups(wanted, accounts_step.directory_groups(conn), planned)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    wanted = accounts_step.wanted_of(params)
    problems = accounts_step.input_problems(params, wanted)
    if problems:  # refused before the system or the directory is contacted
        module.fail_json(
            msg=f"転送システム {params['system']} の入力に誤りがあります。{NOTHING_CHANGED}:\n"
            + "\n".join(problems),
            errors=problems,
        )
    try:
        problems = missing_ad_groups(params, wanted, module.check_mode)
    except DirectoryError as exc:
        module.fail_json(msg=f"AD のグループを読めません / cannot read the AD groups: {exc}")
    try:
        result = accounts_step.run(
            params,
            wanted,
            problems,
            module.check_mode,
            module._diff,
            lambda: Journal.from_module(module, "transfer_accounts"),
        )
    except SystemFailed as exc:
        module.fail_json(msg=exc.msg, **exc.fields)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
