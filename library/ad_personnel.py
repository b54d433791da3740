#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Personnel transfers in Active Directory over one LDAPS connection (§6-3(7) OPS-MOVE).

DOCUMENTATION = r"""
---
module: ad_personnel
short_description: Apply a whole personnel-transfer list (人事異動) to Active Directory over LDAPS
description:
  - Reads the HR department's transfer list (CSV, UTF-8 with BOM or CP932), the current organisation
    master and optionally a reorganisation's master, reads the directory with three paged searches,
    validates everything and plans every change per person, then applies the change set for one
    phase over the same connection.
  - "I(phase=prepare) creates what must exist before the effective date: new department OUs and
    groups, the transfer-system groups, and new accounts (disabled, with a random initial password)."
  - "I(phase=cutover) does the rest on the effective date: OU moves with department and title,
    group swaps (concurrent posts add), enabling new and returning staff, disabling staff on leave,
    disabling retirees and moving them to the retirees OU (never deleting), renamed departments."
  - Any problem in the inputs (unknown department, duplicate staff number, missing column, bad date,
    a mover or retiree not in AD, a new hire who already exists, conflicting orders, a department
    missing from the master) fails the task with every bad row and its line number, before any change.
  - Initial passwords never appear in the result, the diff or a log. They are written, before any
    account is created, to I(password_file) encrypted with ansible-vault under I(vault_id), and read
    back on a re-run so that an interrupted run converges without losing a password.
  - Every run re-reads the directory and re-plans, so a run cut short (server stopped, connection
    lost) converges when run again, and a run after a complete one changes nothing.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  phase:
    description: Which part of the plan to apply.
    type: str
    choices: [prepare, cutover]
    required: true
  effective_date:
    description: Effective date (発令日) used in notes; defaults to the most frequent date of the list.
  password_file:
    description: Vault-encrypted file that receives the initial passwords of new accounts.
    type: path
  vault_id:
    description:
      - Vault id as C(label@/path/to/password-file) (or a vault client script) used to encrypt
        I(password_file). Required when the list creates accounts.
    type: str
  password_length:
    description: Length of generated initial passwords.
    type: int
    default: 16
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - directory_connection
  - hr_transfer_plan
  - workplan_journal
requirements:
  - ldap3
  - ansible-vault (for I(password_file))
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
  - Accounts are found by C(employeeID) (the staff number); OUs and groups by the department code.
attributes:
  platform:
    platforms: posix
    details: >-
      Runs where the task runs, usually the controller (delegated to localhost); it reaches the
      servers over the network.
  check_mode:
    support: full
    details: Plans every LDAP change from the directory as read and changes nothing.
  diff_mode:
    support: full
    details: Accounts, groups and OUs before and after, per staff number; never a password.
"""

EXAMPLES = r"""
- name: Plan or apply the April transfers in AD
  ad_personnel:
    hr_list: inventories/moriguchi/transfers/2027-04/jinji_idou.csv
    organisation: "{{ {'jichitai_departments': jichitai_departments,
                       'jichitai_org_manager_titles': jichitai_org_manager_titles,
                       'jichitai_org_retiree_ou': jichitai_org_retiree_ou} }}"
    organisation_next: "{{ lookup('ansible.builtin.file', transfer_dir ~ '/organisation.yml') | from_yaml }}"
    phase: prepare
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
    password_file: work/personnel/2027-04/initial_passwords.vault.yml
    vault_id: "hr2027@/root/.vault-pass-hr"
  delegate_to: localhost
  no_log: false
"""

