"""Writes a plan's or a report's documents beside its JSON: Markdown, HTML and Excel."""

from __future__ import annotations

import copy
import os

from .presentation import unified_text_done
from .render import render_plan, render_report
from .store import dump_json, plan_dir, report_dir, write_atomic
from .xlsx import plan_workbook, report_workbook
from .xlsx_process import XlsxProcess


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


def write_plan_files(
    folder: str, plan: dict, plan_digest: str, xlsx_process: XlsxProcess | None = None
) -> tuple[list[str], list[str]]:
    """plan.md, plan.html, plan.xlsx. Returns (written, errors); plan.json is already safe.
    XLSX_PROCESS, when given, writes the workbook meanwhile."""
    try:
        return _write_plan_files(folder, in_japanese(plan), plan_digest, xlsx_process)
    finally:
        unified_text_done()


def _write_plan_files(folder, plan, plan_digest, xlsx_process) -> tuple[list[str], list[str]]:
    written, errors = [], []
    book = os.path.join(folder, "plan.xlsx")
    if xlsx_process is not None and not xlsx_process.ask("plan", plan, book, plan_digest):
        xlsx_process = None  # not there to ask: written here
    for fmt in ("md", "html"):
        path = os.path.join(folder, f"plan.{fmt}")
        try:
            write_atomic(path, render_plan(plan, plan_digest, fmt))
            written.append(path)
        except Exception as exc:  # a rendering bug must not lose the plan itself
            errors.append(f"{path}: {exc}")
    _workbook(book, lambda: plan_workbook(plan, plan_digest), xlsx_process, written, errors)
    return written, errors


def write_report_files(
    folder: str, report: dict, xlsx_process: XlsxProcess | None = None
) -> tuple[list[str], list[str]]:
    try:
        return _write_report_files(folder, report, xlsx_process)
    finally:
        unified_text_done()


def _write_report_files(folder, report, xlsx_process) -> tuple[list[str], list[str]]:
    written, errors = [], []
    write_atomic(os.path.join(folder, "report.json"), dump_json(report))
    written.append(os.path.join(folder, "report.json"))
    report = in_japanese(report)
    book = os.path.join(folder, "report.xlsx")
    if xlsx_process is not None and not xlsx_process.ask("report", report, book):
        xlsx_process = None
    for fmt in ("md", "html"):
        path = os.path.join(folder, f"report.{fmt}")
        try:
            write_atomic(path, render_report(report, fmt))
            written.append(path)
        except Exception as exc:
            errors.append(f"{path}: {exc}")
    _workbook(book, lambda: report_workbook(report), xlsx_process, written, errors)
    return written, errors


def _workbook(path, build, xlsx_process, written, errors) -> None:
    """The workbook at PATH: the asked process's answer, else (none asked, or it failed) BUILD here."""
    if xlsx_process is not None and xlsx_process.answer() is None:
        written.append(path)
        return
    try:
        build().save(path)
        written.append(path)
    except Exception as exc:
        errors.append(f"{path}: {exc}")


def save_report(
    store: str,
    plan_id: str,
    report: dict,
    stamp: str,
    latest: bool = True,
    xlsx_process: XlsxProcess | None = None,
) -> tuple[str, list[str]]:
    """The report's files in reports/<stamp>/ and, when LATEST, also as the plan's report.*.
    Returns (the plan's folder, errors)."""
    folder = report_dir(store, plan_id, stamp)
    written, errors = write_report_files(folder, report, xlsx_process)
    plan_folder = plan_dir(store, plan_id)
    if latest:
        for path in written:
            with open(path, "rb") as fh:
                write_atomic(os.path.join(plan_folder, os.path.basename(path)), fh.read())
    return plan_folder, errors
