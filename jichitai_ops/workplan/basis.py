"""What a plan was made from: repository commit and uncommitted changes, inventory, input files and
run options. Apply recomputes it and refuses when anything differs (DESIGN principle 1).

A plan is handed to the city, so no secret goes into it, not even as a digest (an unsalted SHA-256 of
a password is as good as the password): a vault password file, any file the vault identities name
(ansible.cfg, ANSIBLE_VAULT_*, --vault-id, --vault-password-file), a file with the same content as one
of those, a file named like a vault password file (.vault-pass*) and a private key are listed by name
with SECRET_MARK in place of their digest. Vault-encrypted files keep their digest: ciphertext is no
secret, and a change of the password shows as a change of the vault files it opens."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess

from .model import digest, is_control_var, reason, strategy_name

SKIP_DIRS = {".git", ".venv", "work", "artifacts", "__pycache__", ".ansible", ".pytest_cache", ".ruff_cache"}
# stands where a secret file's digest would be: the file is named, its content neither shown nor hashed
SECRET_MARK = "（機密: 内容の確認は省略）"
# .vault-pass, .vault-pass.lab, prod.vault-pass, vault_password, vault-pass-prod.txt
VAULT_PASS_NAME = re.compile(r"(^|[._-])vault[-_]?pass(word)?([-_.][^/]*)?$", re.IGNORECASE)
# a private key file begins with its PEM/OpenSSH header, or is a PuTTY key
PRIVATE_KEY_HEAD = re.compile(rb"\A\s*(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-)")
NOT_A_FILE = {"prompt", "prompt_ask_vault_pass"}


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def vault_sources(cliargs: dict | None = None) -> list[str]:
    """Files the vault identities name: --vault-id / --vault-password-file of this run, then Ansible's
    configuration (vault_identity_list, vault_password_file in ansible.cfg or ANSIBLE_VAULT_*)."""
    cliargs = cliargs or {}
    idents = list(cliargs.get("vault_ids") or ()) + list(cliargs.get("vault_password_files") or ())
    for var in ("ANSIBLE_VAULT_IDENTITY_LIST", "ANSIBLE_VAULT_PASSWORD_FILE"):
        idents += [v.strip() for v in os.environ.get(var, "").split(",") if v.strip()]
    try:
        from ansible import constants as C  # the configuration of the run the guard is part of
    except ImportError:  # the engine used without Ansible: the run's own arguments only
        pass
    else:
        idents += list(getattr(C, "DEFAULT_VAULT_IDENTITY_LIST", None) or ())
        idents += [getattr(C, "DEFAULT_VAULT_PASSWORD_FILE", None) or ""]
    out = []
    for ident in idents:
        source = str(ident).split("@", 1)[1] if "@" in str(ident) else str(ident)
        if source and source not in NOT_A_FILE and source not in out:
            out.append(source)
    return out


class Secrets:
    """Which files are secret: named by the vault identities, of the same content as one of those,
    named like a vault password file, or a private key."""

    def __init__(self, sources: list[str], bases: list[str]):
        self.paths: set[str] = set()
        self.contents: set[bytes] = set()
        for source in sources:
            source = os.path.expanduser(source)
            for base in [""] if os.path.isabs(source) else bases:
                full = os.path.realpath(os.path.join(base, source))
                if os.path.isfile(full):
                    self.paths.add(full)
                    with contextlib.suppress(OSError), open(full, "rb") as fh:
                        data = fh.read()
                        if data.strip():  # an empty file would make every empty file a secret
                            self.contents.add(hashlib.sha256(data).digest())  # compared, never kept

    def named(self, path: str) -> bool:
        return bool(VAULT_PASS_NAME.search(os.path.basename(path))) or os.path.realpath(path) in self.paths

    def digest(self, path: str) -> str:
        """sha256 of the file, or SECRET_MARK when it is secret (by name or by content; one read)."""
        if self.named(path):
            return SECRET_MARK
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            if PRIVATE_KEY_HEAD.match(head):
                return SECRET_MARK
            h.update(head)
            for block in iter(lambda: fh.read(1 << 16), b""):
                h.update(block)
        return SECRET_MARK if h.digest() in self.contents else h.hexdigest()


NO_SECRETS = Secrets([], [])  # still knows vault password file names and private keys


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


def file_entry(name: str, full: str, secret: Secrets = NO_SECRETS) -> dict:
    value = secret.digest(full)
    return {"path": name, "sha256": value, **({"secret": True} if value == SECRET_MARK else {})}


def tree_files(path: str, secret: Secrets = NO_SECRETS) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file below ``path`` (a file gives itself as '.'); a secret
    file's digest is SECRET_MARK."""
    if os.path.isfile(path):
        return [(".", secret.digest(path))]
    out = []
    for base, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(base, name)
            if os.path.isfile(full):
                out.append((os.path.relpath(full, path), secret.digest(full)))
    return out


def repo_state(root: str, fallback_commit: str | None = None, secret: Secrets = NO_SECRETS) -> dict:
    """Commit and uncommitted changes (tracked and untracked, not ignored) of the work tree."""
    head = _git(root, "rev-parse", "HEAD")
    if head is None:
        files = tree_files(root, secret)
        return {"vcs": None, "commit": fallback_commit, "dirty_files": [], "tree_digest": digest(files)}
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all") or ""
    dirty = []
    for entry in filter(None, status.split("\0")):
        path = entry[3:]
        full = os.path.join(root, path)
        if os.path.isdir(full):
            continue
        gone = not os.path.isfile(full)
        dirty.append({"path": path, "sha256": "deleted"} if gone else file_entry(path, full, secret))
    dirty.sort(key=lambda d: d["path"])
    return {"vcs": "git", "commit": head.strip(), "dirty_files": dirty, "dirty_digest": digest(dirty)}


def sources_state(paths: list[str], root: str, secret: Secrets = NO_SECRETS) -> list[dict]:
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
                "files": [
                    {"path": p, "sha256": h, **({"secret": True} if h == SECRET_MARK else {})}
                    for p, h in tree_files(full, secret)
                ],
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
    vault_files: list[str] | None = None,
) -> dict:
    """The basis of a run. ``vault_files``: the files the vault identities name; by default those of
    ``cliargs`` (--vault-id, --vault-password-file) and of Ansible's configuration."""
    sources = vault_sources(cliargs) if vault_files is None else list(vault_files)
    secret = Secrets(sources, [os.getcwd(), root])
    basis = {
        "repo": repo_state(root, fallback_commit, secret),
        "playbook": {
            "path": rel(playbook, root),
            "sha256": secret.digest(playbook) if os.path.isfile(playbook) else None,
        },
        "inventory": sources_state(inventory_paths(inventory_sources), root, secret),
        "inputs": sources_state(inputs, root, secret),
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
