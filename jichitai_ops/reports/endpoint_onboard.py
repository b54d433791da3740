"""端末導入記録 (onboarding of devices other departments bought, REQUIREMENTS OPS-ONBOARD §6-3(9)) from
its record: Markdown, HTML (the work plan's page layout) and the record itself as JSON.

The record: recorded_at (ISO 8601), inventory, clauses, batch, devices - each computer_name, asset_no,
address, site, department, result (done, failed, already), steps ([{title, done}]), reboots, and
without_av ({gap, reboots, steps}): what the device went through with no antivirus.
"""

from __future__ import annotations

import datetime as dt

from jichitai_ops.reports.files import write_formats
from jichitai_ops.reports.templating import environment
from jichitai_ops.workplan.model import TZ
from jichitai_ops.workplan.wareki import wareki_datetime

TITLE = "端末導入記録（他課調達端末の導入支援）"
FILES = {fmt: f"endpoint_onboard.{fmt}" for fmt in ("md", "html", "json")}
RESULT_JA = {"done": "導入完了", "failed": "未完了（要対応）", "already": "導入済み（変更なし）"}
RESULTS = tuple(RESULT_JA)


class OnboardRecordError(ValueError):
    pass


def check(record: dict) -> None:
    problems = []
    for index, device in enumerate(record.get("devices") or [], start=1):
        for key in ("computer_name", "address", "result", "steps"):
            if key not in device:
                problems.append(f"devices[{index}]: no {key}")
        if device.get("result") not in RESULTS:
            name, result = device.get("computer_name"), device.get("result")
            problems.append(f"devices[{index}] {name}: result {result!r}")
    if problems:
        raise OnboardRecordError("; ".join(problems))


def _env():
    return environment(result_ja=lambda r: RESULT_JA.get(r, r))


def _context(record: dict) -> dict:
    when = dt.datetime.fromisoformat(record["recorded_at"]).astimezone(TZ).replace(tzinfo=None)
    counts = {r: sum(1 for d in record["devices"] if d["result"] == r) for r in RESULTS}
    return {"r": record, "title": TITLE, "when": wareki_datetime(when), "counts": counts,
            "RESULT_JA": RESULT_JA}  # fmt: skip


def render(record: dict, fmt: str) -> str:
    return _env().get_template(f"endpoint_onboard.{fmt}.j2").render(**_context(record))


def write(record: dict, report_dir: str, formats=("md", "html", "json")) -> dict:
    check(record)
    return write_formats(record, report_dir, FILES, render, None, formats)
