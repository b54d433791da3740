#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: register_report
short_description: Write the estate's registers and diagrams, with the changes since the last run
description:
  - Builds the registers and configuration documents the contract asks to keep current (台帳・構成資料) from
    what was read from the estate, and writes them in Japanese - サーバ設定情報一覧表 and 機器詳細書
    (REQUIREMENTS OPS-DOCS §6-3(4)③, table 1), IPアドレス台帳 (OPS-IPAM §6-3(4)④), アカウント管理簿 (OPS-ACCT
    §6-3(2)③), ライセンス管理台帳 and 版数の統一状況 (OPS-LIC §6-3(11), §5-3(13), §2-2(8)), and
    機器別 点検・修理履歴 (MNT-FAULT §5-3(9)).
  - Each register carries its source and the time it was read. The diagrams (overview, logical, physical
    with the UPS feeds, server-network relations) are drawn from the inventory as Graphviz DOT and
    rendered to SVG and PNG with C(dot).
  - Every run is compared with the last one (C(latest.json) in O(report_dir)) - rows added, removed and
    every changed column per register, and which diagrams changed - and the changes are written with the
    run and appended to C(history.jsonl), so a register change is itself traceable. Measurements (a
    UPS's charge, a DHCP peer's current state) are shown but never counted as a change.
  - Writes C(<report_dir>/<run>/registers.{xlsx,html,json}), C(changes.json) and C(diagrams/*.{dot,svg,png}).
    Bad input (hosts, licence data, the software export, a fault, incident, daily check or work report file)
    fails naming every problem, before anything is written.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Builds every register and compares it with the last run, and writes nothing.
  diff_mode:
    support: N/A
    details: The changes since the last run are the module's result (RV(changes)), in every mode.
  platform:
    platforms: posix
    details: Runs on the controller; needs Graphviz C(dot) and the jichitai_ops package.
options:
  hosts:
    description: The inventory's hosts as the filter C(register_hosts) gives them.
    type: list
    elements: dict
    required: true
  segments:
    description: The segments (C(jichitai_segments)).
    type: dict
    required: true
  sites:
    description: The sites (C(jichitai_sites)), city hall first.
    type: list
    elements: dict
    default: []
  routes:
    description: The sanctioned paths between segments (C(jichitai_transfer_routes)).
    type: dict
    default: {}
  departments:
    description: The organisation master (C(jichitai_departments)), to show department names.
    type: list
    elements: dict
    default: []
  scopes:
    description: The DHCP scopes of the IP ledger (C(jichitai_dhcp_scopes)), for their reservations.
    type: list
    elements: dict
    default: []
  kea:
    description: The answer of C(dhcp_info) for the DHCP pair, read live; omit when there is none.
    type: dict
  ups:
    description: The results of C(ups_info) looped over the UPSes (each with C(item), the UPS's host name).
    type: list
    elements: dict
    default: []
  accounts:
    description:
      - The answer of C(register_accounts) (its return value C(accounts)); omit when no directory is read.
    type: dict
  licences:
    description: The licence register (C(jichitai_licences)); omit to write no licence register.
    type: list
    elements: dict
  catalogue:
    description: The software catalogue (C(jichitai_software_catalogue)) the licences refer to.
    type: list
    elements: dict
    default: []
  racks:
    description:
      - The server room's racks (C(jichitai_racks)) - each C(name), C(location), C(units) and C(mounts)
        (C(host), C(unit) the lowest unit it takes, C(height)); checked against the inventory. Omit for no
        rack register and no rack diagram.
    type: list
    elements: dict
  records_dir:
    description:
      - The records folder of the fault and incident records (C(faults/FLT-*.yml), C(incidents/INC-*.yml)),
        for 機器別 点検・修理履歴 - every fault naming a device (機器) and every incident naming it
        (対象機器).
      - A folder that does not exist is shown as 記録なし; a record that cannot be read fails naming the file.
      - Give O(records_dir), O(daily_check_dir) or O(plans_dir) to write that register; omit all three for
        none.
    type: path
  daily_check_dir:
    description:
      - The daily check's report folder (C(<time>/daily_check.json) per check), for 機器別 点検・修理履歴 -
        per device and month the checks that judged it, and every 注意 and 異常 line with its date.
      - A folder that does not exist is shown as 記録なし; a record that cannot be read fails naming the file.
    type: path
  plans_dir:
    description:
      - The work-plan store (C(<plan id>/reports/<time>/report.json)), for 機器別 点検・修理履歴 - every run
        of C(playbooks/pc_restore.yml) with each repaired PC it restored.
      - A folder that does not exist is shown as 記録なし; a report that cannot be read fails naming the file.
    type: path
  software_export:
    description:
      - The asset management's software export (SKYSEA; CSV with the columns ホスト名, ソフトウェア名,
        バージョン, in CP932 or UTF-8). Without it the licence register shows the contract only.
    type: path
  inventory:
    description: The inventory's name, shown on every document.
    type: str
    default: ""
  report_dir:
    description: Folder of the runs; it holds C(latest.json) (the last run) and C(history.jsonl).
    type: path
    required: true
  run_name:
    description: The run's folder name; the read time (C(YYYYMMDDTHHMMSS)) when omitted.
    type: str
  read_at:
    description: The time the inventory was read, as shown; now when omitted.
    type: str
  dot:
    description: The Graphviz C(dot) command.
    type: str
    default: dot
  diagram_formats:
    description: What the diagrams are rendered to (the DOT text is always kept).
    type: list
    elements: str
    choices: [svg, png]
    default: [svg, png]
requirements:
  - Graphviz (Debian graphviz)
  - openpyxl, jinja2 and the jichitai_ops package of this repository
seealso:
  - module: ansible.legacy.register_accounts
  - module: ansible.legacy.dhcp_info
  - module: ansible.legacy.ups_info
"""

EXAMPLES = r"""
- name: Write the registers and diagrams
  register_report:
    hosts: "{{ groups['all'] | register_hosts(hostvars) }}"
    segments: "{{ jichitai_segments }}"
    sites: "{{ jichitai_sites }}"
    licences: "{{ jichitai_licences }}"
    catalogue: "{{ jichitai_software_catalogue }}"
    software_export: "{{ inventory_dir }}/registers/skysea_software.csv"
    records_dir: work/records
    daily_check_dir: work/daily_check
    plans_dir: work/plans
    inventory: moriguchi
    report_dir: work/registers/moriguchi
"""

RETURN = r"""
files:
  description:
    - What was written (nothing in check mode) - C(dir), C(xlsx), C(html), C(json), C(changes) and
      C(<diagram>.<format>).
  returned: success
  type: dict
  sample:
    dir: work/registers/moriguchi/20261206T230000
    xlsx: work/registers/moriguchi/20261206T230000/registers.xlsx
changes:
  description: Per register what changed since the last run.
  returned: success
  type: list
  elements: dict
  sample:
    - {id: accounts, title: アカウント管理簿, first: false, count: 1, added: [], removed: [],
       changed: [{key: t.yamada, column: ou, label: OU, before: 市長公室/秘書課, after: 総務部/人事課}]}
total_changes:
  description: How many rows were added, removed or changed over all registers.
  returned: success
  type: int
  sample: 0
first:
  description: Whether there was no earlier run to compare with.
  returned: success
  type: bool
  sample: false
diagram_changes:
  description: The diagrams whose drawing changed since the last run.
  returned: success
  type: list
  elements: str
  sample: [logical]
summary:
  description:
    - Host counts, rows per register, and the licence findings (over-use, lagging and missing devices).
  returned: success
  type: dict
  sample: {hosts: 1353, pcs: 1250, rows: {servers: 103}, over: [{"no": "#33", product: JUST PDF 5, over: 3}],
           lagging: {"#30": [lgnb0001, lgnb0002]}, missing: {}}
"""

import os
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.registers.build import build, compare, write_run
from ansible.module_utils.registers.model import RegisterInputError

try:
    from jichitai_ops.reports import registers as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None


def _ups_answers(results):
    """{ups host: {ups} or {error}} from a loop of ups_info results."""
    answers = {}
    for result in results:
        name = str(result.get("item") or (result.get("ups") or {}).get("name") or "")
        if not name:
            continue
        if result.get("failed") or not result.get("ups"):
            answers[name] = {"error": str(result.get("msg") or "応答なし")}
        else:
            answers[name] = {"ups": result["ups"]}
    return answers


def main():
    module = AnsibleModule(
        argument_spec={
            "hosts": {"type": "list", "elements": "dict", "required": True},
            "segments": {"type": "dict", "required": True},
            "sites": {"type": "list", "elements": "dict", "default": []},
            "routes": {"type": "dict", "default": {}},
            "departments": {"type": "list", "elements": "dict", "default": []},
            "scopes": {"type": "list", "elements": "dict", "default": []},
            "kea": {"type": "dict"},
            "ups": {"type": "list", "elements": "dict", "default": []},
            "accounts": {"type": "dict"},
            "licences": {"type": "list", "elements": "dict"},
            "catalogue": {"type": "list", "elements": "dict", "default": []},
            "racks": {"type": "list", "elements": "dict"},
            "software_export": {"type": "path"},
            "records_dir": {"type": "path"},
            "daily_check_dir": {"type": "path"},
            "plans_dir": {"type": "path"},
            "inventory": {"type": "str", "default": ""},
            "report_dir": {"type": "path", "required": True},
            "run_name": {"type": "str"},
            "read_at": {"type": "str"},
            "dot": {"type": "str", "default": "dot"},
            "diagram_formats": {
                "type": "list",
                "elements": "str",
                "choices": ["svg", "png"],
                "default": ["svg", "png"],
            },
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(
            msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
            exception=RENDERER_ERROR,
        )
    p = module.params
    now = time.localtime()
    read_at = p["read_at"] or time.strftime("%Y-%m-%d %H:%M:%S", now)
    run_name = p["run_name"] or time.strftime("%Y%m%dT%H%M%S", now)
    if "/" in run_name or run_name in ("", ".", ".."):
        module.fail_json(msg=f"run_name must be a folder name, not {run_name!r}")
    export = None
    if p["software_export"]:
        path = p["software_export"]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            module.fail_json(msg=f"the software export {path} cannot be read: {exc}")
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(path)))
        export = {"name": os.path.basename(path), "data": data, "read_at": stamp}
    history_dirs = None
    if p["records_dir"] or p["daily_check_dir"] or p["plans_dir"]:
        history_dirs = {key: p[key] for key in ("records_dir", "daily_check_dir", "plans_dir")}
    try:
        result = build(
            p["hosts"],
            p["segments"],
            p["sites"],
            p["routes"],
            p["departments"],
            p["scopes"],
            kea=p["kea"],
            ups=_ups_answers(p["ups"]),
            accounts=p["accounts"],
            licence_data=p["licences"],
            catalogue=p["catalogue"],
            export=export,
            racks=p["racks"],
            history_dirs=history_dirs,
            inventory=p["inventory"],
            read_at=read_at,
        )
    except RegisterInputError as exc:
        module.fail_json(
            msg="the registers cannot be made: " + "; ".join(exc.problems), problems=exc.problems
        )
    record, current = compare(result, p["report_dir"])
    files = {}
    if not module.check_mode:
        try:
            files = write_run(
                result,
                record,
                current,
                p["report_dir"],
                run_name,
                renderer.html,
                renderer.workbook,
                dot=p["dot"],
                formats=tuple(p["diagram_formats"]),
            )
        except (OSError, RuntimeError) as exc:
            module.fail_json(msg=f"the registers cannot be written: {exc}")
    module.exit_json(
        changed=False,
        files=files,
        changes=record["changes"],
        total_changes=record["total_changes"],
        first=record["first"],
        diagram_changes=record["diagram_changes"],
        summary=result["summary"],
    )


if __name__ == "__main__":
    main()
