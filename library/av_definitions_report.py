#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: av_definitions_report
short_description: Judge the antivirus definitions' age per endpoint and write ウイルス定義ファイル更新状況
description:
  - The antivirus definitions pipeline (national platform → management server → endpoints,
    REQUIREMENTS §6-3(5) OPS-AV) - one row per endpoint with its definitions' version, their time and
    their age against the policy, 正常 or 異常 (older than C(max_age_hours), no known time, or an
    update that failed).
  - Two sources. O(export) is the antivirus management server's export (the proprietary product;
    the format the daily check reads, docs/daily_check.md). O(engines) are ClamAV engines read on the
    hosts themselves - their signature databases, with C(sigtool --info) of each versioned container
    (.cvd, .cld, .cud) and the modification time of each plain signature file (.ndb, .hdb, .ldb, ...).
  - Writes the report in Japanese into O(report_dir) as C(av_definitions.md), C(av_definitions.html)
    and C(av_definitions.json) (the record), and, with O(textfile), the node exporter textfile metric
    C(jichitai_av_definitions_updated_timestamp_seconds{jichitai_host="..."}) per endpoint, on which
    the alert rule JichitaiAvDefinitionsOld fires.
  - Runs on the controller; it needs the C(jichitai_ops) package of this repository (the page layout and
    the Japanese era) and jinja2 in the Python that runs it.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  report_dir:
    description: Directory the report files are written to; created when missing.
    type: path
    required: true
  export:
    description:
      - The management server's export, C({"server" {name, definition_version, definition_date},
        "endpoints" [{endpoint, definition_version, definition_date, last_seen}]}); the endpoints may also
        be CSV text with a header row. Empty when the estate has none.
    type: dict
  engines:
    description:
      - The ClamAV engines read, one per endpoint.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: The endpoint's inventory name (the metric's C(jichitai_host)).
        type: str
        required: true
      databases:
        description:
          - The files of its database directory, each C({path, mtime, info}); C(info) is the output of
            C(sigtool --info) for a versioned container and may be left out for plain signature files.
        type: list
        elements: dict
        required: true
      update:
        description:
          - The definitions update run before the read, C({ran, rc, detail}); C(rc) other than 0 makes the
            endpoint 異常. Left out when no update ran.
        type: dict
  policy:
    description:
      - The antivirus policy (C(jichitai_av_policy)), C({clause, max_age_hours, notes}); validated whole,
        every bad key named.
    type: dict
    default: {}
  checked_at:
    description: When the check ran (ISO 8601 with offset); the module's own time when not given.
    type: str
  inventory:
    description: Name of the inventory checked, shown in the report and kept in the record.
    type: str
  textfile:
    description:
      - Also write the metric for the node exporter's textfile collector to this file (its name must end
        in C(.prom)), replaced whole. Not written in check mode.
    type: path
  formats:
    description: Which report files to write.
    type: list
    elements: str
    choices: [md, html, json]
    default: [md, html, json]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The report and the metric are the check's own output, not a change to the estate - the module never
    reports changed.
attributes:
  platform:
    platforms: posix
    details: Runs on the controller, where the report is kept.
  check_mode:
    support: full
    details: >-
      Only reads its inputs; the report is written in check mode too (a check run gives the same report),
      the textfile metric is not.
  diff_mode:
    support: N/A
    details: The report is new each run; there is nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Judge the definitions and write the report and the metric
  av_definitions_report:
    report_dir: "{{ playbook_dir }}/../work/av_definitions/{{ now(fmt='%Y%m%dT%H%M%S') }}"
    export: "{{ lookup('ansible.builtin.file', '/srv/av/export.json') | from_json }}"
    engines:
      - host: fs01
        databases:
          - {path: /var/lib/clamav/daily.cld, mtime: 1796580000, info: "{{ daily_info.stdout }}"}
          - {path: /var/lib/clamav/local.ndb, mtime: 1796570000}
        update: {ran: true, rc: 0}
    policy: "{{ jichitai_av_policy }}"
    textfile: /var/lib/prometheus/node-exporter/jichitai_av.prom
  delegate_to: localhost
  run_once: true
  register: av_report
"""

RETURN = r"""
files:
  description: Each written report file by format.
  returned: always
  type: dict
  sample:
    md: /srv/jichitai/av_definitions/20261206T080000/av_definitions.md
    html: /srv/jichitai/av_definitions/20261206T080000/av_definitions.html
    json: /srv/jichitai/av_definitions/20261206T080000/av_definitions.json
