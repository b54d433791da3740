#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Import files for SKYSEA, the approval workflow and the transfer systems, and the updated PC ledger
# after a personnel transfer (§6-3(7) OPS-MOVE), each with a sha256 checksum.

DOCUMENTATION = r"""
---
module: import_files
short_description: Write the import files of a personnel transfer for the systems without an API
description:
  - From the HR transfer list, the organisation masters and the directory (read once over LDAPS),
    computes the state after the transfers and writes, into I(output_dir), the files the city's
    systems import by hand, CP932 CSV with CRLF as those systems expect -
    C(skysea_organisation.csv) (SKYSEA organisation tree), C(skysea_users.csv) (every user with
    organisation and title), C(skysea_managers.csv) (managers for the overtime-limit settings),
    C(workflow_routes.csv) (approvers per department and step), C(transfer_internet_lgwan.csv) and
    C(transfer_lgwan_mynumber.csv) (transfer-system users with their approver and AD group),
    and, with I(ledger), C(pc_assets.csv) - a copy of the asset ledger in which the PCs that move
    with their users carry the new department and location (the input ledger is never rewritten).
  - C(SHA256SUMS) lists the checksum of every file; the result carries the checklist lines of the
    manual imports for the work plan.
  - The content depends only on the inputs and the planned state, so a plan (check mode) shows the
    checksums that the apply then writes.
  - Before anything is written, every value is checked against every target it reaches - the
    directory's attribute limits and characters, the encoding of each file (I(encoding), and the
    ledger copy's) for the HR list, the ledger rows and the organisation masters; a row saved in
    another encoding than the rest of its file is an error too. Each problem is reported with its
    file, line and column and nothing is written.
  - A cell that starts like a spreadsheet formula (C(=), C(+), C(-), C(@), or a TAB or CR) is
    written as text, with a single quote in front, in every file; C(warnings_list) lists those cells
    per file and row.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  automated_routes:
    description:
      - Transfer routes whose accounts a later task applies with C(transfer_accounts). Their files are
        still written, as the record, and the checklist says they need no manual import.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
  - directory_connection
  - departments_ou
  - organisation_masters
  - hr_transfer_plan
  - hr_import_files
requirements:
  - ldap3
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
attributes:
  check_mode:
    support: full
    details: Computes every file and its checksum; writes nothing.
  diff_mode:
    support: full
    details: The files' content before and after, the checklist and each transferred person.
"""

EXAMPLES = r"""
- name: Import files for SKYSEA, workflow and transfer systems, updated PC ledger
  import_files:
    hr_list: inventories/moriguchi/transfers/2027-04/hr_transfer_list.csv
    organisation: "{{ personnel_transfer_org_current }}"
    organisation_next: "{{ personnel_transfer_org_next }}"
    output_dir: work/personnel/2027-04/import
    ledger: inventories/moriguchi/ledgers/pc_assets.csv
    sites: "{{ jichitai_sites }}"
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: Every file with its purpose, row count and sha256.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "skysea_users.csv", "rows": 1150, "sha256": "9f2c...", "system": "SKYSEA"}]
checklist:
  description: One line per manual import, for the work plan.
  returned: always
  type: list
  elements: str
pcs_moved:
  description: Number of ledger rows changed (PCs that follow their users, renamed departments).
  returned: when I(ledger) is given
  type: int
transfer_users:
  description: >-
    Per transfer route, the staff who may use it after the transfer (C(id), C(name), C(department),
    C(department_name), C(group), C(approver)), the same rows as its import file, for C(transfer_accounts).
  returned: always
  type: dict
warnings_list:
  description: >-
    Vacant approval steps, ledger rows that could not be matched, cells written as text because
    they started like a spreadsheet formula (per file and row).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.hr_transfer import specs, steps
from ansible.module_utils.hr_transfer.run import InputProblems, plan_from_inputs


def main():
    # fragments hr_import_files and this module's automated_routes
    argument_spec = {**specs.plan_spec(), **steps.IMPORT_ARGS}
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_LDAP3:
        module.fail_json(msg="the ldap3 Python library is required on the controller")
    params = module.params
    try:
        ctx = plan_from_inputs(params)
        ctx.directory.close()
    except InputProblems as exc:
        module.fail_json(msg=str(exc), errors=exc.problems, changed=False)
    except DirectoryError as exc:
        module.fail_json(msg=f"AD を読めません。何も書いていません: {exc}")
    try:
        exports, built = steps.build_exports(params, ctx)
    except steps.StepFailed as exc:
        module.fail_json(msg=exc.msg, **exc.fields)
    changed, result, diff = steps.import_step(params, exports, built, module.check_mode, module._diff)
    result["changed"] = changed
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
