"""What a plan was made from: repository commit and uncommitted changes, inventory, input files and
run options. Apply recomputes it and refuses when anything differs (DESIGN principle 1)."""

from __future__ import annotations

import hashlib
import os
import subprocess

from .model import digest, is_control_var, reason, strategy_name

SKIP_DIRS = {".git", ".venv", "work", "artifacts", "__pycache__", ".ansible", ".pytest_cache", ".ruff_cache"}


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _git(root: str, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", root, *args], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "surrogateescape")


def project_root(start: str) -> str:
    """Top of the git work tree holding ``start``; else the nearest directory with ansible.cfg."""
    start = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start))
    top = _git(start, "rev-parse", "--show-toplevel")
    if top:
        return top.strip()
    probe = start
    while True:
        if os.path.exists(os.path.join(probe, "ansible.cfg")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return start
        probe = parent


def rel(path: str, root: str) -> str:
    path = os.path.abspath(path)
    inside = os.path.commonpath([path, root]) == root
    return os.path.relpath(path, root) if inside else path


def tree_files(path: str) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file below ``path`` (a file gives itself as '.')."""
    if os.path.isfile(path):
        return [(".", file_sha256(path))]
    out = []
    for base, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(base, name)
            if os.path.isfile(full):
                out.append((os.path.relpath(full, path), file_sha256(full)))
    return out


def repo_state(root: str, fallback_commit: str | None = None) -> dict:
    """Commit and uncommitted changes (tracked and untracked, not ignored) of the work tree."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        files = tree_files(root)
        return {"vcs": None, "commit": fallback_commit, "dirty_files": [], "tree_digest": digest(files)}
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all") or ""
    dirty = []
    for entry in filter(None, status.split("\0")):
        path = entry[3:]
        full = os.path.join(root, path)
        if os.path.isdir(full):
            continue
        dirty.append({"path": path, "sha256": file_sha256(full) if os.path.isfile(full) else "deleted"})
    dirty.sort(key=lambda d: d["path"])
    return {"vcs": "git", "commit": head.strip(), "dirty_files": dirty, "dirty_digest": digest(dirty)}


def sources_state(paths: list[str], root: str) -> list[dict]:
    """Digest of each inventory source or input file (directories file by file)."""
    out = []
    for path in paths:
        full = path if os.path.isabs(path) else os.path.join(root, path)
        if not os.path.exists(full):
            out.append({"path": rel(full, root), "missing": True, "files": []})
            continue
        out.append(
            {
                "path": rel(full, root),
                "missing": False,
                "files": [{"path": p, "sha256": h} for p, h in tree_files(full)],
            }
        )
    return out


def inventory_paths(sources: list[str]) -> list[str]:
    """Inventory sources that are files or directories (host lists like 'localhost,' are not)."""
    return [s for s in sources or [] if s and os.path.exists(s)]


def run_options(cliargs: dict, extra_vars: dict, strategy: str | None = None) -> dict:
    """The ansible-playbook options that change what a run does. Extra vars by name and digest only,
    so no value (a password given with -e) is ever written into a plan; the work-plan role's own
    variables given with -e are recorded like any other, but for the few that name the plan and window."""

    def as_list(value):
        if not value:
            return []
        return sorted(value) if isinstance(value, (list, tuple, set)) else [value]

    return {
        "limit": cliargs.get("subset") or None,
        "tags": [t for t in as_list(cliargs.get("tags")) if t != "all"],
        "skip_tags": as_list(cliargs.get("skip_tags")),
        "start_at_task": cliargs.get("start_at_task") or None,
        "strategy": strategy_name(strategy),
        "extra_vars": {k: digest(v) for k, v in sorted(extra_vars.items()) if not is_control_var(k)},
    }


def build(
    root: str,
    inventory_sources: list[str],
    inputs: list[str],
    playbook: str,
    cliargs: dict,
    extra_vars: dict,
    fallback_commit: str | None = None,
    strategy: str | None = None,
) -> dict:
    basis = {
        "repo": repo_state(root, fallback_commit),
        "playbook": {
            "path": rel(playbook, root),
            "sha256": file_sha256(playbook) if os.path.isfile(playbook) else None,
        },
        "inventory": sources_state(inventory_paths(inventory_sources), root),
        "inputs": sources_state(inputs, root),
        "run_options": run_options(cliargs, extra_vars, strategy),
    }
    return basis


def _content(entries: list[dict]) -> dict:
    """path -> file digests; a source compared by content so AWX's per-job inventory path does not matter."""
    return {
        e["path"]: ("missing" if e.get("missing") else {f["path"]: f["sha256"] for f in e["files"]})
        for e in entries
    }


def _changed_files(before: dict, after: dict) -> list[str]:
    names = sorted(set(before) | set(after))
    return [n for n in names if before.get(n) != after.get(n)]


def compare(planned: dict, current: dict) -> list[dict]:
    """Every difference between the plan's basis and now, as refusal reasons."""
    out = []
    p_repo, c_repo = planned["repo"], current["repo"]
    if p_repo.get("commit") != c_repo.get("commit"):
        out.append(
            reason(
                "repo_commit",
                f"リポジトリのコミットが計画時と異なります（計画 {str(p_repo.get('commit'))[:12]}、"
                f"現在 {str(c_repo.get('commit'))[:12]}）",
                "repository commit changed since the plan "
                f"({str(p_repo.get('commit'))[:12]} -> {str(c_repo.get('commit'))[:12]})",
            )
        )
    p_dirty = {d["path"]: d["sha256"] for d in p_repo.get("dirty_files", [])}
    c_dirty = {d["path"]: d["sha256"] for d in c_repo.get("dirty_files", [])}
    changed = _changed_files(p_dirty, c_dirty)
    if changed or p_repo.get("tree_digest") != c_repo.get("tree_digest"):
        shown = ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
        out.append(
            reason(
                "repo_dirty",
                f"未コミットの変更が計画時と異なります: {shown or '作業ツリー'}",
                f"uncommitted changes differ from the plan: {shown or 'work tree'}",
                files=changed,
            )
        )
    if planned["playbook"] != current["playbook"]:
        out.append(
            reason(
                "playbook",
                f"プレイブックが計画時と異なります: {current['playbook']['path']}",
                f"playbook differs from the plan: {current['playbook']['path']}",
            )
        )
    for key, ja, en in (("inventory", "インベントリ", "inventory"), ("inputs", "入力ファイル", "input file")):
        before, after = _content(planned[key]), _content(current[key])
        if (
            key == "inventory"
            and len(before) == len(after)
            and sorted(map(str, before.values())) == sorted(map(str, after.values()))
        ):
            continue  # same content at another path (AWX writes each job's inventory afresh)
        if key == "inputs":  # each play checks the inputs it declares; the plan holds those of every play
            before = {path: value for path, value in before.items() if path in after}
        for path in _changed_files(before, after):
            state = (
                "がありません" if after.get(path) == "missing" or path not in after else "が変更されています"
            )
            out.append(reason(key, f"{ja}{state}: {path}", f"{en} changed since the plan: {path}", path=path))
    p_opt, c_opt = planned["run_options"], current["run_options"]
    for opt in ("limit", "tags", "skip_tags", "start_at_task", "strategy"):
        if p_opt.get(opt) != c_opt.get(opt):
            out.append(
                reason(
                    "run_options",
                    f"実行オプション {opt} が計画時と異なります（計画 "
                    f"{p_opt.get(opt)}、現在 {c_opt.get(opt)}）",
                    f"option {opt} differs from the plan ({p_opt.get(opt)} -> {c_opt.get(opt)})",
                )
            )
    names = _changed_files(p_opt.get("extra_vars", {}), c_opt.get("extra_vars", {}))
    if names:
        out.append(
            reason(
                "extra_vars",
                f"追加変数(-e)が計画時と異なります: {', '.join(names)}",
                f"extra vars differ from the plan: {', '.join(names)}",
                names=names,
            )
        )
    return out
