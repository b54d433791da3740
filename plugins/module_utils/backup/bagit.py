# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly off-site medium as a BagIt bag (RFC 8493, BagIt 1.0): write it, check it, verify it.

Layout of a bag::

    bagit.txt                  BagIt-Version 1.0, UTF-8
    bag-info.txt               Bagging-Date, Payload-Oxum "<octets>.<count>", then the caller's tags
                               (the courier hand-over record)
    data/...                   the payload, a copy of the source folder
    manifest-blake3.txt        "<digest> <path>" per payload file (default algorithm; or xxh128, sha256)
    payload-sizes.txt          "<octets> <path>" per payload file, so a truncated file is named as such
    tagmanifest-sha256.txt     SHA-256 of every tag file above

The payload manifest uses BLAKE3 by default: a cryptographic hash (a medium that travels with a
courier must show tampering, which xxh128 cannot) that is still faster than the disk. The RFC names
algorithms from the IANA "Hash Function Textual Names" registry, lower case without hyphens, and only
requires validators to support SHA-256 and SHA-512; "blake3" and "xxh128" are outside that registry,
so a general BagIt tool (the bagit library among them) sees no payload manifest it knows. The tag
manifest is SHA-256 so that any tool can still check the tag files. A bag written with algorithm
"sha256", or given a SHA-256 manifest as well (add_manifest), is one that any BagIt 1.0 validator
accepts.

Paths in manifests are relative to the bag with "/" separators; CR, LF and "%" are percent-encoded
as the RFC asks. Symbolic links and special files cannot be bagged and are refused by name; empty
folders are not kept (BagIt has no way to say them).
"""

from __future__ import annotations

import os
import stat
import time
from datetime import datetime

from . import hashing

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
BAG_INFO = "bag-info.txt"
SIZES = "payload-sizes.txt"
TAG_ALGORITHM = "sha256"
DEFAULT_ALGORITHM = "blake3"
# Tags the writer sets itself; the caller's tags may not name them.
RESERVED_TAGS = ("Bagging-Date", "Payload-Oxum")

PROBLEM_JA = {
    "missing": "欠落(マニフェストにあるがファイルがない)",
    "extra": "余分なファイル(マニフェストにない)",
    "size": "サイズ不一致",
    "hash": "ハッシュ不一致(内容が変わっている)",
    "unreadable": "読み取り不能",
    "tag_missing": "タグファイル欠落",
    "tag_hash": "タグファイルのハッシュ不一致(改変)",
    "tag_extra": "タグマニフェストにないタグファイル",
    "structure": "バッグ構成の誤り",
    "oxum": "Payload-Oxum 不一致",
}


class BagError(Exception):
    """A bag that cannot be written or read at all (not a problem found in a readable bag)."""


def encode_path(path: str) -> str:
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(path: str) -> str:
    return path.replace("%0D", "\r").replace("%0d", "\r").replace("%0A", "\n").replace("%0a", "\n") \
        .replace("%25", "%")


def _problem(kind: str, path: str, detail: str = "") -> dict:
    return {"path": path, "problem": kind, "problem_ja": PROBLEM_JA[kind], "detail": detail}


def payload_files(folder) -> list[str]:
    """Relative paths ("/"-separated) of the regular files under FOLDER, sorted; BagError naming every
    symbolic link or special file."""
    found, refused = [], []
    root = os.fspath(folder)
    for current, dirs, files in os.walk(root):
        dirs.sort()
        for name in dirs + files:
            full = os.path.join(current, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            mode = os.lstat(full).st_mode
            if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                refused.append(rel)
            elif stat.S_ISREG(mode):
                found.append(rel)
    if refused:
        raise BagError("symbolic links or special files cannot be bagged: " + ", ".join(sorted(refused)))
    return sorted(found)


def _tag_lines(tags) -> list[str]:
    items = list(tags.items()) if isinstance(tags, dict) else list(tags or [])
    lines = []
    for label, value in items:
        label, value = str(label).strip(), str(value)
        if not label or ":" in label or any(c in label for c in "\r\n"):
            raise BagError(f"bag-info tag label {label!r} is not a valid label")
        if label in RESERVED_TAGS:
            raise BagError(f"bag-info tag {label!r} is set by the writer")
        if "\r" in value or "\n" in value:
            raise BagError(f"bag-info tag {label!r} has a line break in its value")
        lines.append(f"{label}: {value}")
    return lines


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_bag(source, bag, algorithm: str = DEFAULT_ALGORITHM, tags=None, bagging_date=None) -> dict:
    """Copy the folder SOURCE into a new bag at BAG (which must not exist or be an empty folder),
    hashing each file as it is copied (one read of the source). TAGS: extra bag-info.txt tags as a
    dict or (label, value) pairs, in order. Returns {bag, algorithm, files, octets, oxum, seconds}."""
    started = time.monotonic()
    hashing.new(algorithm)  # the library is there before anything is written
    lines = _tag_lines(tags)
    bag = os.fspath(bag)
    if os.path.exists(bag) and (not os.path.isdir(bag) or os.listdir(bag)):
        raise BagError(f"{bag} exists and is not an empty folder")
    files = payload_files(source)
    data = os.path.join(bag, "data")
    os.makedirs(data, exist_ok=True)
    manifest, sizes, octets = [], [], 0
    with hashing.Streamer() as streamer:
        for rel in files:
            target = os.path.join(data, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "xb") as out:
                digest, size = streamer.digest(os.path.join(os.fspath(source), *rel.split("/")),
                                               algorithm, copy_to=out)
                # on the medium before it is verified, and not left in memory to be verified instead
                out.flush()
                os.fsync(out.fileno())
                hashing.drop_cache(out.fileno())
            _keep_mtime(os.path.join(os.fspath(source), *rel.split("/")), target)
            octets += size
            manifest.append(f"{digest}  {encode_path('data/' + rel)}\n")
            sizes.append(f"{size}  {encode_path('data/' + rel)}\n")
    oxum = f"{octets}.{len(files)}"
    when = (bagging_date or datetime.now().astimezone().date()).isoformat()
    _write_text(os.path.join(bag, "bagit.txt"), BAGIT_TXT)
    _write_text(os.path.join(bag, BAG_INFO),
                "".join(f"{line}\n" for line in [f"Bagging-Date: {when}", f"Payload-Oxum: {oxum}", *lines]))
    _write_text(os.path.join(bag, f"manifest-{algorithm}.txt"), "".join(manifest))
    _write_text(os.path.join(bag, SIZES), "".join(sizes))
    _write_tagmanifest(bag)
    return {"bag": bag, "algorithm": algorithm, "files": len(files), "octets": octets, "oxum": oxum,
            "seconds": round(time.monotonic() - started, 3)}


def _keep_mtime(src: str, dst: str) -> None:
    """Keep the modification time (restores and comparisons look at it); permissions stay the medium's."""
    st = os.stat(src)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


