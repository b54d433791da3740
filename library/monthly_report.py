#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: monthly_report
short_description: Write the monthly report (月次報告書) of one month from the records
description:
  - The monthly meeting's report (REQUIREMENTS PM-REPORT §3-2(4)①, SLA §4-5 table 3) derived from the
    records alone - the SLA table (availability on the 24 x 365 and the opening-hours bases, detection
    to report within 30 minutes, call to start within 2 hours, detection to recovery within 6 hours),
    each figure with the records behind it and a breach naming its incident; alerts and their handling;
    incidents and faults; security-patch status; backups and restore tests; daily checks; work plans
    with their approvals, reports and ARA runs; the issue register and the registers' changes.
  - Availability comes from Prometheus (O(prometheus_url), the recorded O(metric)); the runs from ARA's
    API (O(ara_api_client)). A source that cannot be read is shown as 記録なし with the reason, never
    as zero.
  - Writes C(monthly_report.md), C(monthly_report.html) (charts inline), C(monthly_report.xlsx) (native
    charts), C(monthly_report.json) (the record) and C(monthly_report.pdf) (headless Chromium) into
    O(report_dir).
  - Runs on the controller; it needs the C(jichitai_ops) package of this repository, jinja2 and openpyxl.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  month:
    description: The month (YYYY-MM); the month before O(now) when empty (the report is made on the 1st).
    type: str
    default: ""
  report_dir:
    description: Directory the report files are written to; created when missing.
    type: path
    required: true
  records_dir:
    description: The records folder (alerts/, incidents/, faults/, issues/ inside).
    type: path
    required: true
  plans_dir:
    description: The work-plan store (plan.json, approval.json and reports of each plan).
    type: path
    required: true
  project_dir:
    description: The project, whose C(work/) holds the daily checks, patch status and backup records.
    type: path
    required: true
  prometheus_url:
    description: Prometheus' base URL; empty to leave availability out (記録なし).
    type: str
    default: ""
  metric:
    description: The recorded series that is 1 while a host is up (min of its probe_success).
    type: str
    default: "jichitai:host_up"
  bucket_seconds:
    description:
      - The length of the buckets the month is counted in (seconds, 10 to 3600, dividing 1800 or a
        multiple of it); only buckets that ended before O(now) count.
    type: int
    default: 1800
  ara_api_client:
    description: How to read ARA - C(http) (its API server), C(offline) (its database, ARA installed
      here) or C(none) (runs left out, 記録なし).
    type: str
    choices: [http, offline, none]
    default: http
  ara_api_server:
    description: ARA's API server for C(http).
    type: str
    default: "http://127.0.0.1:8000"
  ara_ui_url:
    description: Where the report's links to each run point (ARA's web UI); O(ara_api_server) when empty.
    type: str
    default: ""
  now:
    description: The clock (ISO 8601 with offset); the module's own time when empty.
    type: str
    default: ""
  formats:
    description: Which report files to write.
    type: list
    elements: str
    choices: [md, html, xlsx, json, pdf]
    default: [md, html, xlsx, json, pdf]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The report is the check's own output, not a change to the estate - the module never reports changed.
attributes:
  platform:
    platforms: posix
    details: Runs on the controller, where the records are kept.
  check_mode:
    support: full
    details: Only reads the records; the report is written in check mode too (the same report).
  diff_mode:
    support: N/A
    details: The report is new each run; there is nothing to show as a diff.
"""

EXAMPLES = r"""
- name: Write last month's report
  monthly_report:
    report_dir: "{{ playbook_dir }}/../work/monthly_report/2026-11"
    month: "2026-11"
    records_dir: /srv/jichitai/records
    plans_dir: /srv/jichitai/plans
    project_dir: "{{ playbook_dir }}/.."
    prometheus_url: http://127.0.0.1:9090
  register: monthly
"""

RETURN = r"""
month:
  description: The month reported.
  returned: always
  type: str
  sample: "2026-11"
files:
  description: Each written report file by format.
  returned: always
  type: dict
  sample: {html: /srv/jichitai/monthly_report/2026-11/monthly_report.html}
breach:
  description: Whether an SLA item is 未達 (breached).
  returned: always
  type: bool
incomplete:
  description: Whether an SLA item could not be judged for want of data (データなし).
  returned: always
  type: bool
sla:
  description: The SLA table, each C(item), C(goal), C(value), C(verdict) (ok, breach, none, unknown),
    C(incidents) and C(sources) (the records behind it).
  returned: always
  type: list
  elements: dict
counts:
  description: C(alerts), C(incidents), C(faults), C(issues), C(plans) and C(runs) in the report.
  returned: always
  type: dict
