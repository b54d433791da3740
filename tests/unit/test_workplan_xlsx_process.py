"""The workbook written by its own process is the workbook the callback would write itself; when the
process is not there or fails, the callback writes it and no document is lost."""

import contextlib
import copy
import os
import signal
import subprocess
import sys
import time

import openpyxl
import pytest
from test_workplan_plugins import load_plugin
from test_workplan_xlsx import sample_plan, sample_report

from jichitai_ops.workplan import documents, model, xlsx_process
from jichitai_ops.workplan.xlsx_process import XlsxProcess


@pytest.fixture
def plan():
    return sample_plan()


@pytest.fixture
def report(plan):
    return sample_report(plan)


def contents(path) -> dict:
    """Every sheet's cells (value and number format), merged ranges, frozen panes and print setup."""
    book = openpyxl.load_workbook(path)
    return {
        ws.title: (
            [[(c.value, c.number_format, bool(c.font.bold)) for c in row] for row in ws.iter_rows()],
            sorted(str(r) for r in ws.merged_cells.ranges),
            ws.freeze_panes,
            ws.page_setup.orientation,
            ws.page_setup.paperSize,
            ws.print_title_rows,
        )
        for ws in book.worksheets
    }


def started() -> XlsxProcess:
    process = XlsxProcess()
    process.start()
    return process


def test_the_process_writes_the_plan_and_report_workbooks_the_callback_would(plan, report, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    for folder, process in ((here, None), (there, started())):
        folder.mkdir()
        written, errors = documents.write_plan_files(str(folder), plan, "d" * 64, process)
        assert errors == [] and str(folder / "plan.xlsx") in written
        process = started() if process else None
        written, errors = documents.write_report_files(str(folder), copy.deepcopy(report), process)
        assert errors == [] and str(folder / "report.xlsx") in written
    # the process itself wrote them: asked directly, it answers that it did (no fallback behind it)
    for kind, doc, digest in (("plan", plan, "d" * 64), ("report", copy.deepcopy(report), "")):
        process = started()
        assert process.ask(kind, documents.in_japanese(doc), str(there / f"{kind}.xlsx"), digest)
        assert process.answer() is None
    for name in ("plan.xlsx", "report.xlsx"):
        assert contents(there / name) == contents(here / name), name
    assert "作業計画ID" in str(contents(there / "plan.xlsx")["概要"][0])


def test_a_process_that_died_leaves_the_workbook_to_the_callback(plan, tmp_path):
    process = started()
    process._proc.kill()
    process._proc.wait()
    written, errors = documents.write_plan_files(str(tmp_path), plan, "d" * 64, process)
    assert errors == []
    assert str(tmp_path / "plan.xlsx") in written
    assert "作業計画ID" in str(contents(tmp_path / "plan.xlsx")["概要"][0])
    assert process.failure == "ended before it was asked: exit status -9"


def test_the_process_says_why_it_failed(plan, tmp_path):
    process = started()
    assert process.ask("plan", plan, str(tmp_path / "missing" / "plan.xlsx"), "d" * 64)
    assert "No such file or directory" in process.answer()
    assert "No such file or directory" in process.failure


def test_a_process_that_could_not_start_says_so(plan, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_process.sys, "executable", str(tmp_path / "no-python"))
    process = started()
    written, errors = documents.write_plan_files(str(tmp_path), plan, "d" * 64, process)
    assert errors == [] and str(tmp_path / "plan.xlsx") in written
    assert process.failure.startswith("could not start: ") and "no-python" in process.failure


class Display:
    def __init__(self):
        self.warnings = []

    def warning(self, msg):
        self.warnings.append(msg)


def test_the_engineers_are_told_when_the_workbook_fell_back_to_the_callback(plan, tmp_path, monkeypatch):
    monkeypatch.delenv(model.RUN_ENV, raising=False)  # the callback publishes its run there: undone after
    callback = load_plugin("plugins/callback/workplan.py", "workplan_callback_xlsx").CallbackModule()
    callback._display = Display()
    callback._xlsx = started()
    callback._documents_written(documents.write_plan_files(str(tmp_path), plan, "d" * 64, callback._xlsx)[1])
    assert callback._display.warnings == []  # the process wrote it: nothing to say
    callback._xlsx = started()
    callback._xlsx._proc.kill()
    callback._xlsx._proc.wait()
    callback._documents_written(documents.write_plan_files(str(tmp_path), plan, "d" * 64, callback._xlsx)[1])
    assert callback._display.warnings == [
        "workplan: the workbook's own process failed (ended before it was asked: exit status -9); "
        "the workbook was left to the callback"
    ]


def test_a_process_never_asked_is_stopped_and_asks_nothing_more():
    process = started()
    proc = process._proc
    process.stop()
    assert proc.returncode is not None
    assert process.ask("plan", {}, "/tmp/plan.xlsx", "d" * 64) is False
    assert process.failure is None  # stopped by its caller, not failed


def test_a_process_that_does_not_answer_in_time_is_stopped(plan, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_process, "ANSWER_TIMEOUT", 0.001)
    process = started()
    proc = process._proc
    assert process.ask("plan", plan, str(tmp_path / "plan.xlsx"), "d" * 64)
    assert process.answer() == "no answer in 0.001 s"
    assert proc.returncode is not None  # killed, not left behind


WORKER_HOLDS_THE_PIPE = """
import os, sys, time
from jichitai_ops.workplan.xlsx_process import XlsxProcess
process = XlsxProcess()
process.start()
if os.fork() == 0:  # as Ansible's workers do, a child holds the process's input open and outlives the run
    time.sleep(60)
    os._exit(0)
print(process._proc.pid, flush=True)
time.sleep(60)
"""


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_the_process_leaves_when_the_run_is_killed_though_a_worker_holds_its_input():
    run = subprocess.Popen(
        [sys.executable, "-c", WORKER_HOLDS_THE_PIPE],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        pid = int(run.stdout.readline())
        assert running(pid)
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 30
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not running(pid), "the workbook's process went on after its run was killed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
