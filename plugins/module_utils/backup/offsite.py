# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly off-site medium (OPS-BACKUP §6-3(6)④): the decisions of its three phases.

    write     the latest generation (or a named one) of each off-site job restored and written to the
              medium as one BagIt bag (bagit.write_bag), the medium's present contents replaced, then read
              back from the device (bagit.verify uncached) before it leaves
    handover  the courier hand-over (media id, who handed it over, when, courier and slip number, where it
              is kept, when it comes back) as tags of the bag and in the courier record
    return    the medium back: read back again, the result and who received it recorded

The courier record (one JSON file per bag in the record folder, the inventory's registers/offsite/) is
the data the 遠隔地保管記録 renders; the bag's bag-info.txt carries the same hand-over data, so the
medium says where it has been even without the record.

Pure functions over data and the medium's folder; the module (library/backup_offsite.py) runs them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import posixpath
import re

from . import bagit

PHASES = ("write", "handover", "return")
# a folder the lab's 77-medium.sh makes when the kernel refuses a loop mount: "said to be a medium"
STANDIN_MARKER = ".jichitai-medium-standin"
# entries of a medium's root that are the file system's own, never replaced
FILESYSTEM_ENTRIES = ("lost+found", STANDIN_MARKER)
BAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HANDOVER_FIELDS = {
    "handed_by": "引渡者",
    "handed_at": "引渡日時",
    "courier": "運送者（セキュリティ便）",
    "slip_no": "送り状番号",
    "kept_at": "保管場所",
    "return_due": "返却予定日",
}
RETURN_FIELDS = {"returned_at": "返却日時", "received_by": "受領者"}
# bag-info.txt labels of the hand-over and the return (RFC 8493 §2.2.2 allows any other label)
HANDOVER_TAGS = {
    "handed_by": "Handed-Over-By",
    "handed_at": "Handed-Over-At",
    "courier": "Courier",
    "slip_no": "Courier-Slip-Number",
    "kept_at": "Kept-At",
    "return_due": "Return-Due",
}
RETURN_TAGS = {"returned_at": "Returned-At", "received_by": "Received-By"}
STATUS_JA = {
    "planned": "計画（未実施）",
    "written": "書込み・照合済み（引渡し前）",
    "write_failed": "書込み後の照合で異常（引き渡さない）",
    "handed_over": "遠隔地へ引渡し済み",
    "returned": "返却・照合済み",
    "return_failed": "返却後の照合で異常",
}


class OffsiteError(ValueError):
    """Inputs or a medium that the phase cannot work with; nothing has been changed."""


def _problems(problems: list[str]) -> None:
    if problems:
        raise OffsiteError("; ".join(problems))


def check_bag_name(name: str) -> str:
    if not BAG_NAME.match(name or ""):
        raise OffsiteError(f"bag name {name!r}: letters, digits, '.', '_' and '-' only (at most 64)")
    return name


def default_bag_name(today: dt.date) -> str:
    return f"offsite-{today:%Y-%m}"


def choose_snapshot(snapshots: list[dict], wanted: str | None = None) -> dict:
    """The generation to copy: the newest of SNAPSHOTS (oldest first, the engine's order), or the one
    whose id or short id starts with WANTED (at least 8 characters); OffsiteError when none or several."""
    if not snapshots:
        raise OffsiteError("the repository holds no generation")
    if not wanted or wanted == "latest":
        return snapshots[-1]
    if len(wanted) < 8:
        raise OffsiteError(f"snapshot {wanted!r}: give at least 8 characters of its id")
    found = [s for s in snapshots if str(s["id"]).startswith(wanted)]
    if len(found) != 1:
        have = ", ".join(s["short_id"] for s in snapshots)
        raise OffsiteError(
            f"snapshot {wanted!r} {'is ambiguous' if found else 'is not in the repository'} "
            f"(generations: {have})"
        )
    return found[0]


def snapshot_root(snapshot: dict) -> str:
    """The folder of a restored snapshot that becomes data/<job>/ on the medium: its one path, or the
    common parent of its paths."""
    paths = [p for p in snapshot.get("paths") or [] if p]
    if not paths:
        raise OffsiteError(f"snapshot {snapshot.get('short_id')}: no paths")
    if len(paths) == 1:
        return posixpath.normpath(paths[0])
    return posixpath.commonpath([posixpath.normpath(p) for p in paths])


def parse_ls(stdout: str, root: str) -> dict:
    """`restic ls --json <snapshot>`: the regular files under ROOT, {files, octets, links, specials}
    (links and special files cannot be bagged; the plan names how many there are)."""
    result = {"files": 0, "octets": 0, "links": 0, "specials": 0}
    root = posixpath.normpath(root)
    for line in stdout.splitlines():
        try:
            node = json.loads(line)
        except json.JSONDecodeError:
            continue
        if node.get("struct_type") != "node" or not _under(node.get("path", ""), root):
            continue
        kind = node.get("type")
        if kind == "file":
            result["files"] += 1
            result["octets"] += int(node.get("size") or 0)
        elif kind == "symlink":
            result["links"] += 1
        elif kind != "dir":
            result["specials"] += 1
    return result


def _under(path: str, root: str) -> bool:
    path = posixpath.normpath(path)
    return path == root or path.startswith(root.rstrip("/") + "/")


def snapshot_contents(engine, snapshot: dict) -> dict:
    """Files and octets of a generation under its root (restic ls); an engine without `command` (a
    product's adapter) gives `contents(snapshot_id, root)` instead."""
    root = snapshot_root(snapshot)
    if hasattr(engine, "contents"):
        return engine.contents(snapshot["id"], root)
    rc, out, err = engine.command("ls", "--json", snapshot["id"])
    if rc != 0:
        raise OffsiteError(f"restic ls {snapshot['short_id']}: {err.strip() or f'exit {rc}'}")
    return parse_ls(out, root)


def check_jobs(jobs: list[dict]) -> None:
    """Every off-site job named once, with a repository; OffsiteError naming every bad entry."""
    problems, seen = [], set()
    if not jobs:
        problems.append("no off-site job (jichitai_backup_jobs entries with offsite: true)")
    for index, job in enumerate(jobs, 1):
        name = job.get("name")
        if not name or not re.fullmatch(r"[a-z0-9-]+", str(name)):
            problems.append(f"jobs[{index}]: name {name!r} is not [a-z0-9-]+")
        elif name in seen:
            problems.append(f"jobs[{index}]: {name} given twice")
        seen.add(name)
        if not job.get("repository"):
            problems.append(f"jobs[{index}] {name}: no repository")
    _problems(problems)


def medium_state(medium: str) -> dict:
    """What the medium holds: {mounted, standin, entries: [{name, kind: bag|other, octets, files,
    tags}]} (tags: the bag's bag-info.txt as a dict). OffsiteError when MEDIUM is neither a mount point
    nor a stand-in folder (an unmounted mount point would put the copy on the backup host's own disk)."""
    if not os.path.isdir(medium):
        raise OffsiteError(f"{medium}: the medium is not there (no folder)")
    mounted = os.path.ismount(medium)
    standin = os.path.isfile(os.path.join(medium, STANDIN_MARKER))
    if not mounted and not standin:
        raise OffsiteError(
            f"{medium} is not a mounted medium (mount it first; nothing is written to a "
            "folder of the backup host itself)"
        )
    entries = []
    for name in sorted(os.listdir(medium)):
        if name in FILESYSTEM_ENTRIES:
            continue
        full = os.path.join(medium, name)
        entry = {"name": name, "kind": "other", "octets": _octets(full), "files": None, "tags": {}}
        if os.path.isfile(os.path.join(full, "bagit.txt")) and os.path.isfile(
            os.path.join(full, bagit.BAG_INFO)
        ):
            try:
                entry["tags"] = dict(bagit.read_bag_info(full))
                entry["kind"] = "bag"
                oxum = entry["tags"].get("Payload-Oxum", "")
                if re.fullmatch(r"\d+\.\d+", oxum):
                    entry["files"] = int(oxum.split(".")[1])
            except (OSError, bagit.BagError):
                pass
        entries.append(entry)
    usage = os.statvfs(medium)
    return {
        "medium": medium,
        "mounted": mounted,
        "standin": standin and not mounted,
        "entries": entries,
        "free": usage.f_bavail * usage.f_frsize,
        "size": usage.f_blocks * usage.f_frsize,
    }


def _octets(path: str) -> int:
    if os.path.isfile(path) or os.path.islink(path):
        return os.lstat(path).st_size
    total = 0
    for current, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(current, name)).st_size
    return total