RETURN = r"""
summary:
  description: Orders, people and changes by kind for this phase.
  returned: always
  type: dict
  sample: {"orders": 400, "people": 380, "changes": 1210, "prepare_changes": 130, "cutover_changes": 1080}
people:
  description: Per person of the list, the orders, old and new department, title and status (no secrets).
  returned: always
  type: list
  elements: dict
errors:
  description: Every problem found in the inputs, each with its line number; nothing was changed.
  returned: on failure
  type: list
  elements: str
warnings_list:
  description: Things the plan does but that the city may want to check (vacant approvers, dropped posts).
  returned: always
  type: list
  elements: str
applied:
  description: Counts of changes made per kind (empty in check mode).
  returned: always
  type: dict
timings:
  description: Seconds spent reading, planning and applying, and the number of LDAP writes.
  returned: always
  type: dict
password_file:
  description: Path of the vault-encrypted initial-password file (only when accounts were created).
  returned: when accounts are created
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.hr_transfer import ad as hr_transfer_ad
from ansible.module_utils.hr_transfer import plan as hr_transfer_plan
from ansible.module_utils.hr_transfer.passwords import PasswordVault, VaultFileError, generate_password
from ansible.module_utils.hr_transfer.run import PLAN_ARGS, InputProblems, plan_from_inputs
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone, Journal


def person_record(person):
    return {
        "staff_no": person.staff_no,
        "name": person.name,
        "lines": person.lines,
        "kinds": person.kinds,
        "date": person.date,
        "old_dept": person.old_dept,
        "new_dept": person.new_dept,
        "title": person.title,
        "status": person.status,
        "concurrent": person.concurrent,
    }


def initial_passwords(module, params, ops, people, date):
    """Passwords for the accounts this run creates, written to the vault file before any account
    exists; passwords already in the file (an earlier, interrupted run) are kept."""
    new = [op for op in ops if op.kind == "add_user"]
    if not new:
        return {}
    vault = PasswordVault(params["password_file"], params["vault_id"], module.run_command)
    stored = vault.read()
    changed = False
    for op in new:
        entry = stored.get(op.staff_no)
        if not entry or not entry.get("password"):
            stored[op.staff_no] = {
                "account": op.attrs["sAMAccountName"],
                "name": people[op.staff_no].name if op.staff_no in people else "",
                "password": generate_password(params["password_length"]),
            }
            changed = True
    if changed:
        vault.write(
            stored, f"人事異動 初期パスワード（{date} 発令、§6-3(7)）。本人への交付後は破棄すること。"
        )
    return {staff_no: entry["password"] for staff_no, entry in stored.items()}


def main():
    argument_spec = dict(PLAN_ARGS)
    argument_spec.update(
        phase={"type": "str", "required": True, "choices": ["prepare", "cutover"]},
        password_file={"type": "path", "no_log": False},
        vault_id={"type": "str", "no_log": False},
        password_length={"type": "int", "default": 16, "no_log": False},
        **JOURNAL_ARGUMENT_SPEC,
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_LDAP3:
        module.fail_json(msg="the ldap3 Python library is required on the controller")
    params = module.params
    started = time.monotonic()
    ctx = None
    try:
        ctx = plan_from_inputs(params)
        result = ctx.result
        ops = result.ops_for(params["phase"], pending_prepare=not module.check_mode)
        creates = any(op.kind == "add_user" for op in ops)
        if creates and not module.check_mode and not (params.get("password_file") and params.get("vault_id")):
            module.fail_json(
                msg="新規アカウントの初期パスワードを渡すため password_file と vault_id が必要です。"
                "何も変更していません"
            )
        output = {
            "changed": bool(ops),
            "summary": hr_transfer_plan.summary(result, ops),
            "people": [person_record(p) for _staff_no, p in sorted(result.people.items())],
            "warnings_list": result.warnings,
            "applied": {},
            "encoding": ctx.encoding,
            "effective_date": ctx.effective_date,
        }
        if module._diff:
            output["diff"] = hr_transfer_plan.render_diff(result, params["phase"], ops)
        if ops and not module.check_mode:
            passwords = initial_passwords(module, params, ops, result.people, ctx.effective_date)
            applied_at = time.monotonic()
            ctx.directory.journal = Journal.from_module(module, "ad_personnel")
            output["applied"] = hr_transfer_ad.apply(ctx.directory, ops, passwords)
            ctx.timings["apply"] = time.monotonic() - applied_at
            if passwords:
                output["password_file"] = params["password_file"]
    except InputProblems as exc:
        module.fail_json(msg=str(exc), errors=exc.problems, changed=False)
    except ControllerGone as exc:
        writes = ctx.directory.writes
        module.fail_json(
            msg=f"ansible-playbook が終了したため、AD への {writes} 件目の変更の後で止めました"
            f"（変更は作業計画の記録に残っています） / stopped after {writes} changes: {exc}",
            writes_done=writes,
            changed=writes > 0,
        )
    except (DirectoryError, VaultFileError) as exc:
        if ctx is None:
            module.fail_json(msg=f"AD を読めません。何も変更していません: {exc}", changed=False)
        writes = ctx.directory.writes
        module.fail_json(
            msg=f"AD への適用が {writes} 件目の変更の後で止まりました。"
            f"もう一度実行すると残りが適用されます: {exc}",
            writes_done=writes,
            changed=writes > 0,
        )
    finally:
        if ctx is not None:
            ctx.directory.close()
    timings = {k: round(v, 3) for k, v in ctx.timings.items()}
    timings["total"] = round(time.monotonic() - started, 3)
    timings["ldap_writes"] = ctx.directory.writes
    output["timings"] = timings
    module.exit_json(**output)


if __name__ == "__main__":
    main()
