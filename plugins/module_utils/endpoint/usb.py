# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The USB device control register (USB機器管理台帳, REQUIREMENTS OPS-ENDPT §6-3(3)②): the devices the
city allows on its PCs, read from inventories/<inv>/registers/usb_devices.csv and validated whole (every
bad row named with its line), the SKYSEA device-control import file, and what changed since the register
last imported (added, removed and changed rows, in Japanese).
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from ansible.module_utils.ledger.encoding import csv_bytes, decode_lines

# column -> key; the header row is Japanese, in this order
COLUMNS = (
    ("管理番号", "id"),
    ("種別", "kind"),
    ("メーカー", "maker"),
    ("型番", "model"),
    ("シリアル番号", "serial"),
    ("ベンダーID", "vid"),
    ("プロダクトID", "pid"),
    ("所属", "department"),
    ("利用者", "user"),
    ("許可区分", "permission"),
    ("有効期限", "expires"),
    ("備考", "notes"),
)
KEY_OF = dict(COLUMNS)
NAME_OF = {key: name for name, key in COLUMNS}
REQUIRED = ("id", "kind", "maker", "model", "serial", "vid", "pid", "department", "permission")
KINDS = ("USBメモリ", "外付けHDD", "外付けSSD", "光学ドライブ", "SDカードリーダー", "スマートフォン",
         "その他")  # fmt: skip
PERMISSIONS = ("読み書き", "読み取りのみ", "禁止")
# the SKYSEA device-control setting each permission becomes
SKYSEA_PERMISSION = {"読み書き": "読み書き許可", "読み取りのみ": "読み取りのみ許可", "禁止": "使用禁止"}
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
HEX4_RE = re.compile(r"^(0[xX])?([0-9A-Fa-f]{4})$")
DATE_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")

# The SKYSEA Client View device-control import, as this project writes it: the columns follow the shape of
# the product's documented registered-device import (one row per device), standing in for the exact
# layout of the city's SKYSEA version, which is confirmed against its manual before import.
SKYSEA_COLUMNS = (
    "デバイス名",
    "デバイス種別",
    "ベンダーID",
    "プロダクトID",
    "シリアル番号",
    "許可設定",
    "対象組織",
    "利用者",
    "有効期限",
    "管理番号",
    "備考",
)
SKYSEA_FILE = "skysea_usb_devices.csv"
REGISTER_FILE = "usb_devices.csv"  # the register as last imported: the baseline of the next diff


