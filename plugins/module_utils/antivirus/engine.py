# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an endpoint's ClamAV engine holds: its signature databases, read from `sigtool --info` (or a
CVD/CLD/CUD container's 512-byte header) for the versioned containers, and from the file's modification
time for the plain signature files (.ndb, .hdb, .ldb, ...), which carry no version.

The endpoint's definitions are as new as its newest versioned container (as ClamAV reports the daily
database); with none, as its newest plain file."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping

CONTAINERS = (".cvd", ".cld", ".cud")
SIGNATURES = (
    ".ndb",
    ".hdb",
    ".hsb",
    ".ldb",
    ".mdb",
    ".msb",
    ".ndu",
    ".ldu",
    ".hdu",
    ".cdb",
    ".cbc",
    ".fp",
    ".sfp",
    ".ign2",
    ".idb",
    ".ftm",
    ".pdb",
    ".wdb",
    ".yar",
    ".yara",
)
UTC = datetime.UTC


class AvEngineError(ValueError):
    """An engine's database listing that cannot be read; the message names the endpoint or file."""


def _build_time(text, where):
    for fmt in ("%d %b %Y %H:%M %z", "%d %b %Y %H-%M %z"):
        try:
            return datetime.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise AvEngineError(f"{where}: build time {text!r} is not ClamAV's 'DD Mon YYYY HH:MM +ZZZZ'")


