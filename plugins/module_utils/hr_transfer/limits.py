# Every value of a personnel transfer checked against every target it will reach (§6-3(7) OPS-MOVE),
# before the first change: the directory's attribute limits and allowed characters, and each import
# file's encoding. A value that one of them would refuse in the middle of an apply (after OUs, groups
# and accounts already exist) or that would crash the import-file step is an input error here, with
# its file, line and column, like the parser's. Pure functions (check_inputs reads the ledger file).
from __future__ import annotations

import csv
import io
import os
import unicodedata
from dataclasses import dataclass, field

from ansible.module_utils.hr_transfer.transfer_list import Issue, encoding_issues
from ansible.module_utils.ledger.encoding import decode_lines

# Active Directory attribute limits (rangeUpper of the schema) and sAMAccountName's rules
SAM_MAX = 20
SAM_FORBIDDEN = set('"/\\[]:;|=,+*?<>@')
CN_MAX = 64
DISPLAY_NAME_MAX = 256
NAME_PART_MAX = 64  # sn, givenName
TITLE_MAX = 128
PHONETIC_MAX = 256  # msDS-PhoneticDisplayName
DEPARTMENT_MAX = 64  # department, and the OU name

LINE_BREAKS = {
    "\n": "LF",
    "\r": "CR",
    "\t": "TAB",
    "\v": "VT",
    "\f": "FF",
    "\x85": "NEL",
    "\u2028": "LS",
    "\u2029": "PS",
}
BIDI = {
    "\u061c": "ALM",
    "\u200e": "LRM",
    "\u200f": "RLM",
    "\u202a": "LRE",
    "\u202b": "RLE",
    "\u202c": "PDF",
    "\u202d": "LRO",
    "\u202e": "RLO",
    "\u2066": "LRI",
    "\u2067": "RLI",
    "\u2068": "FSI",
    "\u2069": "PDI",
}
# the blocks whose characters look like kanji but are radicals, pasted from PDFs and word processors:
# ⾧ (U+2FA7) is not 長, so 課⾧ is not a manager title and the manager-group rule would silently fail
RADICAL_BLOCKS = ((0x2E80, 0x2EFF), (0x2F00, 0x2FDF))

# the text columns of the HR list, each with the directory attribute it becomes and its limit
HR_TEXT = {
    "氏名": ("displayName", DISPLAY_NAME_MAX),
    "氏名カナ": ("msDS-PhoneticDisplayName", PHONETIC_MAX),
    "新職名": ("title", TITLE_MAX),
    "旧所属": ("", 0),
    "新所属": ("", 0),
}
NO_LINE_BREAK = ("氏名", "氏名カナ", "新職名")
EXPORTS = "SKYSEA・ワークフロー・転送システムの取込ファイルと plan_by_person.csv"


def _name(ch):
    return unicodedata.name(ch, "")


def character_problems(value, *, encoding="cp932", single_line=True, target=EXPORTS):
    """[(1-based character position, message)] for the characters of VALUE that a target refuses or
    that would silently change a rule: control characters (NUL...), line breaks and tabs in a one-line
    value, bidirectional and other invisible format characters, radicals in place of kanji, and
    characters ENCODING cannot carry (None: no file is written, the directory alone counts)."""
    out = []
    for pos, ch in enumerate(value, 1):
        code = f"U+{ord(ch):04X}"
        if ch in LINE_BREAKS:
            if single_line:
                out.append((pos, f"改行・タブ（{LINE_BREAKS[ch]}, {code}）は使えません（1 行の値です）"))
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            label = "NUL" if ch == "\x00" else "制御文字"
            out.append((pos, f"{label}（{code}）は使えません（AD が拒否し、取込ファイルを壊します）"))
            continue
        if ch in BIDI:
            out.append((pos, f"双方向制御文字 {BIDI[ch]}（{code}）は使えません（表示順を偽装できます）"))
            continue
        if category in ("Cf", "Co", "Cs", "Cn") and not (category == "Co" and _encodes(ch, encoding)):
            what = "見えない書式文字" if category == "Cf" else "文字として定義されていない符号"
            out.append((pos, f"{what}（{code} {_name(ch)}）は使えません"))
            continue
        if any(lo <= ord(ch) <= hi for lo, hi in RADICAL_BLOCKS):
            fixed = unicodedata.normalize("NFKC", ch)
            hint = "漢字に直してください"
            if fixed != ch:
                hint = f"「{fixed}」（U+{ord(fixed):04X}）に直してください"
            out.append(
                (
                    pos,
                    f"部首の文字「{ch}」（{code} {_name(ch)}）は漢字ではありません。{hint}"
                    "（職名なら管理職の判定も外れます）",
                )
            )
            continue
        if encoding and not _encodes(ch, encoding):
            fixed = unicodedata.normalize("NFKC", ch)
            hint = (
                f"互換文字です。「{fixed}」に直してください"
                if fixed != ch and _encodes(fixed, encoding)
                else "人事課で代わりの字（例: 𠮷→吉）に直すか、外字の扱いを決めてください"
            )
            out.append((pos, f"「{ch}」（{code}）は {encoding.upper()} で書けません（{target}）。{hint}"))
    return out