def still_away(entry: dict) -> bool:
    """A bag on the medium whose tags say it was handed over and never came back."""
    tags = entry.get("tags") or {}
    return bool(tags.get("Handed-Over-At")) and not tags.get("Returned-At")


def plan_write(
    state: dict, sources: list[dict], bag_name: str, media_id: str, overwrite_unreturned: bool = False
) -> dict:
    """The write phase's plan. SOURCES: per job {job, snapshot: {id, short_id, time}, files, octets}.

    Refuses (OffsiteError) a medium whose present bag was handed over and not returned (the medium in
    the drive should be the one that came back) unless OVERWRITE_UNRETURNED, and a copy that does not fit
    (free space plus what is replaced, with 2 % and 1 MiB kept for the file system and the tag files).
    Returns {bag, media_id, sources, files, octets, replaced: [entries], needed, available, lines_ja}."""
    check_bag_name(bag_name)
    problems = []
    if not media_id or not str(media_id).strip():
        problems.append("media_id: the medium's label (媒体番号) is required")
    away = [e["name"] for e in state["entries"] if e["kind"] == "bag" and still_away(e)]
    if away and not overwrite_unreturned:
        problems.append(
            f"the medium holds {', '.join(away)}, handed over and never recorded as returned: "
            "record its return (backup_offsite_phase=return) or plan with "
            "backup_offsite_overwrite_unreturned=true"
        )
    files = sum(s["files"] for s in sources)
    octets = sum(s["octets"] for s in sources)
    replaced = list(state["entries"])
    available = state["free"] + sum(e["octets"] for e in replaced)
    needed = octets + octets // 50 + 1024 * 1024
    if needed > available:
        problems.append(
            f"the copy needs {needed:,} octets, the medium has {available:,} ({octets:,} octets of files)"
        )
    _problems(problems)
    lines = [
        f"媒体 {media_id}（{state['medium']}、"
        f"{'マウント済み' if state['mounted'] else '代替フォルダ（検証環境）'}、空き {available:,} バイト）に"
        f" {bag_name} として書き込む: {files:,} ファイル、{octets:,} バイト"
    ]
    for s in sources:
        lines.append(
            f"  - {s['job']}: 世代 {s['snapshot']['short_id']}（{s['snapshot']['time'][:19]}）"
            f" {s['files']:,} ファイル、{s['octets']:,} バイト"
        )
    if replaced:
        lines.append("媒体の現在の内容を消去して置き換える:")
        for e in replaced:
            what = (
                f"バッグ（媒体番号 {e['tags'].get('External-Identifier', '不明')}、"
                f"作成 {e['tags'].get('Bagging-Date', '不明')}、{e['files'] or 0:,} ファイル）"
                if e["kind"] == "bag"
                else "バッグ以外"
            )
            lines.append(f"  - {e['name']}: {what}、{e['octets']:,} バイト")
    else:
        lines.append("媒体は空（置き換える内容なし）")
    lines.append("書込み後、媒体から順に読み戻して全ファイルを照合する（BLAKE3、Payload-Oxum）")
    return {
        "bag": bag_name,
        "media_id": media_id,
        "sources": sources,
        "files": files,
        "octets": octets,
        "replaced": replaced,
        "needed": needed,
        "available": available,
        "lines_ja": lines,
    }