summary:
  description: The verdict and the counts.
  returned: always
  type: dict
  contains:
    verdict:
      description: C(critical) when a row is 異常, else C(ok).
      type: str
    verdict_ja:
      description: 異常 or 正常.
      type: str
    counts:
      description: C(total), C(ok) and C(critical) rows.
      type: dict
  sample: {verdict: critical, verdict_ja: 異常, counts: {total: 3, ok: 2, critical: 1}}
rows:
  description:
    - One row per endpoint and source, 異常 first - C(host), C(role) (server, endpoint), C(source) (export,
      engine), C(version), C(updated_at), C(updated_ts), C(age_hours), C(state), C(state_ja),
      C(reason_ja), C(action_ja); engine rows also C(basis) and C(databases).
  returned: always
  type: list
  elements: dict
textfile:
  description: The metrics file written, null when O(textfile) was not given or in check mode.
  returned: always
  type: str
problems:
  description: Every problem of the inputs or the policy.
  returned: failure
  type: list
  elements: str
"""

import datetime
import os
import traceback

from ansible.module_utils.antivirus.policy import AvPolicyError, validate
from ansible.module_utils.antivirus.report import render
from ansible.module_utils.antivirus.status import AvStatusError, status, textfile
from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.daily.common import DailyInputError, parse_moment
from ansible.module_utils.sweep.metrics import write_atomically

try:
    import jichitai_ops.workplan as workplan_package
    from jichitai_ops.reports.files import write_formats
    from jichitai_ops.workplan.model import TZ
    from jichitai_ops.workplan.render import md_cell
    from jichitai_ops.workplan.wareki import wareki_datetime
except ImportError:
    ENGINE_ERROR = traceback.format_exc()
    workplan_package = None
else:
    ENGINE_ERROR = None

FORMATS = ["md", "html", "json"]
FILES = {fmt: f"av_definitions.{fmt}" for fmt in FORMATS}


def main():
    module = AnsibleModule(
        argument_spec={
            "report_dir": {"type": "path", "required": True},
            "export": {"type": "dict"},
            "engines": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "host": {"type": "str", "required": True},
                    "databases": {"type": "list", "elements": "dict", "required": True},
                    "update": {"type": "dict"},
                },
            },
            "policy": {"type": "dict", "default": {}},
            "checked_at": {"type": "str"},
            "inventory": {"type": "str"},
            "textfile": {"type": "path"},
            "formats": {"type": "list", "elements": "str", "choices": FORMATS, "default": FORMATS},
        },
        supports_check_mode=True,
    )
    if workplan_package is None:
        module.fail_json(
            msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
            exception=ENGINE_ERROR,
        )
    p = module.params
    problems = []
    if p["textfile"] and not p["textfile"].endswith(".prom"):
        problems.append(f"textfile {p['textfile']}: 名前は .prom で終わること（collector はそれだけを読む）")
    try:
        policy = validate(p["policy"])
    except AvPolicyError as exc:
        problems += [f"jichitai_av_policy.{problem}" for problem in exc.problems]
    try:
        now = parse_moment(p["checked_at"], "checked_at") if p["checked_at"] else datetime.datetime.now(TZ)
    except DailyInputError as exc:
        problems.append(str(exc))
    if not problems:
        try:
            record = status(p["export"], p["engines"], policy, now, p["inventory"])
        except AvStatusError as exc:
            problems += exc.problems
    if problems:
        module.fail_json(
            msg=f"ウイルス定義ファイル更新状況を作れません（問題 {len(problems)} 件）: "
            + "; ".join(problems[:20]),
            problems=problems,
        )

    def when_ja(value):
        return wareki_datetime(datetime.datetime.fromisoformat(value).astimezone(TZ).replace(tzinfo=None))

    layout = os.path.join(os.path.dirname(workplan_package.__file__), "templates")
    try:
        files = write_formats(
            record,
            p["report_dir"],
            FILES,
            lambda r, fmt: render(r, fmt, when_ja, layout, md_cell),
            None,
            p["formats"],
        )
        written = None
        if p["textfile"] and not module.check_mode:
            os.makedirs(os.path.dirname(os.path.abspath(p["textfile"])), exist_ok=True)
            write_atomically(p["textfile"], textfile(record))
            written = p["textfile"]
    except OSError as exc:
        module.fail_json(msg=f"cannot write the report or the metric: {exc}")
    summary = {"verdict": record["verdict"], "verdict_ja": record["verdict_ja"], "counts": record["counts"]}
    module.exit_json(changed=False, files=files, summary=summary, rows=record["rows"], textfile=written)


if __name__ == "__main__":
    main()