def _encodes(ch, encoding):
    if not encoding:
        return True
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _cell_issue(line, column, column_name, message, staff_no="", file=""):
    return Issue(line, message, staff_no, column=column, column_name=column_name, file=file)


def order_problems(order, *, account_prefix="u", encoding="cp932"):
    """Issues of one HR-list order against the directory and the import files."""
    issues = []
    cols = order.columns or {}

    def add(column, message):
        issues.append(_cell_issue(order.line, cols.get(column, 0), column, message, order.staff_no))

    # the account: sAMAccountName = prefix + staff number (20), cn the same (64)
    account = f"{account_prefix}{order.staff_no}"
    if order.staff_no and len(account) > SAM_MAX:
        add(
            "職員番号",
            f"アカウント名 {account} が {len(account)} 文字です"
            f"（AD の sAMAccountName は {SAM_MAX} 文字まで）",
        )
    values = {
        "氏名": order.name,
        "氏名カナ": order.kana,
        "新職名": order.new_title,
        "旧所属": order.old_dept,
        "新所属": order.new_dept,
    }
    for column, value in values.items():
        if not value:
            continue
        attribute, limit = HR_TEXT[column]
        if limit and len(value) > limit:
            add(column, f"{len(value)} 文字あります（AD の {attribute} は {limit} 文字まで）")
        for pos, message in character_problems(value, encoding=encoding, single_line=column in NO_LINE_BREAK):
            add(column, f"{pos}文字目: {message}")
    parts = order.name.replace("\u3000", " ").split(" ", 1)
    for label, part in zip(("姓（sn）", "名（givenName）"), parts, strict=False):
        if len(part.strip()) > NAME_PART_MAX:
            add("氏名", f"{label}が {len(part.strip())} 文字あります（AD は {NAME_PART_MAX} 文字まで）")
    return issues


def prefix_problems(account_prefix):
    bad = sorted({ch for ch in account_prefix if ch in SAM_FORBIDDEN or unicodedata.category(ch)[0] in "CZ"})
    if not bad:
        return []
    return [
        Issue(
            0,
            f"account_prefix '{account_prefix}' に sAMAccountName に使えない文字があります: "
            + " ".join(repr(ch) for ch in bad),
            column_name="account_prefix",
            file="モジュール引数",
        )
    ]


@dataclass
class Table:
    """A CSV input read for checking: its name, encoding, header and rows with their line numbers."""

    file: str
    encoding: str
    header: list
    rows: list  # [(line, {column: value})]
    issues: list = field(default_factory=list)


def read_table(data, file):
    """Decode (line by line: a row in another encoding is an issue of its line and column) and read."""
    text, encoding, problems = decode_lines(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None) or []
    issues = encoding_issues(data, text, problems, header, file)
    rows = []
    start = reader.line_num + 1
    for row in reader:
        line = start
        start = reader.line_num + 1
        if not row:  # as csv.DictReader: only a line with no cell at all is skipped
            continue
        rows.append((line, dict(zip(header, row + [""] * (len(header) - len(row)), strict=False))))
    return Table(file, encoding, header, rows, issues)