class RegisterError(ValueError):
    def __init__(self, problems):
        super().__init__("USB機器管理台帳に誤りがあります:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


def _departments(departments) -> dict:
    """{code, name or SKYSEA group: department} of the organisation master; None for a shared name."""
    keys: dict = {}
    for dept in departments or []:
        code = str(dept.get("code", ""))
        for key in {code, str(dept.get("name", "")), str(dept.get("skysea_group", ""))} - {""}:
            keys[key] = dept if keys.get(key, dept) is dept else None
    return keys


def _date(text):
    match = DATE_RE.match(text)
    if not match:
        return None
    try:
        return datetime.date(*map(int, match.groups()))
    except ValueError:
        return None


def read(data: bytes, departments, as_of: datetime.date, name="usb_devices.csv", baseline=False) -> list:
    """The rows, normalised (vid/pid upper-case 4 hex, department code, expires ISO date or ""), each with
    its line; raises RegisterError naming every bad row by its line. BASELINE: the register as last
    imported, read only to compare - a date since passed or a department since reorganised is kept."""
    text, _encoding, bad_lines = decode_lines(data)
    problems = [f"{name} {n} 行目: {detail}（{offset + 1} バイト目）" for n, offset, detail in bad_lines]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RegisterError([f"{name}: 空です（見出し行がありません）"]) from None
    missing = [col for col in KEY_OF if col not in header]
    unknown = [h for h in header if h not in KEY_OF]
    if missing or unknown:
        what = [f"ない列: {', '.join(missing)}"] if missing else []
        what += [f"知らない列: {', '.join(unknown)}"] if unknown else []
        raise RegisterError([f"{name} 1 行目（見出し）: " + "; ".join(what)])
    depts = _departments(departments)
    rows, seen_id, seen_serial = [], {}, {}
    line = 1
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(f"{name} {line} 行目: 列の数が {len(record)} です（見出しは {len(header)} 列）")
            continue
        raw = {KEY_OF[h]: cell.strip() for h, cell in zip(header, record, strict=True)}
        bad = []
        for key in REQUIRED:
            if not raw[key]:
                bad.append(f"{NAME_OF[key]}が空です")
        if raw["id"] and not ID_RE.match(raw["id"]):
            bad.append(f"管理番号 {raw['id']!r} は英数字・-・_ の 32 文字までです")
        if raw["kind"] and raw["kind"] not in KINDS:
            bad.append(f"種別 {raw['kind']!r} は {'・'.join(KINDS)} のいずれかです")
        for key in ("vid", "pid"):
            match = HEX4_RE.match(raw[key]) if raw[key] else None
            if raw[key] and not match:
                bad.append(f"{NAME_OF[key]} {raw[key]!r} は 16 進 4 桁です（例 0781）")
            raw[key] = match.group(2).upper() if match else raw[key]
        dept = depts.get(raw["department"]) if raw["department"] else None
        if baseline and dept is None:
            dept = {"code": raw["department"], "name": "", "skysea_group": ""}
        if raw["department"] and dept is None:
            why = "所属マスタにありません"
            if raw["department"] in depts:
                why = "複数の所属に当たります（所属コードで）"
            bad.append(f"所属 {raw['department']!r} は{why}")
        if raw["permission"] and raw["permission"] not in PERMISSIONS:
            bad.append(f"許可区分 {raw['permission']!r} は {'・'.join(PERMISSIONS)} のいずれかです")
        expires = ""
        if raw["expires"]:
            day = _date(raw["expires"])
            if day is None:
                bad.append(f"有効期限 {raw['expires']!r} は日付ではありません（例 2027-03-31）")
            elif day < as_of and not baseline:
                bad.append(f"有効期限 {day.isoformat()} を過ぎています（{as_of.isoformat()} 現在）")
            else:
                expires = day.isoformat()
        if raw["id"]:
            if raw["id"] in seen_id:
                bad.append(f"管理番号 {raw['id']} が {seen_id[raw['id']]} 行目と重複しています")
            seen_id.setdefault(raw["id"], line)
        serial_key = raw["serial"].upper()
        if serial_key:
            if serial_key in seen_serial:
                bad.append(f"シリアル番号 {raw['serial']} が {seen_serial[serial_key]} 行目と重複しています")
            seen_serial.setdefault(serial_key, line)
        if bad:
            problems.append(f"{name} {line} 行目（{raw['id'] or '管理番号なし'}）: " + "; ".join(bad))
            continue
        rows.append({**raw, "department": str(dept["code"]), "department_name": str(dept.get("name", "")),
                     "skysea_group": str(dept.get("skysea_group") or dept.get("name", "")),
                     "expires": expires, "line": line})  # fmt: skip
    if problems:
        raise RegisterError(problems)
    return rows


def skysea_csv(rows, encoding="cp932") -> bytes:
    out = [[f"{r['maker']} {r['model']}", r["kind"], r["vid"], r["pid"], r["serial"],
            SKYSEA_PERMISSION[r["permission"]], r["skysea_group"], r["user"], r["expires"].replace("-", "/"),
            r["id"], r["notes"]] for r in rows]  # fmt: skip
    return csv_bytes(list(SKYSEA_COLUMNS), out, encoding)


def register_csv(rows) -> bytes:
    """The register as it was imported (UTF-8 with BOM, the columns of COLUMNS): the next diff's baseline."""
    out = [[r[key] for key in NAME_OF] for r in rows]
    return csv_bytes(list(KEY_OF), out, "utf-8-sig")


COMPARED = tuple(key for key in NAME_OF if key != "id")


def _describe(row) -> str:
    dept = row["department_name"] or row["department"]
    device = f"{row['kind']} {row['maker']} {row['model']}"
    return f"{device}（シリアル {row['serial']}、{dept}、{row['permission']}）"


def diff(previous, current) -> dict:
    """{added, removed, changed, lines_ja} between two lists of rows, by 管理番号."""
    before = {r["id"]: r for r in previous or []}
    after = {r["id"]: r for r in current}
    added = [after[i] for i in after if i not in before]
    removed = [before[i] for i in before if i not in after]
    changed = []
    for ident in after:
        if ident in before:
            old, new = before[ident], after[ident]
            keys = [k for k in COMPARED if old[k] != new[k]]
            fields = [{"column": NAME_OF[k], "before": old[k], "after": new[k]} for k in keys]
            if fields:
                changed.append({"id": ident, "fields": fields})
    lines = [f"追加: {r['id']} {_describe(r)}" for r in added]
    lines += [f"削除: {r['id']} {_describe(r)}" for r in removed]
    for change in changed:
        what = "、".join(
            f"{f['column']} {f['before'] or '（空）'} → {f['after'] or '（空）'}" for f in change["fields"]
        )
        lines.append(f"変更: {change['id']} {what}")
    return {"added": [r["id"] for r in added], "removed": [r["id"] for r in removed], "changed": changed,
            "lines_ja": lines}  # fmt: skip
