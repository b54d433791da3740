#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: daily_check_report
short_description: Write the daily check's report (日次点検報告) and its record
description:
  - Writes the pre-business daily check (業務開始前点検, REQUIREMENTS §6-3(4)①② OPS-DAILY, §6-3(1)
    OPS-MON) into O(report_dir) as C(daily_check.md), C(daily_check.html), C(daily_check.xlsx) and
    C(daily_check.json).
  - One line per item, 異常 first, then 注意, 不明, 正常 and 対象外, each state's lines by category in a
    fixed order (servers, services, site networks, transfer systems, disks, event logs, backup,
    antivirus, UPS, DHCP, certificates, PCs). The title carries the date in the Japanese era, the
    verdict and the counts come first, and every line that is not 正常 says what to do.
  - The verdict is 異常 when an item is critical, else 注意 when one is warning or unknown, else 正常.
  - The JSON file is the record of the run (checked_at, inventory, clauses, items, summary); give each
    run its own O(report_dir) to keep one record per run.
  - The items come from the C(daily_check_*) filters.
  - Runs on the controller; it needs the C(jichitai_ops) package of this repository (Excel through
    openpyxl) in the Python that runs it.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  report_dir:
    description: Directory the files are written to; created when missing.
    type: path
    required: true
  items:
    description:
      - The lines of the report, as the C(daily_check_*) filters make them. Each has C(category),
        C(host), C(label), C(check), C(state) (C(ok), C(warning), C(critical), C(unknown), C(skipped)),
        C(detail) and C(action), optionally C(value) and C(threshold).
    type: list
    elements: dict
    required: true
  inventory:
    description: Name of the inventory checked, shown in the report and kept in the record.
    type: str
  checked_at:
    description: When the check ran (ISO 8601); the module's own time when not given.
    type: str
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [md, html, xlsx, json]
    default: [md, html, xlsx, json]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The report files are the check's own output, not a change to the estate, so they are written in
    check mode too and the task is never changed.
attributes:
  platform:
    platforms: posix
    details: Runs on the controller (delegate to localhost), where the report is kept.
  check_mode:
    support: full
    details: >-
      The daily check only reads the estate; its report is written in check mode too, so a check run
      gives the same report. The module never reports changed.
  diff_mode:
    support: N/A
    details: The report is new each run; there is nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Write the daily check's report
  daily_check_report:
    report_dir: "{{ playbook_dir }}/../work/daily_check/{{ now(fmt='%Y%m%dT%H%M') }}"
    inventory: "{{ inventory_dir | basename }}"
    items: >-
      {{ (sweep | daily_check_sweep_items(hostvars))
         + (ups | daily_check_ups_items(80, 600, hostvars))
         + (dhcp | daily_check_dhcp_items(80, 95, hostvars))
         + (backup_jobs | daily_check_backup_items(26)) }}
  delegate_to: localhost
  run_once: true
  changed_when: false
  register: daily_report

- name: Only the Excel workbook
  daily_check_report:
    report_dir: /var/lib/jichitai/daily_check/latest
    items: "{{ daily_items }}"
    formats: [xlsx]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: Each written file by format.
  returned: always
  type: dict
  sample:
    md: /srv/jichitai/daily_check/20261206T0750/daily_check.md
    html: /srv/jichitai/daily_check/20261206T0750/daily_check.html
    xlsx: /srv/jichitai/daily_check/20261206T0750/daily_check.xlsx
    json: /srv/jichitai/daily_check/20261206T0750/daily_check.json
summary:
  description: Counts per state, the verdict and the critical items.
  returned: always
  type: dict
  contains:
    verdict:
      description: C(critical), C(warning) or C(ok).
      type: str
    verdict_ja:
      description: 異常, 注意 or 正常.
      type: str
    counts:
      description: Number of items per state.
      type: dict
    total:
      description: Number of items.
      type: int
    critical:
      description: The critical items.
      type: list
      elements: dict
  sample:
    verdict: critical
    verdict_ja: 異常
    counts: {critical: 2, warning: 1, unknown: 0, ok: 40, skipped: 1}
    total: 44
    critical: []
checked_at:
  description: When the check ran (ISO 8601).
  returned: always
  type: str
  sample: "2026-12-06T07:50:00+09:00"
"""

import datetime
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.daily.common import DailyInputError
from ansible.module_utils.daily.summary import sort_items, summary

try:
    from jichitai_ops.reports import daily_check as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None

CLAUSES = ["OPS-DAILY", "OPS-MON"]
FORMATS = ["md", "html", "xlsx", "json"]


def main():
    module = AnsibleModule(
        argument_spec={
            "report_dir": {"type": "path", "required": True},
            "items": {"type": "list", "elements": "dict", "required": True},
            "inventory": {"type": "str"},
            "checked_at": {"type": "str"},
            "formats": {"type": "list", "elements": "str", "choices": FORMATS, "default": FORMATS},
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
                         exception=RENDERER_ERROR)
    p = module.params
    checked_at = p["checked_at"] or datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        datetime.datetime.fromisoformat(checked_at)
        items = sort_items(p["items"])
        record = {"checked_at": checked_at, "inventory": p["inventory"], "clauses": CLAUSES,
                  "items": items, "summary": summary(items)}
    except (DailyInputError, ValueError) as exc:
        module.fail_json(msg=f"cannot write the daily check's report: {exc}")
    try:
        files = renderer.write(record, p["report_dir"], p["formats"])
    except OSError as exc:
        module.fail_json(msg=f"cannot write the report into {p['report_dir']}: {exc}")
    module.exit_json(changed=False, files=files, summary=record["summary"], checked_at=checked_at)


if __name__ == "__main__":
    main()
