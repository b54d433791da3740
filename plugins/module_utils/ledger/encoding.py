"""How the city's CSV exports are encoded: UTF-8 with or without BOM, else CP932 (Windows Japanese,
which keeps NEC/IBM extension kanji such as 髙 and 﨑). One reader for the HR transfer list, the
import files and the asset ledger. Standard library only."""

from __future__ import annotations

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
