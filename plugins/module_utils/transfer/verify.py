# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a transfer probe checks on the file that arrived: the clean file byte-identical, the macro
document without VBA (oletools), the PDF without JavaScript (pikepdf)."""

import hashlib
import io

try:
    from oletools.olevba import VBA_Parser

    HAS_OLETOOLS = True
except ImportError:
    HAS_OLETOOLS = False
try:
    import pikepdf

    HAS_PIKEPDF = True
except ImportError:
    HAS_PIKEPDF = False

EXPECTATIONS = ("unchanged", "macro_removed", "javascript_removed", "blocked")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def has_macros(name, data):
    parser = VBA_Parser(name, data=data)
    try:
        return bool(parser.detect_vba_macros())
    finally:
        parser.close()


def javascript_in(data):
    """Where a PDF carries JavaScript: /Names /JavaScript, an /OpenAction or /AA action, any /JS."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = pdf.Root.get("/Names")
        if names is not None and "/JavaScript" in names:
            found.append("/Names /JavaScript")
        if "/OpenAction" in pdf.Root:
            found.append("/OpenAction")
        if "/AA" in pdf.Root:
            found.append("/AA")
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and (
                "/JS" in obj or obj.get("/S") == pikepdf.Name.JavaScript
            ):
                found.append(f"object {obj.objgen[0]} {'/JS' if '/JS' in obj else '/S /JavaScript'}")
    return found


def check(expect, name, sent, received):
    """Problems of the received bytes against what the probe expects ([] = as expected)."""
    if expect == "unchanged":
        if received != sent:
            return [
                f"{name}: 内容が変わりました"
                f"（送信 sha256 {sha256(sent)[:16]}…、受信 {sha256(received)[:16]}…）"
            ]
        return []
    if expect == "macro_removed":
        if not has_macros(name, sent):
            return [f"{name}: 試験文書にマクロがありません（試験文書の誤り）"]
        return [f"{name}: 受信した文書にマクロが残っています"] if has_macros(name, received) else []
    if expect == "javascript_removed":
        if not javascript_in(sent):
            return [f"{name}: 試験文書に JavaScript がありません（試験文書の誤り）"]
        left = javascript_in(received)
        return [f"{name}: 受信した PDF に JavaScript が残っています: {', '.join(left)}"] if left else []
    return []
