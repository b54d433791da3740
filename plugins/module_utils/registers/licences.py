# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The licence register (ライセンス管理台帳, REQUIREMENTS OPS-LIC §6-3(11), §5-3(13), table 2 #24-#39) against
what is installed, and the version drift of §2-2(8) ("one version everywhere").

The register is data (jichitai_licences), validated whole. What is installed comes from the asset
management's software export (SKYSEA: one row per device and product, with its version). For each
product: the contractual count, the devices it is installed on, over-use (超過) and unused licences
(余剰), and every device whose version is not the latest; products with ``required_on`` must be on every
device of those segments (SKYSEA and the antivirus, §6-3(11): devices bought outside this contract
included), so a device without it is named too.
"""

from __future__ import annotations

import csv
import io
import re

from ansible.module_utils.ledger.encoding import UndecodableText, decode_text
from ansible.module_utils.registers.model import RegisterInputError, register, segment_name

UNITS = ("device", "user", "set")
UNIT_JA = {"device": "台", "user": "ユーザ", "set": "式"}
PROCUREMENTS = ("this_contract", "other")
LICENCE_KEYS = {
    "number",
    "product",
    "count",
    "unit",
    "contract",
    "procurement",
    "match",
    "catalogue",
    "latest_version",
    "required_on",
    "roles",
    "notes",
}
EXPORT_COLUMNS = {"host": "ホスト名", "name": "ソフトウェア名", "version": "バージョン"}
NO_RE = re.compile(r"^#[0-9]{1,3}$")


def version_key(version):
    """'14.0.12980' -> (14, 0, 12980); text parts compare after numbers."""
    parts = re.split(r"[.\-_ ]", str(version or ""))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p != "")


def check_licences(licences, catalogue):
    """The licence entries, checked whole; returns them with defaults and the compiled match."""
    problems = []
    ids = {c.get("id"): c for c in catalogue or [] if isinstance(c, dict)}
    seen = set()
    out = []
    if not isinstance(licences, list) or not licences:
        raise RegisterInputError(["jichitai_licences: a non-empty list of licence entries is required"])
    for index, entry in enumerate(licences):
        where = f"jichitai_licences[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a mapping")
            continue
        no = str(entry.get("number") or "")
        where = f"{where} ({no or 'no number'})"
        unknown = sorted(str(k) for k in set(entry) - LICENCE_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {', '.join(unknown)}")
        if not NO_RE.match(no):
            problems.append(f"{where}: number must be the register number as '#24'")
        elif no in seen:
            problems.append(f"{where}: number {no} listed twice")
        seen.add(no)
        if not entry.get("product"):
            problems.append(f"{where}: no product")
        if not entry.get("contract"):
            problems.append(f"{where}: no contract reference")
        unit = entry.get("unit", "device")
        if unit not in UNITS:
            problems.append(f"{where}: unit {unit!r} is none of {', '.join(UNITS)}")
        count = entry.get("count")
        if unit != "set" and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            problems.append(f"{where}: count must be a whole number ≥ 0 (got {count!r})")
        procurement = entry.get("procurement", "this_contract")
        if procurement not in PROCUREMENTS:
            problems.append(f"{where}: procurement {procurement!r} is none of {', '.join(PROCUREMENTS)}")
        patterns = []
        for pattern in entry.get("match") or []:
            try:
                patterns.append(re.compile(str(pattern), re.IGNORECASE))
            except re.error as exc:
                problems.append(f"{where}: match {pattern!r} is not a regular expression ({exc})")
        cat = entry.get("catalogue")
        latest = entry.get("latest_version")
        if cat:
            if cat not in ids:
                problems.append(f"{where}: catalogue {cat!r} is not in the software catalogue")
            else:
                latest = latest or ids[cat].get("version")
                patterns.append(re.compile("^" + re.escape(str(ids[cat].get("name"))) + "$", re.IGNORECASE))
        if unit != "set" and not patterns:
            problems.append(
                f"{where}: counted per {unit} but no match (software names) and no catalogue entry"
            )
        required = entry.get("required_on") or []
        if not isinstance(required, list):
            problems.append(f"{where}: required_on must be a list of segments")
            required = []
        out.append(
            dict(
                entry,
                no=no,
                unit=unit,
                procurement=procurement,
                patterns=patterns,
                latest_version=str(latest) if latest else None,
                required_on=required,
            )
        )
    if problems:
        raise RegisterInputError(problems)
    return out


def read_export(data, name="export", encoding="auto", columns=None):
    """The software export's rows [{host, name, version, line}], checked whole (CP932 or UTF-8)."""
    cols = dict(EXPORT_COLUMNS, **(columns or {}))
    try:
        text, _used = decode_text(data, encoding)
    except UndecodableText as exc:
        raise RegisterInputError([f"{name}: {exc}"]) from None
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header:
        raise RegisterInputError([f"{name}: empty (a header {', '.join(cols.values())} is required)"])
    header = [h.strip() for h in header]
    missing = [label for label in cols.values() if label not in header]
    if missing:
        raise RegisterInputError([f"{name} line 1: missing columns {', '.join(missing)}"])
    at = {key: header.index(label) for key, label in cols.items()}
    rows, problems = [], []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) < len(header):
            problems.append(f"{name} line {line}: {len(values)} fields, the header has {len(header)}")
            continue
        row = {key: values[i].strip() for key, i in at.items()}
        bad = [cols[k] for k in ("host", "name", "version") if not row[k]]
        if bad:
            problems.append(f"{name} line {line}: empty {', '.join(bad)}")
            continue
        row["host"] = row["host"].lower()
        row["line"] = line
        rows.append(row)
    if problems:
        raise RegisterInputError(problems)
    return rows


