#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_check_report
short_description: Write バックアップ点検結果 and the record the daily check reads
description:
  - Writes the record of C(backup_check) (REQUIREMENTS OPS-BACKUP, §6-3(6)①) into O(report_dir) as
    C(backup_check.md), C(backup_check.html) (Japanese) and C(backup_check.json), and the record again
    to O(latest), replaced whole - the file the daily check (C(daily_check_backup_record)) reads.
  - Runs on the controller; it needs the C(jichitai_ops) package of this repository and jinja2.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  record:
    description: The record C(backup_check) returned.
    type: dict
    required: true
  report_dir:
    description: Directory the report files are written to; created when missing.
    type: path
    required: true
  latest:
    description: The record again at this path, for the daily check; not written when not given.
    type: path
  inventory:
    description: Name of the inventory checked, shown in the report and kept in the record.
    type: str
  formats:
    description: Which report files to write.
    type: list
    elements: str
    choices: [md, html, json]
    default: [md, html, json]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The report is the check's own output, not a change to the estate - the module never reports changed.
attributes:
  platform:
    platforms: posix
    details: Runs on the controller, where the reports are kept.
  check_mode:
    support: full
    details: The report is written in check mode too (a check run gives the same report).
  diff_mode:
    support: N/A
    details: The report is new each run.
"""

EXAMPLES = r"""
- name: Write the report and the daily check's record
  backup_check_report:
    record: "{{ backup_checked.record }}"
    report_dir: "{{ playbook_dir }}/../work/backup_check/{{ now(fmt='%Y%m%dT%H%M%S') }}"
    latest: "{{ playbook_dir }}/../work/backup_check/latest.json"
"""

RETURN = r"""
files:
  description: Each written report file by format, and C(latest).
  returned: always
  type: dict
  sample:
    md: /srv/jichitai/backup_check/20261207T064500/backup_check.md
    html: /srv/jichitai/backup_check/20261207T064500/backup_check.html
    json: /srv/jichitai/backup_check/20261207T064500/backup_check.json
    latest: /srv/jichitai/backup_check/latest.json
summary:
  description: C(verdict), C(verdict_ja) and C(counts) of the record.
  returned: always
  type: dict
  sample: {verdict: critical, verdict_ja: 異常, counts: {total: 2, ok: 1, warning: 0, critical: 1}}
"""

import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from jichitai_ops.reports import backup_check as renderer
    from jichitai_ops.reports.files import write_formats
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None

FORMATS = ["md", "html", "json"]


def main():
    module = AnsibleModule(
        argument_spec={
            "record": {"type": "dict", "required": True},
            "report_dir": {"type": "path", "required": True},
            "latest": {"type": "path"},
            "inventory": {"type": "str"},
            "formats": {"type": "list", "elements": "str", "choices": FORMATS, "default": FORMATS},
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
                         exception=RENDERER_ERROR)
    p = module.params
    record = dict(p["record"])
    if p["inventory"]:
        record["inventory"] = p["inventory"]
    try:
        files = renderer.write(record, p["report_dir"], p["formats"])
        if p["latest"]:
            latest = os.path.abspath(p["latest"])
            names = {"json": os.path.basename(latest)}
            write_formats(record, os.path.dirname(latest), names, None, None, ["json"])
            files["latest"] = p["latest"]
    except renderer.BackupRecordError as exc:
        module.fail_json(msg=f"バックアップ点検の記録を読めません: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"cannot write the report: {exc}")
    summary = {k: record.get(k) for k in ("verdict", "verdict_ja", "counts")}
    module.exit_json(changed=False, files=files, summary=summary)


if __name__ == "__main__":
    main()
