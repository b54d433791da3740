"""The registers and configuration documents (台帳・構成資料, REQUIREMENTS OPS-DOCS §6-3(4)③,
OPS-IPAM §6-3(4)④, OPS-ACCT §6-3(2)③, OPS-LIC §6-3(11)) as the city reads them: one Excel
workbook (a cover, one sheet per register with its source and read time, the changes since the last
run; A3 landscape, one page wide, the header repeated) and one HTML page with the diagrams."""

from __future__ import annotations

import unicodedata

from jichitai_ops.reports.templating import environment

TITLE = "台帳・構成資料"
HEAD = "DDE7F0"
CHANGED = "FFF4E5"
DIAGRAM_TITLES = {
    "overview": "ネットワーク構成図（全体概要）",
    "logical": "ネットワーク構成図（論理）",
    "physical": "ネットワーク構成図（物理）・UPS給電",
    "relations": "サーバ・ネットワーク機器連携図",
    "racks": "サーバラック搭載図",
}
MAX_WIDTH = {
    "software": 48,
    "groups": 60,
    "settings": 60,
    "measured": 40,
    "lagging": 60,
    "missing": 60,
    "contract": 40,
    "description": 40,
    "depends_on": 30,
    "product": 36,
    "inspections": 34,
    "findings": 60,
    "faults": 60,
    "incidents": 48,
    "restores": 48,
}


def _width(text) -> int:
    lines = str(text).split("\n")
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines)


def change_lines(change: dict) -> list[str]:
    """One line per added/removed row and changed column, in Japanese."""
    out = [f"追加: {k}" for k in change["added"]]
    out += [f"削除: {k}" for k in change["removed"]]
    out += [
        f"変更: {c['key']} の{c['label']}: {c['before'] or '（空）'} → {c['after'] or '（空）'}"
        for c in change["changed"]
    ]
    return out


def workbook(record: dict):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEAD)
    changed_fill = PatternFill("solid", fgColor=CHANGED)
    wrap = Alignment(wrap_text=True, vertical="top")
    wb = Workbook()
    cover = wb.active
    cover.title = "表紙"
    cover.append([f"{TITLE}（{record['inventory']}）"])
    cover["A1"].font = Font(bold=True, size=16)
    cover.append(["作成日時", record["read_at"]])
    cover.append(
        ["前回からの変更", f"{record['total_changes']}件" if not record["first"] else "初回（比較対象なし）"]
    )
    cover.append([])
    cover.append(["台帳", "根拠", "情報源", "取得日時", "件数", "前回からの変更"])
    for cell in cover[5]:
        cell.font, cell.fill = bold, head_fill
    changes = {c["id"]: c for c in record["changes"]}
    for reg in record["registers"]:
        ch = changes[reg["id"]]
        cover.append(
            [
                reg["title"],
                reg["clause"],
                reg["source"],
                reg["read_at"],
                len(reg["rows"]),
                "初回" if ch["first"] else f"{ch['count']}件",
            ]
        )
    cover.append([])
    cover.append(["構成図", "ファイル"])
    for cell in cover[cover.max_row]:
        cell.font, cell.fill = bold, head_fill
    for name, files in record["diagrams"].items():
        mark = "（変更あり）" if name in record["diagram_changes"] else ""
        cover.append(
            [DIAGRAM_TITLES.get(name, name) + mark, "、".join(files.get(f, "") for f in ("svg", "png"))]
        )
    for col, width in zip("ABCDEF", (34, 30, 60, 22, 8, 14), strict=True):
        cover.column_dimensions[col].width = width
    for row in cover.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    _print(cover, None)

    for reg in record["registers"]:
        ws = wb.create_sheet(
            reg["title"][:31].replace("（", "(").replace("）", ")")
            if len(reg["title"]) > 31
            else reg["title"]
        )
        ws.append([f"{reg['title']}　根拠: {reg['clause']}"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([f"情報源: {reg['source']}　取得日時: {reg['read_at']}　{len(reg['rows'])}件"])
        labels = [c[1] for c in reg["columns"]]
        ws.append(labels)
        for cell in ws[3]:
            cell.font, cell.fill = bold, head_fill
        keys = [c[0] for c in reg["columns"]]
        widths = [_width(lbl) + 2 for lbl in labels]
        touched = {c["key"] for c in changes[reg["id"]]["changed"]} | set(changes[reg["id"]]["added"])
        for row in reg["rows"]:
            values = [row.get(k, "") for k in keys]
            ws.append(values)
            for i, v in enumerate(values):
                if v:
                    widths[i] = max(widths[i], min(_width(v), MAX_WIDTH.get(keys[i], 30)) + 2)
            if str(row[reg["key"]]) in touched:
                for cell in ws[ws.max_row]:
                    cell.fill = changed_fill
        if not reg["rows"] and reg.get("empty"):
            ws.append([reg["empty"]])
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        if any(k in MAX_WIDTH for k in keys):
            for row in ws.iter_rows(min_row=4):
                for cell in row:
                    if isinstance(cell.value, str) and ("\n" in cell.value or _width(cell.value) > 30):
                        cell.alignment = wrap
        ws.auto_filter.ref = f"A3:{get_column_letter(len(keys))}{max(ws.max_row, 3)}"
        _print(ws, 3)

    ws = wb.create_sheet("前回からの変更")
    ws.append(["台帳", "区分", "キー", "項目", "変更前", "変更後"])
    for cell in ws[1]:
        cell.font, cell.fill = bold, head_fill
    for ch in record["changes"]:
        for key in ch["added"]:
            ws.append([ch["title"], "追加", key, "", "", ""])
        for key in ch["removed"]:
            ws.append([ch["title"], "削除", key, "", "", ""])
        for c in ch["changed"]:
            ws.append([ch["title"], "変更", c["key"], c["label"], str(c["before"]), str(c["after"])])
    if ws.max_row == 1:
        ws.append(["（変更なし）" if not record["first"] else "（初回のため比較対象なし）"])
    for col, width in zip("ABCDEF", (26, 8, 28, 18, 50, 50), strict=True):
        ws.column_dimensions[col].width = width
    _print(ws, 1)
    return wb


def _print(ws, title_row) -> None:
    """A3 landscape, one page wide, the header repeated on every page (the one-sheet lists of table 1)."""
    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A3
    setup.orientation = ws.ORIENTATION_LANDSCAPE
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "&A　&P / &N"
    if title_row:
        ws.freeze_panes = ws.cell(row=title_row + 1, column=1)
        ws.print_title_rows = f"{title_row}:{title_row}"


def html(record: dict) -> str:
    env = environment(change_lines=change_lines)
    return env.get_template("registers.html.j2").render(r=record, diagram_titles=DIAGRAM_TITLES, title=TITLE)
