# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle of approved updates that crosses from LGWAN to the My Number segment.

A bundle is a folder of update files with ``manifest.json`` at its top (every file's relative path,
size and SHA-256, the KB list and/or the Linux packages (name, version, file), and the approval: plan
id, approver, approved_at) and
``manifest.json.sha256`` beside it (the manifest's own SHA-256 in ``sha256sum`` format, so
``sha256sum -c`` reads it too). The manifest is written the same way for the same content, so a second
build of an unchanged folder writes nothing.

On the far side the folder is verified against its manifest before anything is imported: a changed
file (its hash), a missing file, an extra file, a size that differs and a manifest that does not match
its digest are all named at once, and any one of them refuses the whole bundle.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime

MANIFEST = "manifest.json"
DIGEST = MANIFEST + ".sha256"
FORMAT = "jichitai-patch-bundle/1"
CHUNK = 1 << 20  # 1 MiB reads: sha256 runs at about 187 MB/s here, reading is not the limit
KB_RE = re.compile(r"^KB\d{6,8}$")
HEX_RE = re.compile(r"^[0-9a-f]{64}$")
APPROVAL_FIELDS = ("plan_id", "approver", "approved_at")
# a Debian package name (Policy 5.6.1) and version (5.6.12); the bundle names what it carries, the
# install on the far side reads the package's own control data again
PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
VERSION_RE = re.compile(r"^(\d+:)?[0-9][A-Za-z0-9.+~:-]*$")