def describe_contents(state: dict) -> list[str]:
    """The medium's present contents, one line each, for the plan's before."""
    lines = []
    for e in state["entries"]:
        if e["kind"] == "bag":
            tags = e["tags"]
            where = (
                ("返却済み " + tags["Returned-At"])
                if tags.get("Returned-At")
                else ("遠隔地へ引渡し " + tags["Handed-Over-At"])
                if tags.get("Handed-Over-At")
                else "引渡し前"
            )
            lines.append(
                f"{e['name']}/ 媒体番号 {tags.get('External-Identifier', '不明')}、作成 "
                f"{tags.get('Bagging-Date', '不明')}、{e['files'] or 0:,} ファイル、"
                f"{e['octets']:,} バイト、{where}"
            )
        else:
            lines.append(f"{e['name']} （バッグ以外）{e['octets']:,} バイト")
    return lines


def write_tags(media_id: str, sources: list[dict], description: str = "") -> list[tuple[str, str]]:
    tags = [
        ("External-Identifier", media_id),
        (
            "External-Description",
            description or "ファイルサーバのバックアップ（遠隔地保管用、OPS-BACKUP §6-3(6)④）",
        ),
    ]
    for s in sources:
        tags.append((f"Source-Generation-{s['job']}", f"{s['snapshot']['id']} {s['snapshot']['time']}"))
    return tags


def _parse_time(value, label: str, problems: list[str]) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{label}: {value!r} is not an ISO 8601 date and time")
        return None
    return moment


