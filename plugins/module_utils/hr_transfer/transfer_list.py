# The HR department's transfer list (人事異動リスト, §6-3(7) OPS-MOVE): decoding, header check and
# row parsing. Every problem is collected with its line number; nothing here talks to a server.
from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace

from ansible.module_utils.ledger.encoding import UndecodableText, decode_lines, decode_text

COLUMNS = ("職員番号", "氏名", "氏名カナ", "異動区分", "旧所属", "新所属", "新職名", "発令日")

HIRE = "採用"
TRANSFER_IN = "転入"
REASSIGN = "配置換"
PROMOTION = "昇任"
CONCURRENT = "兼務"
LEAVE = "休職"
RETURN = "復職"
RETIRE = "退職"
KINDS = (HIRE, TRANSFER_IN, REASSIGN, PROMOTION, CONCURRENT, LEAVE, RETURN, RETIRE)
NEW_ACCOUNT_KINDS = (HIRE, TRANSFER_IN)

STAFF_NO = re.compile(r"^[0-9A-Za-z]{1,20}$")
ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988}
DATE_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日$"),
    re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"),
)
ERA_PATTERN = re.compile(
    r"^(?P<era>令和|平成|R|H)(?P<y>\d{1,2}|元)[年.](?P<m>\d{1,2})[月.](?P<d>\d{1,2})日?$"
)


@dataclass(frozen=True)
class Issue:
    """One problem found in the inputs, with the line it comes from (0 = not tied to a line), and
    where known the column (1-based, with its header name) and the file (its name; empty = the HR
    list, which the caller names)."""

    line: int
    message: str
    staff_no: str = ""
    column: int = 0
    column_name: str = ""
    file: str = ""

    def where(self, file=""):
        name = self.file or file
        parts = [name] if name else []
        parts.append(f"{self.line}行目" if self.line else "全体")
        if self.column:
            parts.append(f"{self.column}列目" + (f"（{self.column_name}）" if self.column_name else ""))
        elif self.column_name:
            parts.append(f"列「{self.column_name}」")
        return " ".join(parts)

    def render(self, file=""):
        who = f" 職員番号 {self.staff_no}" if self.staff_no else ""
        return f"{self.where(file)}{who}: {self.message}"


@dataclass
class Order:
    """One row of the list (発令), normalised."""

    line: int
    staff_no: str
    name: str
    kana: str
    kind: str
    old_dept: str
    new_dept: str
    new_title: str
    date: str
    raw: dict = field(default_factory=dict, repr=False)
    columns: dict = field(default_factory=dict, repr=False)  # column name -> 1-based position