def software_by_host(rows):
    found = {}
    for r in rows:
        found.setdefault(r["host"], []).append({"name": r["name"], "version": r["version"]})
    for items in found.values():
        items.sort(key=lambda s: s["name"])
    return found


def evaluate(licences, rows, hosts, segments):
    """One result per licence: counts, over/under use, lagging and missing devices."""
    known = {h["name"] for h in hosts}
    results = []
    for lic in licences:
        installs = {}
        for r in rows or []:
            if any(p.search(r["name"]) for p in lic["patterns"]):
                installs.setdefault(r["host"], r)
        latest = lic["latest_version"]
        if not latest and installs:
            # no published latest: the newest version seen is the one every device must be on
            latest = max((r["version"] for r in installs.values()), key=version_key)
        lagging = sorted(
            (h for h, r in installs.items() if latest and version_key(r["version"]) < version_key(latest)),
        )
        other = sorted(
            h for h, r in installs.items() if latest and version_key(r["version"]) > version_key(latest)
        )
        missing = []
        if lic["required_on"] and rows is not None:
            missing = sorted(
                h["name"]
                for h in hosts
                if h.get("role") == "pc"
                and h.get("segment") in lic["required_on"]
                and h["name"] not in installs
            )
        deployed = len(installs)
        result = {
            "no": lic["no"],
            "product": lic["product"],
            "unit": lic["unit"],
            "count": lic.get("count"),
            "contract": lic["contract"],
            "procurement": lic["procurement"],
            "deployed": deployed,
            "latest_version": latest or "",
            "versions": sorted({r["version"] for r in installs.values()}, key=version_key),
            "lagging": lagging,
            "lagging_versions": {h: installs[h]["version"] for h in lagging + other},
            "newer": other,
            "missing": missing,
            "outside": sorted(h for h in installs if h not in known),
            "roles": lic.get("roles") or [],
            "systems": sorted(
                h["name"]
                for h in hosts
                if h.get("role") in (lic.get("roles") or [])
                or h.get("transfer_route") in (lic.get("roles") or [])
            ),
            "required_on": [segment_name(segments, s) for s in lic["required_on"]],
        }
        if rows is None and lic["unit"] != "set":
            result["over"] = result["unused"] = 0
            result["verdict"] = "導入状況未取得（ソフトウェア資産エクスポートなし）"
        elif lic["unit"] == "set":
            result["over"] = 0
            result["unused"] = 0
            result["verdict"] = "構成あり" if result["systems"] or deployed else "対象機器なし"
        else:
            result["over"] = max(0, deployed - lic["count"])
            result["unused"] = max(0, lic["count"] - deployed)
            result["verdict"] = "超過" if result["over"] else ("余剰あり" if result["unused"] else "適正")
        if lagging or missing or other:
            result["verdict"] += "・版数不統一" if lagging or other else ""
            result["verdict"] += "・未導入あり" if missing else ""
        results.append(result)
    return results


