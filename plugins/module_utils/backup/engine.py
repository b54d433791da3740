# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The adapter between the backup playbooks and the backup engine, and its restic implementation.

The playbooks speak only to `Engine`: a product that implements these methods, returning the same
dicts, replaces restic without a change to the decisions (retention, daily check, off-site medium,
restore test). Every method returns plain data (JSON-serialisable) so modules can return it.

    snapshots()                     [{id, short_id, time, hostname, paths, tags}] oldest first
    backup(paths, host, tags)       a run record (below) of one backup
    last_run()                      the run record of the job's last backup, None if it never ran
    check_structure()               {ok, rc, errors, kind: "structure"}
    check_data_subset("n/k")        {ok, rc, errors, kind: "data", subset, packs_read, packs_total}
    restore(snapshot, target, ...)  {ok, rc, errors, snapshot, target}
    forget(ids, prune=False)        {ok, rc, errors, forgotten}

A run record is what the daily check judges a job by (`last run` time, result, size, changed files):
{result: success|partial|failed, rc, snapshot_id, started, finished, files_new, files_changed,
files_unmodified, changed_files, bytes_processed, bytes_added, duration_s, errors}. restic keeps no
history of failed runs, so ResticEngine keeps the record of its last backup in a file (RUN_RECORD,
written by backup(), read by last_run(); `record_run`/`read_run`); a product with its own job
history reads it from there instead.

Commands run through RUN(argv, env) -> (rc, stdout, stderr); a module passes a wrapper of
AnsibleModule.run_command, tests and tools the default subprocess runner. The repository password is
only ever a file (RESTIC_PASSWORD_FILE), never an argument or an environment value.

restic 0.14 exit codes: 0 success, 1 fatal error (nothing or not everything done; for check: the
repository has errors), 3 backup made but some source files could not be read (a partial snapshot).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from datetime import UTC, datetime

_READ_GROUP = re.compile(r"read group #(\d+) of (\d+) data packs "
                         r"\(out of total (\d+) packs in (\d+) groups\)")
# stderr lines of restic that are progress or information, not errors
_NOT_ERRORS = re.compile(r"^(using temporary cache|create exclusive lock|load indexes|check all packs|"
                         r"check snapshots|read all data|read group|\[\d+:\d+\]|no errors were found|"
                         r"repository \w+ opened|created restic repository)")


class EngineError(Exception):
    """The engine could not be asked at all (no repository, wrong password, not installed)."""


class Engine:
    """The interface the backup playbooks use; see the module docstring for the shapes."""

    name = "engine"

    def snapshots(self) -> list[dict]:
        raise NotImplementedError

    def backup(self, paths: list[str], host: str | None = None, tags: list[str] | None = None) -> dict:
        raise NotImplementedError

    def last_run(self) -> dict | None:
        raise NotImplementedError

    def check_structure(self) -> dict:
        raise NotImplementedError

    def check_data_subset(self, subset: str) -> dict:
        raise NotImplementedError

    def restore(self, snapshot: str, target: str, include: list[str] | None = None) -> dict:
        raise NotImplementedError

    def forget(self, ids: list[str], prune: bool = False) -> dict:
        raise NotImplementedError


def subprocess_runner(argv: list[str], env: dict) -> tuple[int, str, str]:
    proc = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def error_lines(text: str) -> list[str]:
    """The lines of restic's output that say something went wrong."""
    return [line.strip() for line in text.splitlines()
            if line.strip() and not _NOT_ERRORS.match(line.strip())]


def parse_snapshots(stdout: str) -> list[dict]:
    """`restic snapshots --json` as [{id, short_id, time, hostname, paths, tags, parent}] oldest first."""
    try:
        data = json.loads(stdout or "null")
    except json.JSONDecodeError as exc:
        raise EngineError(f"restic snapshots --json printed no JSON: {exc}") from None
    if not isinstance(data, list):
        raise EngineError("restic snapshots --json did not print a list")
    keys = ("id", "short_id", "time", "hostname", "paths", "tags", "parent")
    rows = [{k: snap.get(k) for k in keys} for snap in data]
    for row in rows:
        row["paths"] = row["paths"] or []
        row["tags"] = row["tags"] or []
    return sorted(rows, key=lambda r: r["time"])


def parse_backup(stdout: str, stderr: str, rc: int) -> dict:
    """A run record from `restic backup --json` (status lines, then one summary line)."""
    summary = {}
    errors = []
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        kind = message.get("message_type")
        if kind == "summary":
            summary = message
        elif kind == "error":
            error = message.get("error")
            text = error.get("message") if isinstance(error, dict) else error
            errors.append(f"{message.get('item') or ''}: {text}".strip(": "))
    errors += error_lines(stderr)
    result = "success" if rc == 0 and summary else "partial" if rc == 3 and summary else "failed"
    changed = summary.get("files_new", 0) + summary.get("files_changed", 0)
    return {
        "result": result, "rc": rc, "snapshot_id": summary.get("snapshot_id"),
        "files_new": summary.get("files_new", 0), "files_changed": summary.get("files_changed", 0),
        "files_unmodified": summary.get("files_unmodified", 0), "changed_files": changed,
        "bytes_processed": summary.get("total_bytes_processed", 0),
        "bytes_added": summary.get("data_added", 0), "duration_s": summary.get("total_duration"),
        "errors": errors,
    }


