# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly restore test (OPS-BACKUP §6-3(6)): where a generation is restored to, what is compared,
and the comparison of the restored tree with the source, file by file (size, then BLAKE3).

Differences are named per file: `missing` (at the source, not restored), `extra` (restored, no longer at
the source), `changed` (size or content differ). A file changed at the source since the generation was
taken is a difference too: the test proves the copy equals the source as the generation saw it only when
the source did not change since, and names what did.

Pure functions over folders; library/backup_restore_test.py runs them.
"""

from __future__ import annotations

import os
import posixpath
import re

from . import hashing

KIND_JA = {
    "missing": "復元されていない（元にあるが復元結果にない）",
    "extra": "余分（復元結果にあるが元にない）",
    "changed": "内容が異なる",
}


class RestoreTestError(ValueError):
    """Inputs the test cannot run with; nothing has been restored."""


def _inside(path: str, folder: str) -> bool:
    path, folder = posixpath.normpath(path), posixpath.normpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def check_inputs(source: str, snapshot_paths: list[str], scratch: str, include: list[str]) -> list[str]:
    """The source folder is one of the generation's paths (or inside one), the scratch folder is
    outside every one of them and they are outside it (a restore never lands on the data it tests),
    and each INCLUDE entry is a relative folder or file under the source. Returns the include entries
    normalised; RestoreTestError naming every problem."""
    problems = []
    if not posixpath.isabs(source or ""):
        problems.append(f"source {source!r} is not an absolute path")
    elif not any(_inside(source, p) for p in snapshot_paths):
        problems.append(f"source {source} is not in the generation (its paths: {', '.join(snapshot_paths)})")
    if not posixpath.isabs(scratch or ""):
        problems.append(f"scratch {scratch!r} is not an absolute path")
    else:
        for path in [source, *snapshot_paths]:
            if path and (_inside(scratch, path) or _inside(path, scratch)):
                problems.append(f"scratch {scratch} overlaps {path}: the restore must not touch the data")
    normalised = []
    for entry in include or []:
        clean = posixpath.normpath(str(entry).strip().strip("/")) if str(entry).strip().strip("/") else ""
        if (
            not clean
            or clean == "."
            or clean.startswith("..")
            or posixpath.isabs(str(entry))
            or re.search(r"[*?\[]", clean)
        ):
            problems.append(f"include {entry!r}: a folder or file relative to the source, no patterns")
        else:
            normalised.append(clean)
    if problems:
        raise RestoreTestError("; ".join(dict.fromkeys(problems)))
    return sorted(set(normalised))


def restic_includes(source: str, include: list[str]) -> list[str]:
    """restic restore --include patterns: the source (or each sample folder under it) as an absolute path."""
    source = posixpath.normpath(source)
    return [posixpath.join(source, entry) for entry in include] if include else [source]


def files_of(folder: str, include: list[str]) -> dict[str, int]:
    """{relative path: octets} of the regular files under FOLDER (limited to the INCLUDE entries);
    symbolic links are listed with their own size (a restore brings them back as links)."""
    found: dict[str, int] = {}
    roots = [os.path.join(folder, *entry.split("/")) for entry in include] if include else [folder]
    for root in roots:
        if os.path.isfile(root) or os.path.islink(root):
            found[os.path.relpath(root, folder).replace(os.sep, "/")] = os.lstat(root).st_size
            continue
        for current, dirs, files in os.walk(root):
            dirs.sort()
            for name in files:
                full = os.path.join(current, name)
                st = os.lstat(full)
                found[os.path.relpath(full, folder).replace(os.sep, "/")] = st.st_size
    return found


def compare(source: str, restored: str, include: list[str] | None = None, algorithm: str = "blake3") -> dict:
    """Compare the restored tree with the source: every file by size, and by hash when the sizes agree.
    Returns {files_compared, octets_compared, differences: [{path, kind, kind_ja, detail}], counts}."""
    include = include or []
    src = files_of(source, include)
    out = files_of(restored, include) if os.path.isdir(restored) else {}
    differences = []
    compared = octets = 0

    def add(path, kind, detail=""):
        differences.append({"path": path, "kind": kind, "kind_ja": KIND_JA[kind], "detail": detail})

    with hashing.Streamer() as streamer:
        for path in sorted(set(src) | set(out)):
            if path not in out:
                add(path, "missing")
                continue
            if path not in src:
                add(path, "extra")
                continue
            compared += 1
            a = os.path.join(source, *path.split("/"))
            b = os.path.join(restored, *path.split("/"))
            if os.path.islink(a) or os.path.islink(b):
                if not (os.path.islink(a) and os.path.islink(b) and os.readlink(a) == os.readlink(b)):
                    add(path, "changed", "シンボリックリンクの参照先が異なる")
                continue
            if src[path] != out[path]:
                add(path, "changed", f"サイズ 元 {src[path]:,} バイト、復元 {out[path]:,} バイト")
                continue
            left = streamer.digest(a, algorithm)[0]
            right = streamer.digest(b, algorithm)[0]
            octets += src[path]
            if left != right:
                add(path, "changed", f"{algorithm.upper()} 元 {left[:16]}…、復元 {right[:16]}…")
    counts = {kind: sum(1 for d in differences if d["kind"] == kind) for kind in KIND_JA}
    return {
        "files_compared": compared,
        "octets_compared": octets,
        "differences": differences,
        "counts": counts,
    }
