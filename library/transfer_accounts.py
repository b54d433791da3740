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

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError, LdapDirectory
from ansible.module_utils.transfer import accounts as model
from ansible.module_utils.transfer import csvimport
from ansible.module_utils.transfer.rest import TransferClient, TransferError
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone, Journal

NOTHING_CHANGED = "何も変更していません / nothing changed"


def argument_spec():
    item = {"type": "list", "elements": "dict", "default": []}
    return {
        "system": {"type": "str", "required": True},
        "segments": {"type": "list", "elements": "str", "required": True},
        "backend": {"type": "str", "choices": ["rest", "csv"], "default": "rest"},
        "api_url": {"type": "str"},
        "api_key": {"type": "str", "no_log": True},
        "timeout": {"type": "float", "default": 15.0},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "users": item,
        "groups": item,
        "routes": item,
        "state": {"type": "str", "choices": ["present", "exact", "absent"], "default": "present"},
        "allow_empty": {"type": "bool", "default": False},
        "default_side": {"type": "str"},
        "keep_users": {"type": "list", "elements": "str", "default": [], "no_log": False},
        "keep_groups": {"type": "list", "elements": "str", "default": []},
        "import_dir": {"type": "path"},
        "export_dir": {"type": "path"},
        "wait_import": {"type": "float", "default": 60.0},
        "directory": {
            "type": "dict",
            "no_log": False,
            "options": {
                "ldap_url": {"type": "str", "required": True},
                "ldap_bind_dn": {"type": "str", "required": True},
                "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
                "ldap_ca_file": {"type": "path", "required": True},
                "ldap_base_dn": {"type": "str", "required": True},
            },
        },
        "ad_groups_planned": {"type": "list", "elements": "str", "default": []},
        "hosts": {"type": "list", "elements": "str", "default": []},
        **JOURNAL_ARGUMENT_SPEC,
    }


def argument_problems(params):
    problems = []
    if params["backend"] == "rest" and not (params["api_url"] and params["api_key"]):
        problems.append("backend rest needs api_url and api_key")
    if params["backend"] == "csv" and not (params["import_dir"] and params["export_dir"]):
        problems.append("backend csv needs import_dir and export_dir")
    if not 0 < params["timeout"] <= 300:
        problems.append(f"timeout {params['timeout']} is not within 0 < timeout <= 300")
    if not 0 < params["wait_import"] <= 3600:
        problems.append(f"wait_import {params['wait_import']} is not within 0 < wait_import <= 3600")
    return problems


def missing_ad_groups(params, wanted, check_mode):
    """Problems for groups whose AD group does not exist (planned ones pass in check mode only)."""
    conn = params["directory"]
    if not conn:
        return []
    if not HAS_LDAP3:
        return ["directory: the ldap3 Python library is required on the controller"]
    names = {str(g.get("ad_group") or g.get("name")) for g in wanted["groups"] if isinstance(g, dict)}
    if not names:
        return []
    directory = LdapDirectory(
        conn["ldap_url"],
        conn["ldap_bind_dn"],
        conn["ldap_bind_password"],
        conn["ldap_ca_file"],
        conn["ldap_base_dn"],
    )
    with directory:
        found = {
            attrs["sAMAccountName"][0]
            for _dn, attrs in directory.search(
                conn["ldap_base_dn"], "(objectClass=group)", ["sAMAccountName"]
            )
        }
    planned = set(params["ad_groups_planned"]) if check_mode else set()
    return [
        f"groups: AD グループ {name} がありません（転送システムのグループは AD グループに対応させます）"
        for name in sorted(names - found - planned)
    ]


def show(kind, item):
    """One item as the lines a diff shows."""
    if item is None:
        return ""
    if kind == "routes":
        approval = "承認要" if item["approval"] == "required" else "承認不要"
        return f"{item['group']}: {item['from']} → {item['to']}（{approval}）\n"
    return "".join(f"{k}: {v}\n" for k, v in item.items())