def _names(names, limit=30):
    shown = list(names)[:limit]
    more = len(names) - len(shown)
    return "、".join(shown) + (f" ほか{more}台" if more > 0 else "")


def licence_register(results, read_at, source):
    rows = []
    for r in results:
        unit = UNIT_JA[r["unit"]]
        rows.append(
            {
                "no": r["no"],
                "product": r["product"],
                "procurement": "本契約" if r["procurement"] == "this_contract" else "他の調達",
                "count": f"{r['count']}{unit}" if r["unit"] != "set" else "1式",
                "deployed": f"{r['deployed']}台"
                if r["unit"] != "set"
                else _names(r["systems"]) or f"{r['deployed']}台",
                "over": f"{r['over']}{unit}超過" if r["over"] else "",
                "unused": f"{r['unused']}{unit}" if r["unused"] else "",
                "verdict": r["verdict"],
                "latest": r["latest_version"],
                "lagging": (f"{len(r['lagging'])}台: " + _names(r["lagging"])) if r["lagging"] else "",
                "missing": (f"{len(r['missing'])}台: " + _names(r["missing"])) if r["missing"] else "",
                "contract": r["contract"],
            }
        )
    rows.sort(key=lambda x: (x["procurement"] != "本契約", int(x["no"][1:])))
    columns = [
        ("no", "番号"),
        ("product", "製品"),
        ("procurement", "調達区分"),
        ("count", "契約数"),
        ("deployed", "導入数"),
        ("over", "超過"),
        ("unused", "余剰"),
        ("verdict", "判定"),
        ("latest", "最新版"),
        ("lagging", "旧版の機器"),
        ("missing", "未導入の機器"),
        ("contract", "契約上の根拠"),
    ]
    return register(
        "licences",
        "ライセンス管理台帳",
        "OPS-LIC §6-3(11)・§5-3(13) 表2 #24〜#39",
        source,
        read_at,
        columns,
        "no",
        rows,
    )


def version_register(results, read_at, source):
    """版数の統一状況: one row per device and product that is not on the latest version."""
    out = []
    for res in results:
        for host in res["lagging"] + res["newer"]:
            version = res["lagging_versions"].get(host, "")
            out.append(
                {
                    "key": f"{host} {res['no']}",
                    "host": host,
                    "product": res["product"],
                    "no": res["no"],
                    "version": version,
                    "latest": res["latest_version"],
                    "state": "旧版" if host in res["lagging"] else "最新版より新しい",
                }
            )
        for host in res["missing"]:
            out.append(
                {
                    "key": f"{host} {res['no']}",
                    "host": host,
                    "product": res["product"],
                    "no": res["no"],
                    "version": "",
                    "latest": res["latest_version"],
                    "state": "未導入",
                }
            )
    out.sort(key=lambda r: (r["no"], r["host"]))
    columns = [
        ("host", "ホスト名"),
        ("no", "番号"),
        ("product", "製品"),
        ("version", "導入版"),
        ("latest", "最新版"),
        ("state", "状態"),
    ]
    return register(
        "versions",
        "版数の統一状況（最新版でない機器）",
        "OPS-LIC §6-3(11)・§2-2(8)",
        source,
        read_at,
        columns,
        "key",
        out,
    )
