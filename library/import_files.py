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
warnings_list:
  description: Vacant approval steps, ledger rows that could not be matched.
  returned: always
  type: list
  elements: str
"""

import csv
import io
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.hr_transfer import exports as hr_transfer_exports
from ansible.module_utils.hr_transfer import transfer_list as hr_transfer_list
from ansible.module_utils.hr_transfer.run import PLAN_ARGS, InputProblems, plan_from_inputs

SYSTEMS = {
    "skysea_organisation.csv": ("SKYSEA", "組織インポート（管理コンソール > 組織 > インポート）"),
    "skysea_users.csv": ("SKYSEA", "ユーザーインポート（所属・役職・状態）"),
    "skysea_managers.csv": ("SKYSEA", "管理者（残業上限・超過勤務）設定のインポート"),
    "workflow_routes.csv": ("SKYSEA ワークフロー", "承認経路のインポート"),
    "pc_assets.csv": ("資産台帳", "PC 資産台帳の差し替え（移動した PC の所属・設置場所）"),
    "plan_by_person.csv": ("人事課確認", "異動者別の計画一覧を人事課と照合（取込なし）"),
}


def read_ledger(path):
    with open(path, "rb") as handle:
        text, encoding = hr_transfer_list.decode(handle.read())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return reader.fieldnames, list(reader), encoding


def describe_pc(row):
    return " ".join(row.get(k, "") for k in ("資産番号", "種別", "所属", "設置場所", "利用者"))


def person_views(ctx, exports, rows, new_rows):
    """{"職員番号 氏名": (before, after)} across SKYSEA, workflow, transfer systems, share folders and PCs."""
    plan = ctx.result
    by_user = {}
    for row in rows:
        key = (hr_transfer_exports.squash(row.get("利用者", "")), row.get("所属", ""))
        by_user.setdefault(key, []).append(row)
    new_by_asset = {row.get("資産番号"): row for row in new_rows}
    views = {}
    for staff_no, person in sorted(plan.people.items()):
        old = ctx.current.departments.get(person.old_dept)
        mine = by_user.get((hr_transfer_exports.squash(person.name), old.skysea_group), []) if old else []
        # a new account's systems start empty, whether or not prepare has created the account yet
        before = (
            {"状態": "新規（各システム未登録）"}
            if person.new_account
            else exports.person_view(staff_no, plan.before, ctx.current, [describe_pc(r) for r in mine])
        )
        orders = zip(person.lines, person.kinds, strict=True)
        after = {"発令": [f"{line}行目 {kind}" for line, kind in orders]}
        after.update(
            exports.person_view(
                staff_no,
                plan.final,
                ctx.nxt,
                [describe_pc(new_by_asset.get(r.get("資産番号"), r)) for r in mine],
            )
        )
        views[f"{staff_no} {person.name}"] = (before, after)
    return views


def person_table(ctx, views):
    header = [
        "職員番号",
        "氏名",
        "発令",
        "旧所属",
        "新所属",
        "新職名",
        "共有フォルダ",
        "SKYSEA",
        "SKYSEA 管理者設定",
        "ワークフロー承認者",
        "転送システム",
        "PC",
    ]
    rows = []
    for staff_no, person in sorted(ctx.result.people.items()):
        _before, after = views[f"{staff_no} {person.name}"]
        rows.append(
            [
                staff_no,
                person.name,
                " / ".join(f"{ln}行目 {kind}" for ln, kind in zip(person.lines, person.kinds, strict=True)),
                person.old_dept,
                person.new_dept,
                person.title,
                "; ".join(after.get("共有フォルダ", [])),
                after.get("SKYSEA", after.get("状態", "")),
                "; ".join(after.get("SKYSEA 管理者設定", [])),
                "; ".join(after.get("ワークフロー承認者", [])),
                "; ".join(after.get("転送システム", [])),
                "; ".join(after.get("PC", [])),
            ]
        )
    return header, rows


def main():
    argument_spec = dict(PLAN_ARGS)
    argument_spec.update(
        output_dir={"type": "path", "required": True},
        ledger={"type": "path"},
        ledger_moving_kinds={"type": "list", "elements": "str", "default": ["ノートPC", "2in1PC"]},
        sites={"type": "list", "elements": "dict", "default": []},
        approver_titles={"type": "dict"},
        encoding={"type": "str", "default": "cp932", "choices": ["cp932", "utf-8-sig"]},
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
    tables = {
        "skysea_organisation.csv": exports.skysea_organisation(),
        "skysea_users.csv": exports.skysea_users(),
        "skysea_managers.csv": exports.skysea_managers(),
        "workflow_routes.csv": exports.workflow_routes(),
    }
    route_systems = {}
    for route, group in sorted(params["route_groups"].items()):
        name, label = hr_transfer_exports.ROUTE_FILES[route]
        tables[name] = exports.transfer_users(route, group)
        route_systems[name] = (label, f"利用者・承認者のインポート（AD グループ {group} と突き合わせ）")
    contents = {}
    for name, (header, rows) in tables.items():
        try:
            contents[name] = (hr_transfer_exports.render_csv(header, rows, params["encoding"]), len(rows))
        except UnicodeEncodeError as exc:
            module.fail_json(msg=f"{name} を {params['encoding']} で書けない文字があります: {exc}")
    pc_changes, rows, new_rows = [], [], []
    if params.get("ledger"):
        header, rows, ledger_encoding = read_ledger(params["ledger"])
        site_names = {s.get("id"): s.get("name", "") for s in params["sites"]}
        new_rows, pc_changes = exports.ledger(header, rows, set(params["ledger_moving_kinds"]), site_names)
        data = hr_transfer_exports.render_csv(
            header,
            [[r.get(h, "") for h in header] for r in new_rows],
            "utf-8-sig" if ledger_encoding == "utf-8-sig" else "cp932",
        )
        contents["pc_assets.csv"] = (data, len(new_rows))
    by_person = person_views(ctx, exports, rows, new_rows)
    header, table = person_table(ctx, by_person)
    contents["plan_by_person.csv"] = (
        hr_transfer_exports.render_csv(header, table, params["encoding"]),
        len(table),
    )
    sums = "".join(
        f"{hr_transfer_exports.sha256(data)}  {name}\n" for name, (data, _n) in sorted(contents.items())
    )
    contents["SHA256SUMS"] = (sums.encode("ascii"), len(contents))

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
                    "before": [describe_pc(old) for old, _new in rest],
                    "after": [describe_pc(new) for _old, new in rest],
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
    }
    if params.get("ledger"):
        result["pcs_moved"] = len(pc_changes)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
