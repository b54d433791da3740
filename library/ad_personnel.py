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
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - directory_connection
  - departments_ou
  - organisation_masters
  - hr_transfer_plan
  - initial_passwords
  - workplan_journal
requirements:
  - ldap3
  - ansible-vault (for I(password_file))
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
  - Accounts are found by C(employeeID) (the staff number); OUs and groups by the department code.
attributes:
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
from ansible.module_utils.hr_transfer import specs, steps
from ansible.module_utils.hr_transfer.passwords import VaultFileError
from ansible.module_utils.hr_transfer.run import InputProblems, plan_from_inputs
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone


def main():
    argument_spec = {
        **specs.plan_spec(),
        "phase": {"type": "str", "required": True, "choices": ["prepare", "cutover"]},
        **specs.INITIAL_PASSWORDS,
        **JOURNAL_ARGUMENT_SPEC,
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_LDAP3:
        module.fail_json(msg="the ldap3 Python library is required on the controller")
    params = module.params
    started = time.monotonic()
    ctx = None
    try:
        ctx = plan_from_inputs(params)
        ops = steps.ad_ops(ctx, params["phase"], module.check_mode)
        steps.needs_vault(params, ops, module.check_mode)
        output = {"changed": bool(ops), "encoding": ctx.encoding, "effective_date": ctx.effective_date}
        output.update(steps.ad_step(module, ctx, params["phase"], ops))
    except InputProblems as exc:
        module.fail_json(msg=str(exc), errors=exc.problems, changed=False)
    except steps.StepFailed as exc:
        module.fail_json(msg=exc.msg, **exc.fields)
    except (ControllerGone, DirectoryError, VaultFileError) as exc:
        failed = steps.ad_failure(ctx, exc)
        module.fail_json(msg=failed.msg, **failed.fields)
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