def check_handover(handover: dict | None) -> dict:
    """The hand-over record with every field present; OffsiteError naming each missing or bad field."""
    handover = dict(handover or {})
    handover.setdefault("courier", "セキュリティ便")
    problems = [
        f"handover.{k} ({ja}) is required"
        for k, ja in HANDOVER_FIELDS.items()
        if not str(handover.get(k) or "").strip()
    ]
    handed = (
        _parse_time(handover["handed_at"], "handover.handed_at", problems)
        if handover.get("handed_at")
        else None
    )
    due = None
    if handover.get("return_due"):
        try:
            due = dt.date.fromisoformat(str(handover["return_due"])[:10])
        except ValueError:
            problems.append(f"handover.return_due: {handover['return_due']!r} is not a date (YYYY-MM-DD)")
    if handed and due and due <= handed.date():
        problems.append(f"handover.return_due {due} is not after the hand-over ({handed.date()})")
    for key, value in handover.items():
        if key not in HANDOVER_FIELDS:
            problems.append(f"handover.{key}: unknown field (known: {', '.join(HANDOVER_FIELDS)})")
        elif any(c in str(value) for c in "\r\n"):
            problems.append(f"handover.{key}: a line break in the value")
    _problems(problems)
    return {k: str(handover[k]).strip() for k in HANDOVER_FIELDS}


def check_return(returned: dict | None, handover: dict | None) -> dict:
    returned = dict(returned or {})
    problems = [
        f"returned.{k} ({ja}) is required"
        for k, ja in RETURN_FIELDS.items()
        if not str(returned.get(k) or "").strip()
    ]
    if not handover:
        problems.append("the record has no hand-over: a medium that never left cannot come back")
    when = (
        _parse_time(returned["returned_at"], "returned.returned_at", problems)
        if returned.get("returned_at")
        else None
    )
    if when and handover:
        handed = dt.datetime.fromisoformat(handover["handed_at"])
        if (when.tzinfo is None) == (handed.tzinfo is None) and when < handed:
            problems.append(f"returned.returned_at {when} is before the hand-over ({handed})")
    for key, value in returned.items():
        if key not in RETURN_FIELDS:
            problems.append(f"returned.{key}: unknown field (known: {', '.join(RETURN_FIELDS)})")
        elif any(c in str(value) for c in "\r\n"):
            problems.append(f"returned.{key}: a line break in the value")
    _problems(problems)
    return {k: str(returned[k]).strip() for k in RETURN_FIELDS}


def handover_preconditions(record: dict | None, oxum: dict) -> None:
    """A medium leaves only when its last verification passed and its files are all there now."""
    problems = []
    if not record:
        problems.append("no courier record of this bag: write the medium first (backup_offsite_phase=write)")
    else:
        checks = [v for v in record.get("verifications") or [] if v["phase"] == "write"]
        if not checks or not checks[-1]["ok"]:
            problems.append("the medium's read-back after writing did not pass: it must not leave")
        if record.get("handover") and record.get("returned") is None:
            problems.append(f"already handed over on {record['handover']['handed_at']}")
    if not oxum["ok"]:
        problems.append("Payload-Oxum differs now: " + "; ".join(p["detail"] for p in oxum["problems"]))
    _problems(problems)


def status(record: dict) -> str:
    """planned, written, write_failed, handed_over, returned, return_failed."""
    if not record.get("written"):
        return "planned"
    checks = record.get("verifications") or []
    if record.get("returned"):
        last = [v for v in checks if v["phase"] == "return"]
        return "returned" if last and last[-1]["ok"] else "return_failed"
    if record.get("handover"):
        return "handed_over"
    last = [v for v in checks if v["phase"] == "write"]
    return "written" if last and last[-1]["ok"] else "write_failed"


def verification(phase: str, result: dict, oxum: dict, at: str) -> dict:
    """One read-back of the medium for the record: the Oxum check's and the full verification's problems."""
    problems = list(oxum["problems"]) + list(result["problems"])
    return {
        "phase": phase,
        "at": at,
        "ok": oxum["ok"] and result["ok"],
        "algorithm": result["algorithm"],
        "files": result["files"],
        "octets": result["octets"],
        "seconds": result["seconds"],
        "problems": problems,
    }


def record_path(record_dir: str, bag_name: str) -> str:
    return os.path.join(record_dir, f"{check_bag_name(bag_name)}.json")


def read_record(record_dir: str, bag_name: str) -> dict | None:
    try:
        with open(record_path(record_dir, bag_name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def write_record(record_dir: str, record: dict) -> str:
    os.makedirs(record_dir, exist_ok=True)
    record = {**record, "status": status(record), "status_ja": STATUS_JA[status(record)]}
    path = record_path(record_dir, record["bag"])
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
    return path
