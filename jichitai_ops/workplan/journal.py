"""The journal of apply runs: what each run under a plan did, on disk as it happens.

``<plan dir>/journal/<run>.tasks.jsonl`` - written by the callback: the run's start, each task's start
per host, each loop item and each task result (the records of the report), and the run's end once its
report is written.
``<plan dir>/journal/<run>.changes.jsonl`` - written by the state-changing modules themselves
(module_utils ``workplan.journal``): one line per change, synced before the next one, so the changes
of a task that was in flight when ansible-playbook was killed are known.

A run whose tasks journal has no end is interrupted: ``jichitai-ops report <plan id>`` makes its
report from the journal, and the next run under the plan reports the earlier runs' changes.
"""

from __future__ import annotations

import json
import os

from .record import entry_key, record

INTERRUPTED_NOTE = "実行が強制終了され、このタスクは途中で中断しました"


def process_start(pid: int) -> str | None:
    """Start time of PID in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid, it names
    the controller process so that a module can tell it is gone (module_utils workplan.journal reads it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def journal_dir(plan_folder: str) -> str:
    return os.path.join(plan_folder, "journal")


def tasks_path(plan_folder: str, run: str) -> str:
    return os.path.join(journal_dir(plan_folder), f"{run}.tasks.jsonl")


def changes_path(plan_folder: str, run: str) -> str:
    return os.path.join(journal_dir(plan_folder), f"{run}.changes.jsonl")


def append(path: str, event: dict, durable: bool = False) -> None:
    """One line, written with one system call before the call returns, so it survives a kill -9 of the
    process (the kernel holds it); DURABLE also syncs it to disk, against a power loss."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = (json.dumps(event, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a kill stays a line of its own
            data = b"\n" + data
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def read_lines(path: str) -> list[dict]:
    """Every complete line; a line torn by a kill at the moment of writing is left out."""
    if not os.path.isfile(path):
        return []
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def _change_text(line: dict) -> str:
    what = f"{line.get('action', '')} {line.get('target', '')} {line.get('object', '')}".strip()
    mark = "+" if line.get("ok", True) else "!"
    text = f"{mark} {what}"
    if line.get("after") not in (None, "", {}):
        text += f" → {json.dumps(line['after'], ensure_ascii=False, sort_keys=True)}"
    if line.get("note"):
        text += f"  ({line['note']})"
    return text


def _in_flight_record(start: dict, items: list[dict], changes: list[dict]) -> dict:
    """The record of a task that was running when the run was killed: its finished loop items as they
    were reported, then one entry for the interruption with every change its module journalled."""
    rec = record(
        host=start["host"],
        task=start["task"],
        key=start["key"],
        action=start["action"],
        role=start.get("role"),
        handler=False,
        result={"results": items} if items else {"changed": False},
        status="ok",
        planning=False,
        no_log=bool(start.get("no_log")),
        ignore_errors=False,
        sensitive=False,
        ran_for_real=False,
        minutes=None,
        seq=start["seq"],
        occurrence=start["occurrence"],
        started=start.get("at"),
        ended=None,
        title_ja=start.get("title_ja"),
    )
    if not items:
        rec["entries"] = []
    hidden = bool(start.get("no_log"))
    made = [c for c in changes if c.get("action") != "abandoned"]
    diffs = (
        [{"hidden": True}]
        if hidden and made
        else [{"header": "journal", "prepared": "\n".join(_change_text(c) for c in changes) + "\n"}]
        if changes
        else []
    )
    rec["entries"].append(
        {
            "label": None if not items else "（中断時に処理中）",
            "state": "failed",
            "note": f"{INTERRUPTED_NOTE}（モジュールが記録した変更 {len(made)} 件）",
            "diffs": diffs,
            "interrupted": True,
            "journal_changes": len(made),
        }
    )
    rec["interrupted"] = True
    return rec


def load_run(plan_folder: str, run: str) -> dict:
    """One run as its journal tells it: records of finished tasks, those in flight, module changes."""
    events = read_lines(tasks_path(plan_folder, run))
    changes = read_lines(changes_path(plan_folder, run))
    head = next((e for e in events if e.get("event") == "run"), {})
    finished = any(e.get("event") == "end" for e in events)
    records, starts, items = [], {}, {}
    for event in events:
        kind = event.get("event")
        slot = (event.get("host"), event.get("key"), event.get("occurrence"))
        if kind == "start":
            starts[slot] = event
        elif kind == "item":
            items.setdefault(slot, []).append(event["result"])
        elif kind == "result":
            rec = event["record"]
            records.append(rec)
            starts.pop((rec["host"], rec["key"], rec["occurrence"]), None)
    in_flight = list(starts.values())
    if not finished:
        unclaimed = list(changes)
        for start in in_flight:
            module = str(start.get("action", "")).rsplit(".", 1)[-1]
            mine = [c for c in unclaimed if c.get("module") == module]
            unclaimed = [c for c in unclaimed if c.get("module") != module]
            slot = (start["host"], start["key"], start["occurrence"])
            records.append(_in_flight_record(start, items.get(slot, []), mine))
    return {
        "run": run,
        "plan_id": head.get("plan_id"),
        "run_info": head.get("run") or {},
        "started": head.get("started"),
        "playbook": head.get("playbook"),
        "applied_by": head.get("applied_by"),
        "finished": finished,
        "interrupted": not finished,
        "records": sorted(records, key=lambda r: r["seq"]),
        "changes": changes,
        "last_event": (events[-1].get("at") if events else None),
    }


def runs(plan_folder: str) -> list[dict]:
    """Every journalled run under the plan, oldest first."""
    folder = journal_dir(plan_folder)
    if not os.path.isdir(folder):
        return []
    tokens = sorted({n.split(".", 1)[0] for n in os.listdir(folder) if n.endswith(".jsonl")})
    loaded = [load_run(plan_folder, t) for t in tokens]
    return sorted(loaded, key=lambda r: (r["started"] or "", r["run"]))


def earlier_changes(plan_runs: list[dict], current_run: str) -> dict:
    """{entry key: what another run under the plan (``runs``) changed there} - for the report of a rerun."""
    out = {}
    for run in plan_runs:
        if run["run"] == current_run:
            continue
        for rec in run["records"]:
            for entry in rec["entries"]:
                made = entry["state"] == "changed" or entry.get("journal_changes")
                if not made:
                    continue
                # an interrupted task's changes belong to the task, whatever item it was on
                key = entry_key(rec, {"label": None} if entry.get("interrupted") else entry)
                out.setdefault(key, []).append(
                    {
                        "run": run["run"],
                        "started": run["started"],
                        "interrupted": bool(entry.get("interrupted")),
                        "diffs": entry["diffs"],
                    }
                )
    return out
