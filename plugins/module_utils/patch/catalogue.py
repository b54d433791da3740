# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The WSUS catalogue as ConvertTo-Json gives it, read into plain rows; every bad row named.

One row per update, as ``Get-WsusUpdate`` returns it (a WsusUpdate object: ``Update`` is the
IUpdate with ``Id.UpdateId``, ``Title``, ``KnowledgebaseArticles``, ``UpdateClassificationTitle``,
``ProductTitles``, ``CreationDate``, ``ArrivalDate``, ``IsSuperseded``, ``IsDeclined``; beside it
``Approved``, ``Classification``, ``Products``, ``ComputersNeedingThisUpdate``,
``ComputersInstalledOrNotApplicable``, ``ComputersWithErrors``), to which the role's read script
(roles/patch_approve/files/read_catalogue.ps1) adds what the cmdlet leaves out:
``SupersededBy`` (ids of IUpdate.GetRelatedUpdates(UpdatesThatSupersedeThisUpdate)) and
``TargetGroups`` (per target group of the policy's rings: ``Approval`` from GetUpdateApprovals and
the counts of GetSummaryForComputerTargetGroup).

Quirks of Windows PowerShell 5.1 that are read here: a pipeline of one object serialises as that
object, not a list (the catalogue, ``TargetGroups``, ``KnowledgebaseArticles``); dates are
``/Date(ms)/``; enums may come as ansible.windows' ``{Type, String, Value}``; a file written with
``Out-File`` is UTF-16 with a byte-order mark.
"""

from __future__ import annotations

import json
import re

from .dates import japan_day

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KB = re.compile(r"^(?:KB)?(\d{6,8})$", re.I)
SUMMARY_COUNTS = (
    "NotInstalledCount",
    "DownloadedCount",
    "InstalledCount",
    "InstalledPendingRebootCount",
    "FailedCount",
    "NotApplicableCount",
    "UnknownCount",
)
APPROVALS = {
    "install": "Install",
    "notapproved": "NotApproved",
    "uninstall": "Uninstall",
    "all": "All",
    "declined": "Declined",
}


def decode_text(raw: bytes) -> str:
    """Catalogue file bytes as text: UTF-8 (with or without BOM) or UTF-16 with its BOM (Out-File)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def as_list(value) -> list:
    """A PowerShell collection: None is empty, one object alone is a list of one."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def normalise_kb(value) -> str | None:
    match = KB.match(str(value).strip()) if value is not None else None
    return f"KB{match.group(1)}" if match else None


def _text(value) -> str:
    """An enum as ansible.windows returns it ({Type, String, Value}) or a plain value, as text."""
    if isinstance(value, dict) and "String" in value:
        value = value["String"]
    return "" if value is None else str(value).strip()


def _bool(value, name, problems):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    problems.append(f"{name} が真偽値ではありません: {value!r}")
    return False


def _count(value, name, problems) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.append(f"{name} が 0 以上の整数ではありません: {value!r}")
        return 0
    return value


def load(source) -> tuple[dict, list]:
    """(header, rows) of a catalogue: a JSON text, a list of updates, one update alone, or the read
    script's document {Server, CollectedAt, Updates}."""
    if isinstance(source, bytes):
        source = decode_text(source)
    if isinstance(source, str):
        try:
            source = json.loads(source.lstrip("\ufeff"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"カタログが JSON として読めません: {exc}") from None
    if isinstance(source, dict) and "Updates" in source:
        header = {k: v for k, v in source.items() if k != "Updates"}
        return header, as_list(source["Updates"])
    if isinstance(source, (dict, list)):
        return {}, as_list(source)
    raise ValueError(f"カタログの形が違います（更新プログラムの一覧ではありません）: {type(source).__name__}")


def _groups(row, where, problems) -> dict:
    groups = {}
    for g_index, group in enumerate(as_list(row.get("TargetGroups")), start=1):
        if not isinstance(group, dict) or not _text(group.get("Name")):
            problems.append(f"{where}: TargetGroups の {g_index} 件目に Name がありません")
            continue
        name = _text(group["Name"])
        approval = _text(group.get("Approval")) or "NotApproved"
        if approval.replace(" ", "").lower() not in APPROVALS:
            problems.append(f"{where}: 対象グループ {name} の Approval が不明です: {approval!r}")
        entry = {"approval": APPROVALS.get(approval.replace(" ", "").lower(), approval)}
        for key in SUMMARY_COUNTS:
            entry[key] = _count(group.get(key), f"{where}: 対象グループ {name} の {key}", problems)
        entry["reported"] = any(key in group for key in SUMMARY_COUNTS)
        groups[name] = entry
    return groups


def parse_row(row, index: int, problems: list) -> dict | None:
    """One update as a plain dict; its problems appended, each naming the row (1-based) and update."""
    if not isinstance(row, dict):
        problems.append(f"行 {index}: 更新プログラムのオブジェクトではありません: {row!r}"[:200])
        return None
    update = row.get("Update") if isinstance(row.get("Update"), dict) else {}
    ident = update.get("Id") if isinstance(update.get("Id"), dict) else {}
    update_id = _text(ident.get("UpdateId") or row.get("UpdateId"))
    title = _text(update.get("Title") or row.get("Title"))
    where = f"行 {index}（{update_id or 'UpdateId なし'}{' ' + title[:40] if title else ''}）"
    mine: list = []
    if not GUID.match(update_id):
        mine.append(f"{where}: UpdateId が GUID ではありません: {update_id!r}")
    if not title:
        mine.append(f"{where}: Title がありません")
    kbs = []
    for kb in as_list(update.get("KnowledgebaseArticles")):
        normal = normalise_kb(kb)
        if normal is None:
            mine.append(f"{where}: KnowledgebaseArticles の {kb!r} が KB 番号ではありません")
        else:
            kbs.append(normal)
    classification = _text(update.get("UpdateClassificationTitle") or row.get("Classification"))
    if not classification:
        mine.append(f"{where}: 分類（UpdateClassificationTitle）がありません")
    products = [_text(p) for p in as_list(update.get("ProductTitles"))] or (
        [_text(row["Products"])] if _text(row.get("Products")) else []
    )
    if not products:
        mine.append(f"{where}: 製品（ProductTitles）がありません")
    days = {}
    for key in ("CreationDate", "ArrivalDate"):
        raw = update.get(key)
        if raw is None:
            if key == "CreationDate":
                mine.append(f"{where}: 公開日（CreationDate）がありません")
            continue
        try:
            days[key] = japan_day(raw)
        except ValueError as exc:
            mine.append(f"{where}: {key} が読めません: {exc}")
    approved = _text(row.get("Approved"))
    superseded_by = [_text(s) for s in as_list(row.get("SupersededBy")) if _text(s)]
    parsed = {
        "update_id": update_id.lower(),
        "revision": ident.get("RevisionNumber"),
        "title": title,
        "kbs": kbs,
        "classification": classification,
        "products": products,
        "release_date": days.get("CreationDate"),
        "arrival_date": days.get("ArrivalDate"),
        "superseded": _bool(update.get("IsSuperseded"), f"{where}: IsSuperseded", mine),
        "declined": _bool(update.get("IsDeclined"), f"{where}: IsDeclined", mine) or approved == "Declined",
        "superseded_by": superseded_by,
        "needed": _count(row.get("ComputersNeedingThisUpdate"), f"{where}: ComputersNeedingThisUpdate", mine),
        "installed_or_na": _count(
            row.get("ComputersInstalledOrNotApplicable"), f"{where}: ComputersInstalledOrNotApplicable", mine
        ),
        "failed": _count(row.get("ComputersWithErrors"), f"{where}: ComputersWithErrors", mine),
        "groups": _groups(row, where, mine),
    }
    problems.extend(mine)
    return None if mine else parsed


def parse(source) -> tuple[dict, list, list]:
    """(header, updates, problems): every row is read and every problem of every row named."""
    problems: list = []
    try:
        header, rows = load(source)
    except ValueError as exc:
        return {}, [], [str(exc)]
    updates, seen = [], {}
    for index, row in enumerate(rows, start=1):
        parsed = parse_row(row, index, problems)
        if parsed is None:
            continue
        first = seen.get(parsed["update_id"])
        if first:
            problems.append(f"行 {index}: UpdateId {parsed['update_id']} が行 {first} と重複しています")
            continue
        seen[parsed["update_id"]] = index
        updates.append(parsed)
    if not rows:
        problems.append("カタログに更新プログラムが 1 件もありません")
    return header, updates, problems