def tag_files(bag) -> list[str]:
    """The tag files at the top of BAG other than tag manifests, sorted."""
    bag = os.fspath(bag)
    return sorted(name for name in os.listdir(bag)
                  if os.path.isfile(os.path.join(bag, name)) and not name.startswith("tagmanifest-"))


def _write_tagmanifest(bag: str) -> None:
    lines = [f"{hashing.digest_file(os.path.join(bag, name), TAG_ALGORITHM)}  {encode_path(name)}\n"
             for name in tag_files(bag)]
    _write_text(os.path.join(bag, f"tagmanifest-{TAG_ALGORITHM}.txt"), "".join(lines))


def update_tags(bag, tags) -> None:
    """Add or replace bag-info.txt tags (the courier record after the hand-over, the return) and
    rewrite the tag manifest; the payload is not read."""
    bag = os.fspath(bag)
    current = read_bag_info(bag)
    new = dict(_split(line) for line in _tag_lines(tags))
    kept = [(k, v) for k, v in current if k not in new]
    _write_text(os.path.join(bag, BAG_INFO), "".join(f"{k}: {v}\n" for k, v in kept + list(new.items())))
    _write_tagmanifest(bag)


def _split(line: str) -> tuple[str, str]:
    label, value = line.split(":", 1)
    return label.strip(), value.strip()


def read_bag_info(bag) -> list[tuple[str, str]]:
    """bag-info.txt as (label, value) pairs in order; continuation lines (leading white space) are
    joined to the value before them."""
    pairs: list[tuple[str, str]] = []
    with open(os.path.join(os.fspath(bag), BAG_INFO), encoding="utf-8-sig") as handle:
        for raw in handle:
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            if line[0] in " \t" and pairs:
                label, value = pairs[-1]
                pairs[-1] = (label, f"{value} {line.strip()}")
            elif ":" in line:
                pairs.append(_split(line))
            else:
                raise BagError(f"bag-info.txt: {line!r} is not 'Label: value'")
    return pairs


def read_manifest(path) -> dict[str, str]:
    """"<value> <path>" lines of a manifest (or payload-sizes.txt) as {path: value}."""
    entries = {}
    with open(path, encoding="utf-8-sig") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split(None, 1)
            if len(parts) != 2:
                raise BagError(f"{os.path.basename(path)} line {number}: {line!r} is not '<value> <path>'")
            entries[decode_path(parts[1].lstrip("*").strip())] = parts[0].lower()
    return entries


def add_manifest(bag, algorithm: str) -> dict:
    """Add a payload manifest of ALGORITHM to an existing bag (reading every payload file once) and
    rewrite the tag manifest. With "sha256" any BagIt 1.0 tool can then validate the bag as well."""
    started = time.monotonic()
    bag = os.fspath(bag)
    lines = []
    with hashing.Streamer() as streamer:
        for rel in payload_files(os.path.join(bag, "data")):
            digest = streamer.digest(os.path.join(bag, "data", *rel.split("/")), algorithm)[0]
            lines.append(f"{digest}  {encode_path('data/' + rel)}\n")
    _write_text(os.path.join(bag, f"manifest-{algorithm}.txt"), "".join(lines))
    _write_tagmanifest(bag)
    return {"bag": bag, "algorithm": algorithm, "files": len(lines),
            "seconds": round(time.monotonic() - started, 3)}