def ledger_output_encoding(encoding):
    """The encoding the updated ledger copy is written in (as the city's ledger tool reads it)."""
    return "utf-8-sig" if encoding == "utf-8-sig" else "cp932"


PERSON_VIEW_COLUMNS = ("資産番号", "種別", "所属", "設置場所", "利用者")


def ledger_problems(table, encoding="cp932"):
    """Cells of the PC ledger that the updated ledger copy or plan_by_person.csv cannot carry."""
    issues = list(table.issues)
    bad_lines = {i.line for i in table.issues}
    ledger_enc = ledger_output_encoding(table.encoding)
    for line, row in table.rows:
        if line in bad_lines:
            continue
        for index, column in enumerate(table.header, 1):
            value = row.get(column, "")
            if not value or value.isascii():
                continue
            targets = []
            if ledger_enc == "cp932":
                targets.append("pc_assets.csv")
            if encoding == "cp932" and column in PERSON_VIEW_COLUMNS:
                targets.append("plan_by_person.csv")
            if not targets:
                continue
            for pos, ch in enumerate(value, 1):
                if not _encodes(ch, "cp932"):
                    issues.append(
                        _cell_issue(
                            line,
                            index,
                            column,
                            f"{pos}文字目: 「{ch}」（U+{ord(ch):04X}）は CP932 で書けません"
                            f"（{'・'.join(targets)}）",
                            file=table.file,
                        )
                    )
    return issues


def organisation_problems(orgs, encoding="cp932"):
    """Names of the organisation masters that reach the directory and the import files."""
    issues, seen = [], set()
    for label, org in orgs:
        for code, dept in sorted(org.departments.items()):
            for column, value, limit in (
                ("name", dept.name, DEPARTMENT_MAX),
                ("division", dept.division, 0),
                ("skysea_group", dept.skysea_group, 0),
            ):
                key = (label, code, column, value)
                if key in seen or not value:
                    continue
                seen.add(key)
                where = f"{label} 所属コード {code} の {column}"
                if limit and len(value) > limit:
                    issues.append(
                        Issue(0, f"{where}: {len(value)} 文字あります（AD は {limit} 文字まで）", file=label)
                    )
                for pos, message in character_problems(value, encoding=encoding):
                    issues.append(Issue(0, f"{where}: {pos}文字目: {message}", file=label))
    return issues


def target_problems(orders, *, account_prefix="u", encoding="cp932", ledger=None, orgs=()):
    """Every problem of the inputs against the targets they reach, as issues: the HR list's orders
    (issues without a file: the caller names the list), the account prefix, the PC ledger (a Table)
    and the organisation masters ([(label, Organisation)]). Pure: nothing is read or written."""
    issues = prefix_problems(account_prefix)
    for order in orders:
        issues.extend(order_problems(order, account_prefix=account_prefix, encoding=encoding))
    if ledger is not None:
        issues.extend(ledger_problems(ledger, encoding))
    issues.extend(organisation_problems(orgs, encoding))
    return issues


def check_inputs(params, orders, current, nxt):
    """target_problems for a module's parameters: (issues of the HR list, issues of other inputs).
    The files' encoding and the ledger count for the module that writes the import files
    (import_files, which the role runs before any other change); a module without an `encoding`
    option checks what the directory refuses."""
    encoding = params.get("encoding")
    ledger = None
    if params.get("ledger"):
        with open(params["ledger"], "rb") as handle:
            ledger = read_table(handle.read(), os.path.basename(params["ledger"]))
    orgs = [("現行の所属マスタ", current)] + ([("新しい所属マスタ", nxt)] if nxt is not current else [])
    issues = target_problems(
        orders,
        account_prefix=params.get("account_prefix") or "",
        encoding=encoding,
        ledger=ledger,
        orgs=orgs,
    )
    return [i for i in issues if not i.file], [i for i in issues if i.file]
