"""Change tables: what a module changes, as the rows and Japanese columns a city official reads
(追加 / 変更 / 削除 with the values that matter), taken from the module's structured result. The raw
diff stays in the documents' appendix for engineers.

One function per module, by the module's short name; a module without one shows its diff only.
"""

from __future__ import annotations

ACTION_JA = {"add": "追加", "update": "変更", "remove": "削除"}


def _dhcp(result: dict) -> dict | None:
    changes = result.get("changes")
    if not isinstance(changes, list) or not changes:
        return None
    peers = "・".join(result.get("changed_hosts") or []) or "—"
    scoped = any("subnet" in c for c in changes)  # every scope of the pair in one call: say whose row
    rows = []
    for c in changes:
        before = c.get("before") or {}
        was = ""
        if c.get("action") == "update":
            was = f"{before.get('ip-address', '')} {before.get('hostname', '')}".strip()
        scope = [f"{c.get('scope') or ''} {c.get('subnet') or ''}".strip() or "—"] if scoped else []
        rows.append(
            [
                ACTION_JA.get(c.get("action"), c.get("action")),
                c.get("row") or "—",
                c.get("mac") or "",
                c.get("ip") or "",
                c.get("hostname") or "",
                was or "—",
                *scope,
                peers,
            ]
        )
    columns = ["操作", "台帳の行", "MAC アドレス", "IP アドレス", "ホスト名", "変更前"]
    return {
        "title": "DHCP 予約の変更",
        "columns": [*columns, *(["スコープ"] if scoped else []), "対象機器"],
        "rows": rows,
    }


def _personnel(result: dict) -> dict | None:
    people = result.get("people")
    if not isinstance(people, list) or not people:
        return None
    rows = [
        [
            p.get("staff_no", ""),
            p.get("name", ""),
            "・".join(p.get("kinds") or []),
            p.get("old_dept") or "—",
            p.get("new_dept") or "—",
            p.get("title") or "—",
            ", ".join(str(n) for n in p.get("lines") or []),
        ]
        for p in people
    ]
    return {
        "title": "異動者ごとの変更",
        "columns": ["職員番号", "氏名", "異動の種類", "旧所属", "新所属", "職名", "名簿の行"],
        "rows": rows,
    }


def _import_files(result: dict) -> dict | None:
    files = result.get("files")
    if not isinstance(files, list) or not files:
        return None
    rows = [
        [f.get("name", ""), f.get("system") or "—", f.get("rows", ""), str(f.get("sha256", ""))[:16]]
        for f in files
    ]
    return {
        "title": "取込ファイル（各システムへの取込は手順書のとおり手作業）",
        "columns": ["ファイル", "取込先", "行数", "SHA-256（先頭 16 桁）"],
        "rows": rows,
    }


def _personnel_phase(result: dict) -> dict | None:
    """A personnel transfer's phase: its people, or (a phase without people) its import files."""
    return _personnel(result) or _import_files(result)


TABLES = {
    "dhcp_reservations": _dhcp,
    "ad_personnel": _personnel,
    "import_files": _import_files,
    "personnel_phase": _personnel_phase,
}


def table(action: str, result: dict) -> dict | None:
    """The change table of one result (or loop item) of ACTION, or None."""
    make = TABLES.get(str(action).rsplit(".", 1)[-1])
    return make(result) if make and isinstance(result, dict) else None