def sigtool_info(text, where="sigtool --info"):
    """`sigtool --info=FILE` output -> {version, build_time, signatures, builder, verification}."""
    fields = {}
    for line in str(text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()
    if "build time" not in fields or "version" not in fields:
        raise AvEngineError(f"{where}: no 'Build time' and 'Version' in sigtool's output")
    try:
        version = int(fields["version"])
        signatures = int(fields["signatures"]) if fields.get("signatures") else None
    except ValueError:
        raise AvEngineError(f"{where}: version or signature count is not a number") from None
    return {
        "version": version,
        "build_time": _build_time(fields["build time"], where),
        "signatures": signatures,
        "builder": fields.get("builder") or None,
        "verification": fields.get("verification") or None,
    }


def cvd_header(data, where="header"):
    """A container's header ``ClamAV-VDB:time:version:sigs:flevel:md5:dsig:builder:stime`` (the first
    512 bytes, space-padded) -> the same keys as sigtool_info; stime, when present, is the exact time."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else str(data)
    parts = text[:512].rstrip(" \0\n").split(":")
    if len(parts) < 8 or parts[0] != "ClamAV-VDB":
        raise AvEngineError(f"{where}: not a ClamAV database header")
    try:
        version, signatures = int(parts[2]), int(parts[3])
    except ValueError:
        raise AvEngineError(f"{where}: version or signature count is not a number") from None
    build = _build_time(parts[1], where)
    if len(parts) > 8 and parts[8].strip().isdigit():
        build = datetime.datetime.fromtimestamp(int(parts[8].strip()), UTC)
    return {
        "version": version,
        "build_time": build,
        "signatures": signatures,
        "builder": parts[7] or None,
        "verification": "unsigned" if parts[6] == "X" else "signed",
    }


def _moment(value, where):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.astimezone()
    try:
        return datetime.datetime.fromtimestamp(float(value), UTC)
    except (TypeError, ValueError):
        raise AvEngineError(f"{where}: mtime {value!r} is not a time in seconds") from None


def definitions(endpoint):
    """One endpoint's engine as the role read it -> its definitions.

    endpoint: {host, databases: [{path, mtime, info?}], update?: {rc, ran, stdout?}}, info being the
    output of `sigtool --info` for a container. Returns {host, databases (each with name, kind,
    version, build_time or mtime), version, updated_at (aware datetime or None), basis
    (container|file|none), update_ok (True/False/None when not run)}."""
    if not isinstance(endpoint, Mapping) or not endpoint.get("host"):
        raise AvEngineError("engine endpoint: no host")
    host = str(endpoint["host"])
    rows = endpoint.get("databases") or []
    if not isinstance(rows, list):
        raise AvEngineError(f"{host}: databases is not a list")
    databases = []
    for row in rows:
        if not isinstance(row, Mapping) or not row.get("path"):
            raise AvEngineError(f"{host}: a database entry has no path")
        name = os.path.basename(str(row["path"]))
        ext = os.path.splitext(name)[1].lower()
        if ext not in CONTAINERS + SIGNATURES:
            continue  # freshclam.dat, .info and other bookkeeping
        entry = {
            "name": name,
            "kind": "container" if ext in CONTAINERS else "signatures",
            "mtime": _moment(row.get("mtime"), f"{host} {name}"),
        }
        if ext in CONTAINERS:
            info = row.get("info")
            if isinstance(info, Mapping):
                parsed = dict(info)
            elif info:
                parsed = sigtool_info(info, f"{host} {name}")
            else:
                raise AvEngineError(f"{host} {name}: a versioned database read without sigtool --info")
            entry.update(
                version=parsed["version"],
                build_time=parsed["build_time"],
                signatures=parsed.get("signatures"),
                builder=parsed.get("builder"),
            )
        databases.append(entry)
    databases.sort(key=lambda d: d["name"])
    containers = [d for d in databases if d["kind"] == "container"]
    if containers:
        newest = max(containers, key=lambda d: d["build_time"])
        basis, updated = "container", newest["build_time"]
        version = "、".join(f"{os.path.splitext(d['name'])[0]} {d['version']}" for d in containers)
    elif databases:
        basis, updated = "file", max(d["mtime"] for d in databases)
        version = "版数なし（カスタム定義 " + "、".join(d["name"] for d in databases) + "）"
    else:
        basis, updated, version = "none", None, "定義ファイルなし"
    update = endpoint.get("update") or {}
    update_ok = None
    if update.get("ran"):
        update_ok = update.get("rc") == 0
    fetched = bool(update.get("fetched")) if update.get("ran") else None
    return {
        "host": host,
        "databases": databases,
        "version": version,
        "updated_at": updated,
        "basis": basis,
        "update_ok": update_ok,
        "fetched": fetched,
        "update_detail": str(update.get("detail") or ""),
    }


def _results(value):
    if isinstance(value, Mapping):
        return list(value.get("results") or [])
    return list(value or [])


def reads(engines, found, infos, updates=None):
    """The role's registered results joined per engine, as definitions() and the module take them.

    engines: the role's list of {host, database_dir, freshclam_config?}; found: the looped find results
    (one per engine, in order); infos: the looped `sigtool --info` results (item = a file's path);
    updates: the looped freshclam results (item = the engine), skipped in check mode."""
    info_of = {}
    for result in _results(infos):
        if result.get("skipped"):
            continue
        path = str(result.get("item"))
        if result.get("rc") != 0:
            raise AvEngineError(
                f"{path}: sigtool --info failed: {str(result.get('stderr') or result.get('stdout'))[:200]}"
            )
        info_of[path] = result.get("stdout") or ""
    update_of = {}
    for result in _results(updates):
        item = result.get("item") or {}
        host = item.get("host") if isinstance(item, Mapping) else None
        if not host:
            continue
        if result.get("skipped"):
            update_of[host] = {"ran": False}
            continue
        tail = [
            line
            for line in (
                str(result.get("stdout") or "") + "\n" + str(result.get("stderr") or "")
            ).splitlines()
            if line.strip().startswith(("ERROR", "WARNING: Can't", "Can't"))
        ]
        update_of[host] = {
            "ran": True,
            "rc": result.get("rc"),
            "fetched": " updated (" in str(result.get("stdout") or ""),
            "detail": " / ".join(tail[-3:]),
        }
    listed = _results(found)
    out = []
    for index, engine in enumerate(engines or []):
        if not isinstance(engine, Mapping) or not engine.get("host"):
            raise AvEngineError(f"engine #{index + 1}: no host")
        result = listed[index] if index < len(listed) else {}
        if result.get("failed"):
            raise AvEngineError(
                f"{engine['host']}: cannot list {engine.get('database_dir')}: {result.get('msg', '')}"
            )
        databases = [
            {"path": f["path"], "mtime": f.get("mtime"), "info": info_of.get(f["path"])}
            for f in result.get("files") or []
        ]
        entry = {"host": str(engine["host"]), "databases": databases}
        if engine["host"] in update_of:
            entry["update"] = update_of[engine["host"]]
        out.append(entry)
    return out
