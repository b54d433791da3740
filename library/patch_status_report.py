#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: patch_status_report
short_description: Write the security patch status (セキュリティパッチ適用状況) and its record
description:
  - Writes the security patch status of every segment (REQUIREMENTS MNT-PATCH, §2-2(11), §5-3(11); the
    monthly report's item, §3-2(4)① PM-REPORT) into O(report_dir) as C(patch_status.md),
    C(patch_status.html), C(patch_status.xlsx) (sheets 概要, ホスト別, KB 別) and C(patch_status.json).
  - From the patch records of one run, one per host - per segment the hosts reached and not reached,
    fully patched, with updates missing, failed and waiting for a reboot, the compliance rate and the
    age of the oldest missing update; per host its status and what to do; per KB the hosts that have,
    miss or failed it, and the host by KB table.
  - A host's status is the first that holds - not reached, failed (the run or a KB failed), pending
    reboot, missing (a KB missing), else fully patched. The compliance rate is the hosts fully patched
    over the hosts reached; a host not reached is counted apart.
  - Every record is validated first; every problem is named at once, each with its record and host,
    and nothing is written.
  - The JSON file is the record of the run for the monthly report (as_of, inventory, clauses, verdict,
    total, segments, hosts, kbs); give each run its own O(report_dir) to keep one record per run.
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
  records:
    description:
      - The patch records, one per host of the run. Each has C(host), C(segment) (C(lgwan),
        C(internet), C(mynumber)), C(ring) (C(pilot), C(servers), C(clients)), C(result) (C(installed),
        C(failed), C(pending_reboot), C(not_reached), C(up_to_date)), C(kbs) (KB to C(installed),
        C(missing) or C(failed(0x80240022)) with the HRESULT), C(checked_at) (ISO 8601) and
        C(oldest_missing_release) (YYYY-MM-DD of the oldest update still missing, or null).
    type: list
    elements: dict
    required: true
  as_of:
    description: The day ages are counted to (YYYY-MM-DD); the latest C(checked_at) in Japan when not given.
    type: str
  inventory:
    description: Name of the inventory, shown in the report and kept in the record.
    type: str
  kb_titles:
    description: Titles of the KBs (KB to title, as the WSUS catalogue names them), shown beside the numbers.
    type: dict
  late_days:
    description: A missing update this many days old or more is shown as overdue.
    type: int
    default: 30
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [md, html, xlsx, json]
    default: [md, html, xlsx, json]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The report files are the run's own output, not a change to the estate, so they are written in check
    mode too and the task is never changed.
seealso:
  - module: ansible.legacy.patch_approval_plan
  - module: ansible.legacy.daily_check_report
attributes:
  platform:
    platforms: posix
    details: Runs on the controller (delegate to localhost), where the report is kept.
  check_mode:
    support: full
    details: >-
      Reading the patch status changes nothing; its report is written in check mode too, so a check run
      gives the same report. The module never reports changed.
  diff_mode:
    support: N/A
    details: The report is new each run; there is nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Write the security patch status of this month's run
  patch_status_report:
    report_dir: "{{ playbook_dir }}/../work/patch_status/{{ now(fmt='%Y%m') }}"
    inventory: "{{ inventory_dir | basename }}"
    records: "{{ patch_records }}"
    kb_titles: "{{ approval_plan.decisions | items2dict(key_name='kb', value_name='title') }}"
  delegate_to: localhost
  run_once: true
  register: patch_status

- name: Only the record for the monthly report
  patch_status_report:
    report_dir: /var/lib/jichitai/patch_status/2026-12
    records: "{{ lookup('ansible.builtin.file', 'tests/fixtures/patch/records_2026-12.json') | from_json }}"
    as_of: "2026-12-18"
    formats: [json]
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: Each written file by format.
  returned: always
  type: dict
  sample:
    md: /srv/jichitai/patch_status/202612/patch_status.md
    html: /srv/jichitai/patch_status/202612/patch_status.html
    xlsx: /srv/jichitai/patch_status/202612/patch_status.xlsx
    json: /srv/jichitai/patch_status/202612/patch_status.json
summary:
  description: The whole estate's figures, and the verdict.
  returned: always
  type: dict
  contains:
    verdict:
      description:
        - C(critical) (a host failed or was not reached), C(warning) (updates missing or a reboot pending)
          or C(ok).
      type: str
    hosts:
      description: Number of hosts.
      type: int
    reached:
      description: Hosts reached.
      type: int
    not_reached:
      description: Hosts not reached, counted apart from the compliance rate.
      type: int
    compliant:
      description: Hosts with every KB installed and no reboot pending.
      type: int
    compliance_percent:
      description: RV(summary.compliant) over RV(summary.reached), one decimal; null when none was reached.
      type: float
    oldest_missing_days:
      description: Age in days of the oldest missing update on a host reached; null when none is missing.
      type: int
  sample: {verdict: critical, hosts: 12, reached: 11, not_reached: 1, compliant: 6, missing: 3, failed: 1,
           pending_reboot: 1, installed: 6, up_to_date: 3, compliance_percent: 54.5, oldest_missing_days: 64,
           oldest_missing_host: fs-inet01, oldest_missing_release: "2026-10-15"}
segments:
  description: The same figures per segment (C(segment), C(segment_ja)).
  returned: always
  type: list
  elements: dict
problems:
  description: Every problem of the records, each naming its record and host.
  returned: failure
  type: list
  elements: str
"""

import traceback
from datetime import date

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.patch.status import StatusInputError, summarise

try:
    from jichitai_ops.reports import patch_status as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None

FORMATS = ["md", "html", "xlsx", "json"]


def main():
    module = AnsibleModule(
        argument_spec={
            "report_dir": {"type": "path", "required": True},
            "records": {"type": "list", "elements": "dict", "required": True},
            "as_of": {"type": "str"},
            "inventory": {"type": "str"},
            "kb_titles": {"type": "dict"},
            "late_days": {"type": "int", "default": 30},
            "formats": {"type": "list", "elements": "str", "choices": FORMATS, "default": FORMATS},
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(
            msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
            exception=RENDERER_ERROR,
        )
    p = module.params
    problems = []
    if p["as_of"]:
        try:
            date.fromisoformat(p["as_of"])
        except ValueError:
            problems.append(f"as_of: 日付（YYYY-MM-DD）ではありません（{p['as_of']}）")
    if p["late_days"] < 1:
        problems.append(f"late_days: 1 以上にしてください（{p['late_days']}）")
    try:
        record = summarise(
            p["records"], p["as_of"] if not problems else None, p["inventory"], p["kb_titles"], p["late_days"]
        )
    except StatusInputError as exc:
        problems += exc.problems
    if problems:
        module.fail_json(
            msg=f"パッチ適用状況を作れません（問題 {len(problems)} 件）: " + "; ".join(problems[:20]),
            problems=problems,
        )
    try:
        files = renderer.write(record, p["report_dir"], p["formats"])
    except OSError as exc:
        module.fail_json(msg=f"cannot write the report into {p['report_dir']}: {exc}")
    summary = dict(record["total"], verdict=record["verdict"])
    module.exit_json(changed=False, files=files, summary=summary, segments=record["segments"])


if __name__ == "__main__":
    main()