def payload_algorithm(bag, algorithm: str | None = None) -> str:
    """The payload manifest verify reads: ALGORITHM when given, else the first of blake3, xxh128,
    sha256 present (BagError when there is none)."""
    bag = os.fspath(bag)
    present = [a for a in hashing.ALGORITHMS if os.path.isfile(os.path.join(bag, f"manifest-{a}.txt"))]
    if algorithm is not None:
        if algorithm not in present:
            raise BagError(f"{bag}: no manifest-{algorithm}.txt")
        return algorithm
    if not present:
        others = sorted(n for n in os.listdir(bag) if n.startswith("manifest-"))
        raise BagError(f"{bag}: no payload manifest of {', '.join(hashing.ALGORITHMS)}"
                       + (f" (found {', '.join(others)})" if others else ""))
    return present[0]


def oxum_check(bag) -> dict:
    """The seconds-long completeness check: the octets and file count under data/ against the
    bag-info.txt Payload-Oxum. No file is read. Returns {ok, expected, found, problems}."""
    bag = os.fspath(bag)
    oxum = dict(read_bag_info(bag)).get("Payload-Oxum")
    octets = count = 0
    data = os.path.join(bag, "data")
    for current, _dirs, files in os.walk(data):
        for name in files:
            octets += os.lstat(os.path.join(current, name)).st_size
            count += 1
    found = f"{octets}.{count}"
    problems = []
    if oxum is None:
        problems.append(_problem("structure", BAG_INFO, "no Payload-Oxum"))
    elif oxum.strip() != found:
        problems.append(_problem("oxum", "data/", f"expected {oxum.strip()}, found {found}"))
    return {"ok": not problems, "expected": oxum, "found": found, "problems": problems}


def _check_tags(bag: str) -> list[dict]:
    problems = []
    for name in ("bagit.txt", BAG_INFO):
        if not os.path.isfile(os.path.join(bag, name)):
            problems.append(_problem("tag_missing", name))
    path = os.path.join(bag, f"tagmanifest-{TAG_ALGORITHM}.txt")
    if not os.path.isfile(path):
        return problems + [_problem("tag_missing", os.path.basename(path))]
    listed = read_manifest(path)
    for name, expected in sorted(listed.items()):
        full = os.path.join(bag, name)
        if not os.path.isfile(full):
            if name not in ("bagit.txt", BAG_INFO):
                problems.append(_problem("tag_missing", name))
        elif hashing.digest_file(full, TAG_ALGORITHM) != expected:
            problems.append(_problem("tag_hash", name, f"{TAG_ALGORITHM} differs from the tag manifest"))
    problems += [_problem("tag_extra", name) for name in tag_files(bag) if name not in listed]
    return problems


def verify(bag, algorithm: str | None = None, uncached: bool = False) -> dict:
    """Full verification: the tag files against the tag manifest, then every payload file read
    sequentially once (in manifest order, the order the writer wrote them) against one payload
    manifest (ALGORITHM, else the bag's first; another payload manifest is covered against edits by
    the tag manifest, its digests are not recomputed). With UNCACHED each payload file's cached
    pages are dropped before it is read, so a medium just written is read back from the device.

    Returns {ok, algorithm, files, octets, seconds, problems}; each problem is
    {path, problem (missing|extra|size|hash|unreadable|tag_*|structure), problem_ja, detail}."""
    started = time.monotonic()
    bag = os.fspath(bag)
    if not os.path.isdir(os.path.join(bag, "data")):
        raise BagError(f"{bag}: not a bag (no data/ folder)")
    algorithm = payload_algorithm(bag, algorithm)
    hashing.new(algorithm)
    problems = _check_tags(bag)
    manifest = read_manifest(os.path.join(bag, f"manifest-{algorithm}.txt"))
    sizes_path = os.path.join(bag, SIZES)
    sizes = read_manifest(sizes_path) if os.path.isfile(sizes_path) else {}
    present = {f"data/{rel}" for rel in payload_files(os.path.join(bag, "data"))}
    octets = files = 0
    with hashing.Streamer() as streamer:
        for path in sorted(manifest):
            if path not in present:
                problems.append(_problem("missing", path))
                continue
            full = os.path.join(bag, *path.split("/"))
            size = os.stat(full).st_size
            if path in sizes and int(sizes[path]) != size:
                problems.append(_problem("size", path, f"expected {sizes[path]} octets, found {size}"))
                continue
            try:
                digest, read = streamer.digest(full, algorithm, uncached=uncached)
            except OSError as exc:
                problems.append(_problem("unreadable", path, str(exc)))
                continue
            octets += read
            files += 1
            if digest != manifest[path]:
                problems.append(_problem("hash", path, f"{algorithm} {digest}, manifest {manifest[path]}"))
    problems += [_problem("extra", path) for path in sorted(present - set(manifest))]
    return {"ok": not problems, "algorithm": algorithm, "files": files, "octets": octets,
            "seconds": round(time.monotonic() - started, 3), "problems": problems}