class BundleError(Exception):
    """Problems that stop a build before anything is written; each one named."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _walk(folder: str):
    """(relative posix paths of regular files, problems) under folder; the manifest and its digest at
    the top are not content. A link or special file is a problem: it is not carried by the transfer
    system as it is here."""
    found, problems = [], []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            if rel in (MANIFEST, DIGEST) or rel.endswith(".tmp") and rel[:-4] in (MANIFEST, DIGEST):
                continue
            if os.path.islink(full) or not os.path.isfile(full):
                problems.append(f"通常のファイルではありません（リンク等）: {rel}")
                continue
            found.append(rel)
    return sorted(found), problems


def _package_problems(packages) -> list[str]:
    if packages is None:
        return []
    if not isinstance(packages, list):
        return ["packages: name, version, file を持つ辞書の一覧にしてください"]
    problems = []
    for index, pkg in enumerate(packages):
        where = f"packages {index + 1} 件目"
        if not isinstance(pkg, dict):
            problems.append(f"{where}: name, version, file を持つ辞書にしてください")
            continue
        where = f"{where}（{pkg.get('name') or '名前なし'}）"
        if not isinstance(pkg.get("name"), str) or not PACKAGE_RE.match(pkg["name"]):
            problems.append(f"{where}: name がパッケージ名の形式ではありません（{pkg.get('name')!r}）")
        if not isinstance(pkg.get("version"), str) or not VERSION_RE.match(pkg["version"]):
            problems.append(f"{where}: version がバージョンの形式ではありません（{pkg.get('version')!r}）")
        if not _safe_path(pkg.get("file")):
            problems.append(f"{where}: file はバンドル内の相対パスにしてください（{pkg.get('file')!r}）")
    names = [p.get("name") for p in packages if isinstance(p, dict)]
    dup = sorted({n for n in names if names.count(n) > 1 and isinstance(n, str)})
    if dup:
        problems.append(f"packages: 同じパッケージが複数あります（{', '.join(dup)}）")
    return problems


def _check_inputs(folder: str, kbs, approval, packages=None) -> list[str]:
    problems = _package_problems(packages)
    if not os.path.isdir(folder):
        problems.append(f"フォルダがありません: {folder}")
    if not isinstance(kbs, list) or (not kbs and not packages):
        problems.append(
            "kbs: 承認した KB を 1 件以上指定してください（パッケージだけのバンドルは packages を指定）"
        )
    if isinstance(kbs, list) and kbs:
        bad = [str(k) for k in kbs if not isinstance(k, str) or not KB_RE.match(k)]
        if bad:
            problems.append(f"kbs: KB 番号の形式ではありません（{', '.join(bad)}）")
        dup = sorted({k for k in kbs if kbs.count(k) > 1})
        if dup:
            problems.append(f"kbs: 重複しています（{', '.join(map(str, dup))}）")
    if not isinstance(approval, dict):
        problems.append("approval: plan_id, approver, approved_at を持つ辞書にしてください")
        return problems
    for field in APPROVAL_FIELDS:
        if not isinstance(approval.get(field), str) or not approval[field].strip():
            problems.append(f"approval.{field}: 指定してください")
    when = approval.get("approved_at")
    if isinstance(when, str) and when.strip():
        try:
            datetime.fromisoformat(when.strip())
        except ValueError:
            problems.append(f"approval.approved_at: ISO 8601 の日時ではありません（{when}）")
    return problems


def build_manifest(folder: str, kbs, approval, packages=None) -> dict:
    """The manifest of folder as it is now; BundleError naming every problem, nothing read further.

    packages ([{name, version, file}], file relative to folder) are listed in the manifest only when
    given, so a bundle of KBs alone keeps the manifest it always had; kbs may then be empty."""
    kbs = [] if kbs is None and packages else kbs
    problems = _check_inputs(folder, kbs, approval, packages)
    if problems:
        raise BundleError(problems)
    files, problems = _walk(folder)
    if not files and not problems:
        problems.append(f"更新プログラムのファイルがありません: {folder}")
    for pkg in packages or []:
        if pkg["file"] not in files:
            problems.append(f"packages {pkg['name']}: ファイルがバンドルにありません: {pkg['file']}")
    if problems:
        raise BundleError(problems)
    entries = []
    for rel in files:
        full = os.path.join(folder, *rel.split("/"))
        entries.append({"path": rel, "size": os.path.getsize(full), "sha256": sha256_file(full)})
    manifest = {
        "format": FORMAT,
        "kbs": sorted(kbs),
        "approval": {f: approval[f].strip() for f in APPROVAL_FIELDS},
        "file_count": len(entries),
        "total_size": sum(e["size"] for e in entries),
        "files": entries,
    }
    if packages:
        manifest["packages"] = sorted(
            ({"name": p["name"], "version": p["version"], "file": p["file"]} for p in packages),
            key=lambda p: p["name"],
        )
    return manifest


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def digest_line(data: bytes) -> bytes:
    return f"{sha256_bytes(data)}  {MANIFEST}\n".encode("ascii")


def _read(path: str):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def current(folder: str):
    """(manifest bytes, digest bytes) on disk, None where missing."""
    return _read(os.path.join(folder, MANIFEST)), _read(os.path.join(folder, DIGEST))


def _write_atomically(path: str, data: bytes) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write(folder: str, data: bytes) -> None:
    """The manifest, then its digest; a crash between leaves a pair that verification refuses."""
    _write_atomically(os.path.join(folder, MANIFEST), data)
    _write_atomically(os.path.join(folder, DIGEST), digest_line(data))


def _safe_path(rel) -> bool:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    parts = rel.split("/")
    return all(p not in ("", ".", "..") for p in parts) and rel not in (MANIFEST, DIGEST)


def _manifest_shape(manifest) -> list[str]:
    if not isinstance(manifest, dict):
        return ["manifest.json: オブジェクトではありません"]
    problems = []
    if manifest.get("format") != FORMAT:
        problems.append(f"manifest.json: 形式が {FORMAT} ではありません（{manifest.get('format')!r}）")
    if not isinstance(manifest.get("files"), list):
        problems.append("manifest.json: files がありません")
    if not isinstance(manifest.get("kbs"), list):
        problems.append("manifest.json: kbs がありません")
    approval = manifest.get("approval")
    if not isinstance(approval, dict) or any(not approval.get(f) for f in APPROVAL_FIELDS):
        problems.append("manifest.json: approval（plan_id, approver, approved_at）がありません")
    if "packages" in manifest:
        problems += [f"manifest.json: {m}" for m in _package_problems(manifest["packages"])]
        listed = {f.get("path") for f in manifest.get("files") or [] if isinstance(f, dict)}
        for pkg in manifest["packages"] if isinstance(manifest["packages"], list) else []:
            if isinstance(pkg, dict) and _safe_path(pkg.get("file")) and pkg["file"] not in listed:
                problems.append(f"manifest.json: パッケージのファイルが files にありません: {pkg['file']}")
    return problems


def verify(folder: str, expected_sha256: str | None = None) -> dict:
    """Every problem of the received folder at once.

    Returns {ok, problems (Japanese, each naming its file), findings [{kind, path, expected, actual}],
    manifest (or None), manifest_sha256, checked (files whose hash matched)}. kind is one of
    manifest_missing, digest_missing, manifest_tampered, manifest_invalid, missing, extra, size, changed,
    unsafe_path, not_regular. Nothing is written.
    """
    findings = []

    def found(kind, path, message, expected=None, actual=None):
        findings.append(
            {"kind": kind, "path": path, "expected": expected, "actual": actual, "message": message}
        )

    if not os.path.isdir(folder):
        found("manifest_missing", None, f"フォルダがありません: {folder}")
        return _verdict(findings, None, None, 0)
    data, digest = current(folder)
    actual_sha = sha256_bytes(data) if data is not None else None
    if data is None:
        found("manifest_missing", MANIFEST, f"マニフェストがありません: {MANIFEST}")
    if digest is None:
        found("digest_missing", DIGEST, f"マニフェストのハッシュがありません: {DIGEST}")
    elif data is not None:
        recorded = digest.decode("ascii", "replace").split()[0].lower() if digest.strip() else ""
        if recorded != actual_sha:
            found(
                "manifest_tampered",
                MANIFEST,
                f"マニフェストが改変されています: {MANIFEST}"
                f"（SHA-256 {actual_sha}、{DIGEST} では {recorded or '空'}）",
                recorded,
                actual_sha,
            )
    if expected_sha256 and actual_sha and expected_sha256.lower() != actual_sha:
        found(
            "manifest_tampered",
            MANIFEST,
            f"マニフェストが承認時のものと違います: {MANIFEST}"
            f"（SHA-256 {actual_sha}、承認時 {expected_sha256.lower()}）",
            expected_sha256.lower(),
            actual_sha,
        )
    manifest = None
    if data is not None:
        try:
            manifest = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            found("manifest_invalid", MANIFEST, f"マニフェストが読めません: {exc}")
    if manifest is not None:
        for message in _manifest_shape(manifest):
            found("manifest_invalid", MANIFEST, message)
    checked = 0
    listed = set()
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        rel = entry.get("path") if isinstance(entry, dict) else None
        if (
            not _safe_path(rel)
            or not isinstance(entry.get("size"), int)
            or not HEX_RE.match(str(entry.get("sha256", "")))
        ):
            found(
                "manifest_invalid",
                rel if isinstance(rel, str) else None,
                f"マニフェストの {index + 1} 件目が不正です（path/size/sha256）: {rel!r}",
            )
            continue
        listed.add(rel)
        full = os.path.join(folder, *rel.split("/"))
        if os.path.islink(full) or (os.path.exists(full) and not os.path.isfile(full)):
            found("not_regular", rel, f"通常のファイルではありません（リンク等）: {rel}")
            continue
        if not os.path.exists(full):
            found("missing", rel, f"ファイルがありません: {rel}", entry["sha256"], None)
            continue
        size = os.path.getsize(full)
        if size != entry["size"]:
            found(
                "size",
                rel,
                f"サイズが違います: {rel}（{size:,} バイト、マニフェストでは {entry['size']:,} バイト）",
                entry["size"],
                size,
            )
            continue
        actual = sha256_file(full)
        if actual != entry["sha256"]:
            found(
                "changed",
                rel,
                f"内容が変更されています: {rel}（SHA-256 {actual}、マニフェストでは {entry['sha256']}）",
                entry["sha256"],
                actual,
            )
            continue
        checked += 1
    if isinstance(entries, list):
        present, odd = _walk(folder)
        for rel in present:
            if rel not in listed:
                found("extra", rel, f"マニフェストにないファイルがあります: {rel}")
        for message in odd:
            rel = message.split(": ", 1)[1]
            if rel not in listed:
                found("not_regular", rel, message)
    return _verdict(findings, manifest, actual_sha, checked)


def _verdict(findings, manifest, manifest_sha, checked) -> dict:
    return {
        "ok": not findings,
        "problems": [f["message"] for f in findings],
        "findings": findings,
        "manifest": manifest,
        "manifest_sha256": manifest_sha,
        "checked": checked,
    }
