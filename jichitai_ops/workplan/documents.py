"""Writes a plan's or a report's documents beside its JSON: Markdown, HTML and Excel."""

from __future__ import annotations

import copy
import os

from .presentation import unified_text_done
from .render import render_plan, render_report
from .store import dump_json, plan_dir, report_dir, write_atomic
from .xlsx import plan_workbook, report_workbook


def in_japanese(doc: dict) -> dict:
    """The document as the city reads it: each task under its Japanese label (task var workplan_label),
    its English name kept as task_en for the engineers' appendix. The JSON keeps the names as recorded."""
    view = copy.deepcopy(doc)
    lists = [view.get("tasks"), view.get("rows"), view.get("unplanned"), view.get("other_phase")]
    lists.append((view.get("estimate") or {}).get("schedule"))
    for items in lists:
        for item in items or []:
            if item.get("title_ja") and "task_en" not in item:  # rows and unplanned share their items
                item["task_en"] = item["task"]
                item["task"] = item["title_ja"]
    return view


def write_plan_files(folder: str, plan: dict, plan_digest: str) -> tuple[list[str], list[str]]:
    """plan.md, plan.html, plan.xlsx. Returns (written, errors); plan.json is already safe."""
    try:
        return _write_plan_files(folder, in_japanese(plan), plan_digest)
    finally:
        unified_text_done()


def _write_plan_files(folder: str, plan: dict, plan_digest: str) -> tuple[list[str], list[str]]:
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
    try:
        return _write_report_files(folder, report)
    finally:
        unified_text_done()


def _write_report_files(folder: str, report: dict) -> tuple[list[str], list[str]]:
    written, errors = [], []
    write_atomic(os.path.join(folder, "report.json"), dump_json(report))
    written.append(os.path.join(folder, "report.json"))
    report = in_japanese(report)
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


def save_report(
    store: str, plan_id: str, report: dict, stamp: str, latest: bool = True
) -> tuple[str, list[str]]:
    """The report's files in reports/<stamp>/ and, when LATEST, also as the plan's report.*.
    Returns (the plan's folder, errors)."""
    folder = report_dir(store, plan_id, stamp)
    written, errors = write_report_files(folder, report)
    plan_folder = plan_dir(store, plan_id)
    if latest:
        for path in written:
            with open(path, "rb") as fh:
                write_atomic(os.path.join(plan_folder, os.path.basename(path)), fh.read())
    return plan_folder, errors