def parse_check(stdout: str, stderr: str, rc: int) -> dict:
    """`restic check [--read-data-subset n/k]`: {ok, rc, errors, subset, packs_read, packs_total}.
    ok needs exit code 0 and restic's own "no errors were found"."""
    match = _READ_GROUP.search(stdout + stderr)
    result = {"ok": rc == 0 and "no errors were found" in stdout + stderr, "rc": rc,
              "errors": error_lines(stderr), "subset": None, "packs_read": None, "packs_total": None}
    if match:
        group, packs, total, groups = (int(g) for g in match.groups())
        result.update(subset=f"{group}/{groups}", packs_read=packs, packs_total=total)
    if not result["ok"] and not result["errors"]:
        result["errors"] = [f"restic check exited with {rc}"]
    return result


def _fatal(stderr: str) -> str | None:
    for line in stderr.splitlines():
        if line.startswith("Fatal:"):
            return line[len("Fatal:"):].strip()
    return None


# what a run record keeps of the run before it (its "previous"), to compare sizes
PREVIOUS_KEYS = ("result", "finished", "snapshot_id", "bytes_processed", "bytes_added", "changed_files")


def record_run(path, run: dict) -> None:
    """Keep RUN (a run record with started/finished) as the job's last run, atomically."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(run, handle, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_run(path) -> dict | None:
    """The job's last run record, or None when the job never ran (no record)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ResticEngine(Engine):
    """restic 0.14 on one repository."""

    name = "restic"

    def __init__(self, repository: str, password_file: str, restic: str = "restic", cache_dir=None,
                 run=subprocess_runner, run_record=None):
        self.repository = repository
        self.password_file = password_file
        self.run_record = run_record
        self.restic = restic
        self.cache_dir = cache_dir
        self._run = run

    def _env(self) -> dict:
        env = {"RESTIC_REPOSITORY": self.repository, "RESTIC_PASSWORD_FILE": self.password_file}
        if self.cache_dir:
            env["RESTIC_CACHE_DIR"] = str(self.cache_dir)
        return env

    def command(self, *args: str) -> tuple[int, str, str]:
        return self._run([self.restic, *args], self._env())

    def _asked(self, rc: int, stderr: str) -> None:
        """EngineError when restic could not open the repository at all."""
        fatal = _fatal(stderr)
        if rc == 1 and fatal and ("wrong password" in fatal or "unable to open" in fatal
                                  or "repository does not exist" in fatal):
            raise EngineError(f"restic: {fatal}")

    def snapshots(self) -> list[dict]:
        rc, out, err = self.command("snapshots", "--json")
        self._asked(rc, err)
        if rc != 0:
            raise EngineError(f"restic snapshots: {'; '.join(error_lines(err)) or f'exit {rc}'}")
        return parse_snapshots(out)

    def backup(self, paths, host=None, tags=None) -> dict:
        args = ["backup", "--json"]
        if host:
            args += ["--host", host]
        for tag in tags or []:
            args += ["--tag", tag]
        started = _now()
        rc, out, err = self.command(*args, "--", *paths)
        run = {**parse_backup(out, err, rc), "started": started, "finished": _now(), "paths": list(paths)}
        if self.run_record:
            before = read_run(self.run_record)
            if before:  # the run before, for the daily check's size swing
                run["previous"] = {k: before.get(k) for k in PREVIOUS_KEYS}
            record_run(self.run_record, run)
        return run

    def last_run(self) -> dict | None:
        return read_run(self.run_record) if self.run_record else None

    def check_structure(self) -> dict:
        rc, out, err = self.command("check")
        self._asked(rc, err)
        return {**parse_check(out, err, rc), "kind": "structure"}

    def check_data_subset(self, subset: str) -> dict:
        if not re.fullmatch(r"[1-9]\d*/[1-9]\d*", subset or "") or \
                int(subset.split("/")[0]) > int(subset.split("/")[1]):
            raise ValueError(f"subset {subset!r} is not n/k with 1 <= n <= k")
        rc, out, err = self.command("check", f"--read-data-subset={subset}")
        self._asked(rc, err)
        return {**parse_check(out, err, rc), "kind": "data", "subset": subset}

    def restore(self, snapshot: str, target: str, include=None) -> dict:
        args = ["restore", snapshot, "--target", target]
        for pattern in include or []:
            args += ["--include", pattern]
        rc, out, err = self.command(*args)
        self._asked(rc, err)
        errors = error_lines(err)
        if rc != 0 and not errors:
            errors = [f"restic restore exited with {rc}"]
        return {"ok": rc == 0 and not errors, "rc": rc, "errors": errors,
                "snapshot": snapshot, "target": target}

    def forget(self, ids, prune=False) -> dict:
        ids = list(ids)
        if not ids:
            return {"ok": True, "rc": 0, "errors": [], "forgotten": []}
        rc, out, err = self.command("forget", *(["--prune"] if prune else []), "--", *ids)
        self._asked(rc, err)
        errors = error_lines(err)
        return {"ok": rc == 0, "rc": rc, "errors": errors, "forgotten": ids if rc == 0 else []}
