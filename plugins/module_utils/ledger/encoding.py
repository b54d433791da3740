"""How the city's CSV exports are encoded: UTF-8 with or without BOM, else CP932 (Windows Japanese,
which keeps NEC/IBM extension kanji such as 髙 and 﨑). One reader for the HR transfer list, the
import files and the asset ledger (decode_lines also finds the rows saved in another encoding), and
the one CSV writer of the project (csv_bytes, formula-safe cells). Standard library only."""

from __future__ import annotations

import csv
import io

BOM = b"\xef\xbb\xbf"
ENCODINGS = ("auto", "utf-8-sig", "utf-8", "cp932")


class UndecodableText(ValueError):
    """The bytes are not text in the encoding asked for (or in any of the ones tried)."""

    def __init__(self, message, line):
        super().__init__(message)
        self.line = line


def decode_text(data, encoding="auto"):
    """(text, encoding used). AUTO takes UTF-8 (utf-8-sig when a BOM starts the data) when the
    bytes decode as UTF-8, else CP932. Raises UndecodableText naming the line of the first bad byte."""
    if encoding == "auto":
        if data.startswith(BOM):
            encoding = "utf-8-sig"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                encoding = "cp932"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UndecodableText(f"line {line}: bytes not valid {encoding} ({exc.reason})", line) from None


# what Python's cp932 makes of the single bytes 0x80, 0xA0, 0xFD-0xFF: no character of any real text
_CP932_NOT_TEXT = {"\x80", "\uf8f0", "\uf8f1", "\uf8f2", "\uf8f3"}


def _valid(chunk, encoding):
    """None when CHUNK is text in ENCODING, else the offset of its first bad byte."""
    try:
        text = chunk.decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    if encoding == "cp932":
        for index, ch in enumerate(text):
            if ch in _CP932_NOT_TEXT:
                return len(text[:index].encode("cp932"))
    return None


def decode_lines(data):
    """Decode line by line, for a file in which one row may have been saved in another encoding.

    Returns (text, encoding, problems). ENCODING is the file's: utf-8-sig when a BOM starts the data,
    else utf-8 or cp932 by the majority of the lines that are not plain ASCII (a CP932 file is hardly
    ever valid UTF-8, so a line valid as UTF-8 in a CP932 file is a UTF-8 row). PROBLEMS is a list of
    (line, byte offset in the line, detail) for each line not in the file's encoding: such a line is
    decoded in the encoding it is in (or with U+FFFD where it is in neither), so the rest of the row
    can still be checked. TEXT keeps every line ending as it was."""
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    lines = body.splitlines(keepends=True)
    utf8_lines = cp932_lines = 0
    for chunk in lines:
        if chunk.isascii():
            continue
        if _valid(chunk, "utf-8") is None:
            utf8_lines += 1
        else:
            cp932_lines += 1
    encoding = "utf-8-sig" if bom else "utf-8" if utf8_lines >= cp932_lines else "cp932"
    file_codec = "cp932" if encoding == "cp932" else "utf-8"
    other = "utf-8" if file_codec == "cp932" else "cp932"
    parts, problems = [], []
    for number, chunk in enumerate(lines, 1):
        if chunk.isascii():
            parts.append(chunk.decode("ascii"))
            continue
        if file_codec == "cp932" and _valid(chunk, "utf-8") is None:
            # valid UTF-8 with non-ASCII bytes: a UTF-8 row, even where the bytes also pass as CP932
            start = next(i for i, b in enumerate(chunk) if b >= 0x80)
            problems.append((number, start, "この行だけ UTF-8 で保存されています（ファイルは CP932）"))
            parts.append(chunk.decode("utf-8"))
            continue
        bad = _valid(chunk, file_codec)
        if bad is None:
            parts.append(chunk.decode(file_codec))
        elif _valid(chunk, other) is None:
            label = "CP932（Shift_JIS）" if other == "cp932" else "UTF-8"
            problems.append((number, bad, f"この行だけ {label} で保存されています（ファイルは {encoding}）"))
            parts.append(chunk.decode(other))
        else:
            problems.append((number, bad, f"UTF-8 でも CP932 でもないバイトがあります（0x{chunk[bad]:02X}）"))
            parts.append(chunk.decode(file_codec, errors="replace"))
    return "".join(parts), encoding, problems


# A cell a spreadsheet would run as a formula when the CSV is opened (OWASP "CSV injection"): one that
# starts with = + - @, or with a TAB or CR (which spreadsheets skip before a formula).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """VALUE as a spreadsheet shows it as text: a string starting like a formula gets a single quote
    in front (the OWASP rule); anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header, rows, encoding, flagged=None):
    """The CSV file every import file is written as (CRLF, ENCODING), each cell passed through
    neutralise(). FLAGGED, a list, receives (line in the file, column name, original value) of each
    neutralised cell. Raises UnicodeEncodeError on a character ENCODING cannot carry."""
    return (csv_text([header]) + csv_text(rows, columns=header, flagged=flagged)).encode(encoding)


def csv_text(rows, newline="\r\n", columns=(), flagged=None, first_line=2):
    """ROWS as CSV text, each cell passed through neutralise(), lines ended by NEWLINE (rows appended
    to an existing file keep its line endings). FLAGGED as for csv_bytes, the first row counted as file
    line FIRST_LINE and cells named by COLUMNS."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=newline)
    for number, row in enumerate(rows, first_line):
        safe = [neutralise(cell) for cell in row]
        if flagged is not None and safe != list(row):
            for column, (before, after) in enumerate(zip(row, safe, strict=True)):
                if before is not after:
                    flagged.append((number, columns[column] if column < len(columns) else "", before))
        writer.writerow(safe)
    return buf.getvalue()