sources:
  description: Per source (C(availability), C(runs)) C(ok) or the reason it is 記録なし.
  returned: always
  type: dict
problems:
  description: Record files that could not be read (named in the report, left out of its figures).
  returned: always
  type: list
  elements: str
"""

import datetime
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from jichitai_ops.records import runs as runs_mod
    from jichitai_ops.records import workdays
    from jichitai_ops.reports import monthly_availability as avail
    from jichitai_ops.reports import monthly_report as monthly
    from jichitai_ops.workplan.model import TZ, parse_time
except ImportError:
    ENGINE_ERROR = traceback.format_exc()
    monthly = None
else:
    ENGINE_ERROR = None

FORMATS = ["md", "html", "xlsx", "json", "pdf"]


def main():
    module = AnsibleModule(
        argument_spec={
            "month": {"type": "str", "default": ""},
            "report_dir": {"type": "path", "required": True},
            "records_dir": {"type": "path", "required": True},
            "plans_dir": {"type": "path", "required": True},
            "project_dir": {"type": "path", "required": True},
            "prometheus_url": {"type": "str", "default": ""},
            "metric": {"type": "str", "default": "jichitai:host_up"},
            "bucket_seconds": {"type": "int", "default": 1800},
            "ara_api_client": {"type": "str", "choices": ["http", "offline", "none"], "default": "http"},
            "ara_api_server": {"type": "str", "default": "http://127.0.0.1:8000"},
            "ara_ui_url": {"type": "str", "default": ""},
            "now": {"type": "str", "default": ""},
            "formats": {"type": "list", "elements": "str", "choices": FORMATS, "default": FORMATS},
        },
        supports_check_mode=True,
    )
    if monthly is None:
        module.fail_json(
            msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
            exception=ENGINE_ERROR,
        )
    p = module.params
    try:
        now = parse_time(p["now"]) if p["now"] else datetime.datetime.now(TZ)
    except ValueError as exc:
        module.fail_json(msg=f"now: {exc}")
    month = p["month"] or monthly.previous_month(now.date())
    try:
        start, end = avail.month_bounds(month)
    except ValueError:
        module.fail_json(msg=f"month: not YYYY-MM: {month!r}")
    bucket = p["bucket_seconds"]
    if bucket < 10 or bucket > 3600 or (1800 % bucket and bucket % 1800):
        module.fail_json(
            msg=f"bucket_seconds: {bucket} is not 10 to 3600 dividing 1800 (or a multiple of it)"
        )
    sources = {}
    if p["prometheus_url"]:
        try:
            series = avail.from_prometheus(p["prometheus_url"], month, p["metric"], now=now, bucket=bucket)
            calendar = workdays.load_calendar(p["project_dir"])
            figures = avail.summarise(series, month, calendar, p["metric"], bucket)
            sources["availability"] = "ok"
        except avail.AvailabilityError as exc:
            figures = {"error": f"監視データを取得できません: {exc}"}
            sources["availability"] = str(exc)
    else:
        figures = {"error": "監視データの取得先（prometheus_url）が指定されていません"}
        sources["availability"] = "not configured"
    runs, runs_error = None, ""
    if p["ara_api_client"] == "none":
        runs_error = "実行記録（ARA）を読まない設定です"
        sources["runs"] = "not configured"
    else:
        try:
            runs = runs_mod.month_runs(start, end, p["ara_api_client"], p["ara_api_server"])
            sources["runs"] = "ok"
        except runs_mod.RunsError as exc:
            runs_error = f"実行記録（ARA）を読めません: {exc}"
            sources["runs"] = str(exc)
    try:
        record = monthly.build(
            month,
            p["project_dir"],
            p["records_dir"],
            p["plans_dir"],
            figures,
            runs,
            runs_error,
            p["ara_ui_url"] or p["ara_api_server"],
            now,
        )
        files = monthly.write(record, p["report_dir"], tuple(p["formats"]))
    except Exception as exc:  # noqa: BLE001 (any failure of the report is the module's failure, with its trace)
        module.fail_json(msg=f"月次報告書を作れません: {exc}", exception=traceback.format_exc())
    module.exit_json(
        changed=False,
        month=month,
        files=files,
        breach=record["breach"],
        incomplete=record["incomplete"],
        sla=record["sla"],
        counts={
            "alerts": len(record["alerts"]),
            "incidents": len(record["incidents"]),
            "faults": len(record["faults"]),
            "issues": len(record["issues"]),
            "plans": len(record["plans"]),
            "runs": None if runs is None else len(runs),
        },
        sources=sources,
        problems=record["problems"],
    )


if __name__ == "__main__":
    main()
