"""The Excel rendering of a plan or report in a process of its own, started when a run is known to write
one (its workplan guard has run). Importing openpyxl takes about 0.2 s, as long as the documents of a
small plan take to write; here it happens while the run's tasks do, and the workbook is written while
the callback writes the Markdown and HTML.

The document goes to the process as one line of JSON in the order the callback built it (the record
on disk has its keys sorted, and the workbook lists some mappings in their order). When the process
cannot start, dies or answers with an error, the caller writes the workbook itself: no document is lost.

    python -m jichitai_ops.workplan.xlsx_process <caller pid>   # reads one request, a JSON line, on stdin
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys

# a workbook of the largest plan (the personnel transfer's 2,500 changes) takes about half a second
ANSWER_TIMEOUT = 300


class XlsxProcess:
    """The caller's side: start(); at the end ask() once and take its answer(); stop() whatever happened.
    failure says why a process that was started did not write the workbook (None when it did, or was
    never started), for the caller to tell the engineers: the caller writes it instead, only time is lost."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self.failure: str | None = None

    def start(self) -> None:
        if self._proc is not None:
            return
        # the package from where this run imported it, whether installed or not
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", __name__, str(os.getpid())],
                env={**os.environ, "PYTHONPATH": path},
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
        except OSError as exc:
            self._proc, self.failure = None, f"could not start: {exc}"

    def ask(self, kind: str, doc: dict, out: str, plan_digest: str = "") -> bool:
        """Sends the document (the plan or report as the city reads it); False when there is no process
        to take it (the caller renders)."""
        if self._proc is None:
            return False
        if self._proc.poll() is not None:
            self.failure = f"ended before it was asked: {self._last_error()}"
            return False
        request = {"kind": kind, "doc": doc, "out": out, "digest": plan_digest}
        try:
            self._proc.stdin.write(json.dumps(request, default=str) + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            self.failure = f"could not be asked: {exc}"
            self.stop()
            return False
        return True

    def answer(self) -> str | None:
        """None when the workbook was written, else why not (the last line of the process's error)."""
        proc, self._proc = self._proc, None
        try:
            out, err = proc.communicate(timeout=ANSWER_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.failure = f"no answer in {ANSWER_TIMEOUT} s"
            return self.failure
        if proc.returncode == 0 and out.strip() == "ok":
            return None
        self.failure = _why(proc.returncode, err)
        return self.failure

    def _last_error(self) -> str:
        proc, self._proc = self._proc, None
        return _why(proc.returncode, proc.communicate()[1])

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.communicate()
        self._proc = None


def _why(returncode: int, err: str) -> str:
    """Why a process ended without writing: the last line of its error output, else its exit status."""
    lines = err.strip().splitlines()
    return lines[-1] if lines else f"exit status {returncode}"


def _warm() -> None:
    """What rendering a workbook imports, imported before the request comes."""
    import openpyxl  # noqa: F401
    import openpyxl.chart  # noqa: F401
    import openpyxl.styles  # noqa: F401
    import openpyxl.utils  # noqa: F401

    from . import xlsx  # noqa: F401


def _render(request: dict) -> None:
    from .xlsx import plan_workbook, report_workbook

    doc = request["doc"]
    book = plan_workbook(doc, request["digest"]) if request["kind"] == "plan" else report_workbook(doc)
    book.save(request["out"])


def _request(parent: int) -> dict | None:
    """The request line, or None when the run ended without one. Ansible's workers hold this pipe too and
    outlive a killed run, so the end of input cannot tell: the process also leaves when PARENT is gone."""
    fd, chunks = sys.stdin.fileno(), []
    while True:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            if os.getppid() != parent:
                return None
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None
        chunks.append(chunk)
        if chunk.endswith(b"\n"):  # JSON holds no raw newline: this is the end of the line
            return json.loads(b"".join(chunks))


def main() -> int:
    # the caller's pid as it gave it: read here, the caller could already be gone
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    _warm()
    request = _request(parent)
    if request is None:
        return 0
    _render(request)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
