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
  output_dir:
    description: Folder that receives the files (created when missing).
    type: path
    required: true
  ledger:
    description: PC asset ledger (CSV, UTF-8 with BOM or CP932); an updated copy is written to I(output_dir).
    type: path
  ledger_moving_kinds:
    description: Values of the ledger column C(種別) whose PCs move with their user.
    type: list
    elements: str
    default: [ノートPC, 2in1PC]
  sites:
    description: The site list (C(jichitai_sites)); names the location of a new department's PCs.
    type: list
    elements: dict
    default: []
  approver_titles:
    description: Titles that can fill an approval step, per step title of C(approval_route).
    type: dict
  encoding:
    description: Encoding of the import files.
    type: str
    default: cp932
    choices: [cp932, utf-8-sig]
  automated_routes:
    description:
      - Transfer routes whose accounts a later task applies with C(transfer_accounts). Their files are
        still written, as the record, and the checklist says they need no manual import.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - directory_connection
  - hr_transfer_plan
requirements:
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

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.hr_transfer import exports as hr_transfer_exports
from ansible.module_utils.hr_transfer import limits as hr_transfer_limits
from ansible.module_utils.hr_transfer.run import PLAN_ARGS, InputProblems, plan_from_inputs

SYSTEMS = {
    "skysea_organisation.csv": ("SKYSEA", "組織インポート（管理コンソール > 組織 > インポート）"),
    "skysea_users.csv": ("SKYSEA", "ユーザーインポート（所属・役職・状態）"),
    "skysea_managers.csv": ("SKYSEA", "管理者（残業上限・超過勤務）設定のインポート"),
    "workflow_routes.csv": ("SKYSEA ワークフロー", "承認経路のインポート"),
    "pc_assets.csv": ("資産台帳", "PC 資産台帳の差し替え（移動した PC の所属・設置場所）"),
    "plan_by_person.csv": ("人事課確認", "異動者別の計画一覧を人事課と照合（取込なし）"),
}


def main():
    argument_spec = dict(PLAN_ARGS)
    argument_spec.update(
        output_dir={"type": "path", "required": True},
        ledger={"type": "path"},
        ledger_moving_kinds={"type": "list", "elements": "str", "default": ["ノートPC", "2in1PC"]},
        sites={"type": "list", "elements": "dict", "default": []},
        approver_titles={"type": "dict"},
        encoding={"type": "str", "default": "cp932", "choices": ["cp932", "utf-8-sig"]},
        automated_routes={"type": "list", "elements": "str", "default": []},
    )
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
    exports = hr_transfer_exports.Exports(
        ctx.current,
        ctx.nxt,
        ctx.org_diff,
        ctx.result.final,
        ctx.result.people,
        params["account_prefix"],
        params.get("approver_titles"),
    )
    ledger = None
    if params.get("ledger"):
        with open(params["ledger"], "rb") as handle:
            ledger = hr_transfer_limits.read_table(handle.read(), os.path.basename(params["ledger"]))
    try:
        built = hr_transfer_exports.build_files(
            exports,
            ctx.result,
            params["route_groups"],
            params["encoding"],
            ledger=ledger,
            moving_kinds=set(params["ledger_moving_kinds"]),
            site_names={s.get("id"): s.get("name", "") for s in params["sites"]},
        )
    except UnicodeEncodeError as exc:  # the input checks name every such character first
        module.fail_json(
            msg=f"{params['encoding']} で書けない文字があります。何も書いていません: {exc}", changed=False
        )
    contents, route_systems, pc_changes, by_person = (
        built.contents,
        built.route_systems,
        built.pc_changes,
        built.by_person,
    )
    sums = "".join(
        f"{hr_transfer_exports.sha256(data)}  {name}\n" for name, (data, _n) in sorted(contents.items())
    )
    contents["SHA256SUMS"] = (sums.encode("ascii"), len(contents))

    automated = {
        hr_transfer_exports.ROUTE_FILES[r][0]
        for r in params["automated_routes"]
        if r in hr_transfer_exports.ROUTE_FILES
    }
    out = params["output_dir"]
    files, checklist, diff = [], [], []
    changed = False
    for name, (data, count) in sorted(contents.items()):
        path = os.path.join(out, name)
        old = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                old = hr_transfer_exports.sha256(handle.read())
        digest = hr_transfer_exports.sha256(data)
        system, action = SYSTEMS.get(name) or route_systems.get(name) or ("", "")
        if name in automated:
            action = "取込不要（transfer_accounts が同じ作業で反映。ファイルは記録用）"
        files.append({"name": name, "path": path, "rows": count, "sha256": digest, "system": system})
        if system:
            checklist.append(f"□ {system}: {action} — {name}（{count} 行、sha256 {digest}）")
        if old != digest:
            changed = True
            diff.append(
                {
                    "before_header": f"ファイル {name}",
                    "before": {"sha256": old or "なし"},
                    "after": {"sha256": digest, "行数": count, "取込先": system},
                }
            )
    if changed:
        diff.append({"before_header": "手作業の取込（チェックリスト）", "before": [], "after": checklist})
        for key, (view_before, view_after) in by_person.items():
            if view_before != view_after:
                diff.append({"before_header": f"異動者 {key}", "before": view_before, "after": view_after})
        shown = {pc.split(" ", 1)[0] for _b, a in by_person.values() for pc in a.get("PC", [])}
        rest = [(old_row, new_row) for asset, old_row, new_row in pc_changes if asset not in shown]
        if rest:  # PCs of renamed and abolished departments (the movers' PCs are under each person)
            diff.append(
                {
                    "before_header": f"PC 資産台帳（所属名の変更・廃止による {len(rest)} 台）",
                    "before": [hr_transfer_exports.describe_pc(old) for old, _new in rest],
                    "after": [hr_transfer_exports.describe_pc(new) for _old, new in rest],
                }
            )
    if changed and not module.check_mode:
        os.makedirs(out, exist_ok=True)
        for name, (data, _count) in contents.items():
            tmp = os.path.join(out, f".{name}.tmp")
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, os.path.join(out, name))
    result = {
        "changed": changed,
        "files": files,
        "checklist": checklist,
        "output_dir": out,
        "warnings_list": sorted(set(exports.warnings)),
        "transfer_users": built.transfer_users,
    }
    if params.get("ledger"):
        result["pcs_moved"] = len(pc_changes)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