def nfkc(value):
    """Width normalisation for code-like columns: full-width digits and letters become ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()


def decode(data):
    """UTF-8 with or without BOM, else CP932 (which keeps NEC/IBM extension kanji such as 髙 and 﨑)."""
    try:
        return decode_text(data)
    except UndecodableText as exc:
        raise ValueError(f"文字コードを判別できません（UTF-8 でも CP932 でもありません）: {exc}") from exc


def parse_date(value):
    """Return the ISO date for the formats HR systems export, or None."""
    text = nfkc(value).replace(" ", "")
    for pattern in DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return _iso(int(m["y"]), int(m["m"]), int(m["d"]))
    m = ERA_PATTERN.match(text)
    if m:
        year = 1 if m["y"] == "元" else int(m["y"])
        return _iso(ERAS[m["era"]] + year, int(m["m"]), int(m["d"]))
    return None


def _iso(year, month, day):
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def column_at(prefix):
    """The 1-based CSV column a position falls in, from the text of its line before it."""
    column, quoted = 1, False
    for ch in prefix:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            column += 1
    return column


def _decode_prefix(chunk):
    for codec in ("utf-8", "cp932"):
        try:
            return chunk.decode(codec)
        except UnicodeDecodeError:
            continue
    return chunk.decode("utf-8", errors="replace")


def encoding_issues(data, text, problems, header=None, file=""):
    """Issues for the lines decode_lines found in another encoding, with line and column."""
    lines = text.splitlines(keepends=True)
    raw = (data[3:] if data.startswith(b"\xef\xbb\xbf") else data).splitlines(keepends=True)
    out = []
    for number, offset, detail in problems:
        column = column_at(_decode_prefix(raw[number - 1][:offset]))
        name = header[column - 1] if header and 0 < column <= len(header) else ""
        shown = lines[number - 1].rstrip("\r\n") if number <= len(lines) else ""
        out.append(
            Issue(number, f"{detail}。行の内容: {shown[:60]}", column=column, column_name=name, file=file)
        )
    return out


def parse(data, file=""):
    """Parse the list's bytes. Returns (orders, issues, encoding); issues is empty when the list is
    usable. FILE names the list in each issue (empty: the caller names it). A row saved in another
    encoding than the rest of the file is an issue of its line and column, not mojibake."""
    issues = []
    text, encoding, problems = decode_lines(data)
    undecodable = [n for n, _o, detail in problems if detail.startswith("UTF-8 でも")]
    if undecodable and len(undecodable) == sum(1 for line in data.splitlines() if not line.isascii()):
        message = f"文字コードを判別できません（UTF-8 でも CP932 でもありません）: {undecodable[0]}行目から"
        return [], [Issue(0, message, file=file)], None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(c.strip() for c in header):
        return [], [Issue(1, "見出し行がありません（空のファイル）", file=file)], encoding
    names = [nfkc(c) for c in header]
    issues.extend(encoding_issues(data, text, problems, names, file))
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        issues.append(Issue(1, f"必須の列がありません: {', '.join(missing)}", file=file))
    dupes = sorted({c for c in names if c and names.count(c) > 1})
    if dupes:
        issues.append(Issue(1, f"列名が重複しています: {', '.join(dupes)}", file=file))
    if missing or dupes:
        return [], issues, encoding
    index = {c: names.index(c) for c in COLUMNS}
    orders = []
    start = reader.line_num + 1
    for row in reader:
        line = start
        start = reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        order, row_issues = _parse_row(line, row, index, len(names))
        issues.extend(replace(i, file=file) for i in row_issues)
        if order:
            orders.append(order)
    if not orders and not issues:
        issues.append(Issue(0, "発令が 1 件もありません", file=file))
    return orders, issues, encoding


def _parse_row(line, row, index, width):
    issues = []
    if len(row) != width:
        issues.append(Issue(line, f"列数が見出しと違います（{len(row)} 列、見出しは {width} 列）"))
        if len(row) < width:
            row = row + [""] * (width - len(row))
    cell = {c: row[i] for c, i in index.items()}

    def at(column, message):
        return Issue(line, message, staff_no, column=index[column] + 1, column_name=column)

    staff_no = nfkc(cell["職員番号"])
    name = cell["氏名"].strip()
    kana = nfkc(cell["氏名カナ"])
    kind = nfkc(cell["異動区分"])
    new_title = cell["新職名"].strip()
    if not STAFF_NO.match(staff_no):
        issues.append(at("職員番号", f"職員番号が不正です: '{cell['職員番号']}'"))
    if not name:
        issues.append(at("氏名", "氏名が空です"))
    if kind not in KINDS:
        issues.append(at("異動区分", f"異動区分 '{cell['異動区分']}' は使えません（{' / '.join(KINDS)}）"))
    date = parse_date(cell["発令日"])
    if date is None:
        issues.append(at("発令日", f"発令日が日付ではありません: '{cell['発令日']}'"))
    if kind in NEW_ACCOUNT_KINDS and not kana:
        issues.append(at("氏名カナ", f"{kind}には氏名カナが必要です"))
    if kind in NEW_ACCOUNT_KINDS + (PROMOTION,) and not new_title:
        issues.append(at("新職名", f"{kind}には新職名が必要です"))
    order = Order(
        line=line,
        staff_no=staff_no,
        name=name,
        kana=kana,
        kind=kind,
        old_dept=nfkc(cell["旧所属"]),
        new_dept=nfkc(cell["新所属"]),
        new_title=new_title,
        date=date or "",
        raw=cell,
        columns={c: i + 1 for c, i in index.items()},
    )
    return order, issues