class Backend:
    """The account store of one product: read, apply a change set, read back."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.batch = None
        if self.params["backend"] == "rest":
            p = self.params
            self.client = TransferClient(
                p["system"], p["api_url"], p["api_key"], p["timeout"], p["validate_certs"], p["ca_path"]
            )

    def read(self):
        if self.params["backend"] == "rest":
            return self.client.accounts()
        return csvimport.read_export(self.params["export_dir"])

    def apply(self, current, change_list, journal):
        if self.params["backend"] == "rest":
            for op, kind, key, before, after in change_list:
                journal.check_controller()
                target = f"{self.params['system']} {self.params['api_url']}"
                try:
                    if op == "delete":
                        self.client.delete(kind, before)
                    else:
                        self.client.put(kind, after)
                except TransferError as exc:
                    journal.write(
                        op,
                        target=target,
                        obj=f"{kind}/{key}",
                        before=before,
                        after=after,
                        ok=False,
                        note=str(exc)[:300],
                    )
                    raise
                journal.write(op, target=target, obj=f"{kind}/{key}", before=before, after=after)
            return
        journal.check_controller()
        final = model.apply_to(current, change_list)
        files = csvimport.batch_files(final)
        stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
        batch_id = f"{stamp}-{self.params['system']}-{os.getpid()}"
        sums = csvimport.hand_over(self.params["import_dir"], batch_id, files)
        self.batch = {
            "id": batch_id,
            "folder": os.path.join(self.params["import_dir"], batch_id),
            "sha256": sums,
        }
        journal.write(
            "import",
            target=self.params["import_dir"],
            obj=batch_id,
            after={"files": sums, "changes": len(change_list)},
        )
        answer = csvimport.wait_result(self.params["import_dir"], batch_id, self.params["wait_import"])
        self.batch["answer"] = answer
        if answer is None:
            raise csvimport.BatchError(
                f"the product did not answer batch {batch_id} within {self.params['wait_import']:g} s; it "
                f"stays in {self.params['import_dir']} (check the product's import service, then run again)"
            )
        if not answer.get("ok"):
            raise csvimport.BatchError(
                f"the product refused batch {batch_id}: {'; '.join(answer.get('errors') or [])}"
            )


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    wanted = {k: params[k] for k in model.KINDS}
    if params["default_side"]:
        wanted["users"] = [
            dict(u, side=u.get("side") or params["default_side"]) if isinstance(u, dict) else u
            for u in wanted["users"]
        ]
    problems = argument_problems(params) + model.check(wanted, params["segments"])
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
        backend = Backend(module)
        current = backend.read()
    except (TransferError, csvimport.BatchError) as exc:
        module.fail_json(msg=f"転送システムの利用者を読めません / cannot read the accounts: {exc}")
    change_list = model.changes(current, wanted, params["state"], params["keep_users"], params["keep_groups"])
    after = model.apply_to(current, change_list)
    problems += model.dangling(wanted, after) if params["state"] != "absent" else []
    if (
        params["state"] == "exact"
        and not after["users"]
        and current.get("users")
        and not params["allow_empty"]
    ):
        problems.append(
            "state exact with no users would remove every user of the system (allow_empty: true if meant)"
        )
    if problems:
        module.fail_json(
            msg=f"転送システム {params['system']} の利用者を変更できません。{NOTHING_CHANGED}:\n"
            + "\n".join(problems),
            errors=problems,
        )
    result = {
        "changed": bool(change_list),
        "changes": [{"op": op, "kind": kind, "key": key} for op, kind, key, _b, _a in change_list],
        "counts": {k: len(after[k]) for k in model.KINDS},
        "changed_hosts": list(params["hosts"]) if change_list else [],
    }
    if module._diff:
        result["diff"] = [
            {
                "before_header": f"{params['system']} {kind} {key}",
                "after_header": f"{params['system']} {kind} {key}",
                "before": show(kind, before),
                "after": show(kind, new),
            }
            for _op, kind, key, before, new in change_list
        ]
    if change_list and not module.check_mode:
        journal = Journal.from_module(module, "transfer_accounts")
        try:
            backend.apply(current, change_list, journal)
            actual = model.apply_to(backend.read(), [])
        except ControllerGone as exc:
            module.fail_json(
                msg=f"ansible-playbook が終了したため、転送システムの変更を途中で止めました / stopped: {exc}",
                changed=True,
            )
        except (TransferError, csvimport.BatchError) as exc:
            module.fail_json(
                msg=f"転送システム {params['system']} の変更に失敗しました: {exc}",
                changed=True,
                batch=backend.batch,
            )
        if actual != after:
            module.fail_json(
                msg=f"転送システム {params['system']} の読み戻しが計画と一致しません"
                "（別の変更が同時に行われた可能性）",
                changed=True,
                expected_counts=result["counts"],
                actual_counts={k: len(actual[k]) for k in model.KINDS},
            )
    if backend.batch:
        result["batch"] = backend.batch
    module.exit_json(**result)


if __name__ == "__main__":
    main()
