"""Renders 作業計画書 and 作業報告書 as Markdown and HTML (templates/workplan/) and Excel (.xlsx)."""

from __future__ import annotations

import difflib
import os

from .workplan_model import KINDS, fmt_jp, fmt_minutes
from .workplan_record import HIDDEN
from .workplan_report import VERDICTS

TEMPLATE_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "templates", "workplan"
)
MAX_DIFF_LINES = 400

STATE_JA = {
    "changed": "変更あり",
    "ok": "変更なし",
    "skipped": "対象外",
    "unpredictable": "予測不能",
    "failed": "失敗",
    "unreachable": "到達不能",
    None: "—",
}
SEVERITY_JA = {"block": "不可", "warn": "注意"}


def unified(diff: dict) -> str:
    """One diff entry as unified-diff text (the no_log placeholder for hidden results)."""
    if diff.get("hidden"):
        return HIDDEN
    if "prepared" in diff:
        text = diff["prepared"]
    else:
        header = diff.get("header") or "対象"
        lines = difflib.unified_diff(
            diff.get("before", "").splitlines(True),
            diff.get("after", "").splitlines(True),
            fromfile=f"{header}（変更前）",
            tofile=f"{header}（変更後）",
            n=2,
        )
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    lines = text.splitlines()
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [
            f"…（以下 {len(lines) - MAX_DIFF_LINES} 行省略。全文は JSON に記録）"
        ]
    return "\n".join(lines)


def md_cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def listify(value) -> list:
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _env(autoescape: bool):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        jp=fmt_jp,
        minutes=fmt_minutes,
        unified=unified,
        cell=md_cell,
        listify=listify,
        state_ja=lambda s: STATE_JA.get(s, s),
        severity_ja=lambda s: SEVERITY_JA.get(s, s),
    )
    env.globals.update(KINDS=KINDS, HIDDEN=HIDDEN, VERDICT_JA={k: v[0] for k, v in VERDICTS.items()})
    return env


def ordered_entries(records: list[dict], *states: str) -> list[tuple[dict, dict]]:
    """(record, entry) in the order the tasks ran, hosts by name within a task."""
    first: dict[tuple, int] = {}
    for rec in records:
        task = (rec["key"], rec["occurrence"])
        first[task] = min(first.get(task, rec["seq"]), rec["seq"])
    pairs = [(rec, e, i) for rec in records for i, e in enumerate(rec["entries"]) if e["state"] in states]
    pairs.sort(key=lambda p: (first[(p[0]["key"], p[0]["occurrence"])], p[0]["host"], p[2]))
    return [(rec, e) for rec, e, _ in pairs]


def plan_context(plan: dict, plan_digest: str) -> dict:
    changes = ordered_entries(plan["tasks"], "changed")
    unpredictable = ordered_entries(plan["tasks"], "unpredictable")
    return {"plan": plan, "digest": plan_digest, "changes": changes, "unpredictable": unpredictable}


def render_plan(plan: dict, plan_digest: str, fmt: str) -> str:
    return _env(fmt == "html").get_template(f"plan.{fmt}.j2").render(**plan_context(plan, plan_digest))


def render_report(report: dict, fmt: str) -> str:
    return _env(fmt == "html").get_template(f"report.{fmt}.j2").render(report=report)


def write_plan_files(folder: str, plan: dict, plan_digest: str) -> tuple[list[str], list[str]]:
    """plan.md, plan.html, plan.xlsx. Returns (written, errors); plan.json is already safe."""
    from .workplan_store import write_atomic
    from .workplan_xlsx import plan_workbook

    written, errors = [], []
    for fmt in ("md", "html"):
        path = os.path.join(folder, f"plan.{fmt}")
        try:
            write_atomic(path, render_plan(plan, plan_digest, fmt))
            written.append(path)
        except Exception as exc:  # a rendering bug must not lose the plan itself
            errors.append(f"{path}: {exc}")
    path = os.path.join(folder, "plan.xlsx")
    try:
        plan_workbook(plan, plan_digest).save(path)
        written.append(path)
    except Exception as exc:
        errors.append(f"{path}: {exc}")
    return written, errors


def write_report_files(folder: str, report: dict) -> tuple[list[str], list[str]]:
    from .workplan_store import dump_json, write_atomic
    from .workplan_xlsx import report_workbook

    written, errors = [], []
    write_atomic(os.path.join(folder, "report.json"), dump_json(report))
    written.append(os.path.join(folder, "report.json"))
    for fmt in ("md", "html"):
        path = os.path.join(folder, f"report.{fmt}")
        try:
            write_atomic(path, render_report(report, fmt))
            written.append(path)
        except Exception as exc:
            errors.append(f"{path}: {exc}")
    path = os.path.join(folder, "report.xlsx")
    try:
        report_workbook(report).save(path)
        written.append(path)
    except Exception as exc:
        errors.append(f"{path}: {exc}")
    return written, errors
