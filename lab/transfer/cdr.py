"""Content disarm of the transfer stand-in: real parsers (zipfile, olefile/oletools, pikepdf) remove
active content and say what they removed, in the shape of MetaDefender's sanitization_details.

sanitise(name, data) -> Outcome: new bytes and name (a rebuilt .docm becomes .docx), the removed
objects, or `blocked` with a reason when the file cannot be rebuilt without its active content.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

import olefile
import pikepdf
from oletools.olevba import VBA_Parser

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
# macro-enabled extension -> its macro-free twin; main part content type likewise
MACRO_EXT = {".docm": ".docx", ".dotm": ".dotx", ".xlsm": ".xlsx", ".xltm": ".xltx", ".pptm": ".pptx"}
_OOXML = "application/vnd.openxmlformats-officedocument."
_MS = "application/vnd.ms-"
MACRO_CT = {
    "application/vnd.ms-word.document.macroEnabled.main+xml": _OOXML + "wordprocessingml.document.main+xml",
    _MS + "word.template.macroEnabledTemplate.main+xml": _OOXML + "wordprocessingml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": _OOXML + "spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": _OOXML + "spreadsheetml.template.main+xml",
    _MS + "powerpoint.presentation.macroEnabled.main+xml": _OOXML + "presentationml.presentation.main+xml",
}
# file type descriptions as MetaDefender words them
TYPE_DESC = {
    "ooxml": "Office Open XML Document",
    "ole": "Microsoft Office Document (OLE2)",
    "pdf": "Adobe Portable Document Format (PDF)",
    "other": "Data",
}


@dataclass
class Outcome:
    kind: str
    data: bytes
    name: str
    removed: list[dict] = field(default_factory=list)
    sanitised: bool = False
    blocked: str = ""
    converted_to: str = ""


def file_kind(data: bytes) -> str:
    if data.startswith(OLE_MAGIC):
        return "ole"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                if "[Content_Types].xml" in z.namelist():
                    return "ooxml"
        except zipfile.BadZipFile:
            pass
    return "other"


def vba_modules(name: str, data: bytes) -> list[str]:
    """Names of the VBA modules oletools finds in an Office document ([] when none)."""
    parser = VBA_Parser(name, data=data)
    try:
        if not parser.detect_vba_macros():
            return []
        return sorted({vba_name for _, _, vba_name, _ in parser.extract_macros()})
    finally:
        parser.close()


def sanitise(name: str, data: bytes) -> Outcome:
    kind = file_kind(data)
    if kind == "ooxml":
        return _ooxml(name, data)
    if kind == "ole":
        return _ole(name, data)
    if kind == "pdf":
        return _pdf(name, data)
    return Outcome(kind, data, name)


def _ole(name: str, data: bytes) -> Outcome:
    if not olefile.isOleFile(io.BytesIO(data)):
        return Outcome("ole", data, name, blocked="Sanitization failed")
    modules = vba_modules(name, data)
    if modules:
        # a binary (OLE2) document cannot be rebuilt here without its macro storage: blocked whole
        removed = [
            {"action": "blocked", "count": len(modules), "object_name": "macro", "object_details": modules}
        ]
        return Outcome("ole", data, name, removed=removed, blocked="Sanitization failed")
    return Outcome("ole", data, name)


def _rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _rel_targets(rels_xml: str, rels_file: str) -> list[tuple[str, str, str]]:
    """(Id, Type, absolute part name) of every relationship in a .rels part."""
    source_dir = posixpath.dirname(posixpath.dirname(rels_file))
    out = []
    for rel in re.finditer(r"<Relationship\b[^>]*/>", rels_xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', rel.group(0)))
        if attrs.get("TargetMode") == "External":
            continue
        target = attrs.get("Target", "")
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(source_dir, target))
        )
        out.append((attrs.get("Id", ""), attrs.get("Type", ""), path))
    return out


def _ooxml(name: str, data: bytes) -> Outcome:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {info.filename: z.read(info) for info in z.infolist()}
        infos = z.infolist()
    vba_parts = [p for p in parts if posixpath.basename(p).lower() == "vbaproject.bin"]
    if not vba_parts:
        return Outcome("ooxml", data, name)
    modules = vba_modules(name, data)
    drop = set(vba_parts)
    for vba in vba_parts:  # the VBA project's own relationships (vbaData.xml and the like) go with it
        rels = _rels_path(vba)
        if rels in parts:
            drop.add(rels)
            drop.update(
                path for _, _, path in _rel_targets(parts[rels].decode("utf-8"), rels) if path in parts
            )
    for part in list(parts):  # relationships pointing at a dropped part
        if part.endswith(".rels") and part not in drop:
            xml = parts[part].decode("utf-8")
            for rel in re.finditer(r"<Relationship\b[^>]*/>", xml):
                targets = _rel_targets(rel.group(0), part)
                if targets and (targets[0][2] in drop or targets[0][1] == VBA_REL):
                    xml = xml.replace(rel.group(0), "")
            parts[part] = xml.encode("utf-8")
    ct = parts["[Content_Types].xml"].decode("utf-8")
    for part in drop:
        ct = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", ct)
    ct = re.sub(r'<Default\b[^>]*ContentType="application/vnd\.ms-office\.vbaProject"[^>]*/>', "", ct)
    for macro, plain in MACRO_CT.items():
        ct = ct.replace(f'ContentType="{macro}"', f'ContentType="{plain}"')
    parts["[Content_Types].xml"] = ct.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            if info.filename not in drop:
                z.writestr(info.filename, parts[info.filename])
    stem, ext = posixpath.splitext(name)
    new_ext = MACRO_EXT.get(ext.lower(), ext)
    removed = [
        {
            "action": "removed",
            "count": max(len(modules), 1),
            "object_name": "macro",
            "object_details": modules,
        }
    ]
    return Outcome(
        "ooxml",
        out.getvalue(),
        stem + new_ext,
        removed=removed,
        sanitised=True,
        converted_to=new_ext.lstrip(".") if new_ext != ext else "",
    )


def _is_js_action(obj) -> bool:
    return isinstance(obj, pikepdf.Dictionary) and (obj.get("/S") == pikepdf.Name.JavaScript or "/JS" in obj)


def _pdf(name: str, data: bytes) -> Outcome:
    removed: dict[str, list[str]] = {}
    seen: set[tuple[int, int]] = set()

    def mark(obj, depth: int = 4) -> None:
        """Remember the action objects under a removed entry: the sweep below must not count them again."""
        if obj.is_indirect:
            if obj.objgen in seen:
                return
            seen.add(obj.objgen)
        if depth and isinstance(obj, pikepdf.Dictionary):
            for value in obj.values():
                mark(value, depth - 1)
        elif depth and isinstance(obj, pikepdf.Array):
            for value in obj:
                mark(value, depth - 1)

    def note(what: str, where: str, obj=None) -> None:
        if obj is not None:
            mark(obj)
        removed.setdefault(what, []).append(where)

    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        if "/OpenAction" in root and _is_js_action(root.OpenAction):
            note("JavaScript", "/OpenAction", root.OpenAction)
            del root["/OpenAction"]
        if "/AA" in root:
            note("JavaScript", "/AA (document)", root.AA)
            del root["/AA"]
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names:
            note("JavaScript", "/Names/JavaScript", names.JavaScript)
            del names["/JavaScript"]
        for number, page in enumerate(pdf.pages, start=1):
            if "/AA" in page.obj:
                note("JavaScript", f"/AA (page {number})", page.obj.AA)
                del page.obj["/AA"]
            for annot in page.obj.get("/Annots", []):
                if "/AA" in annot:
                    note("JavaScript", f"/AA (annotation, page {number})", annot.AA)
                    del annot["/AA"]
                if "/A" in annot and _is_js_action(annot.A):
                    note("JavaScript", f"/A (annotation, page {number})", annot.A)
                    del annot["/A"]
        for obj in pdf.objects:  # JavaScript actions anywhere else (outlines, form fields, chained /Next)
            if _is_js_action(obj) and obj.objgen not in seen:
                for key in ("/JS", "/S", "/Next"):
                    if key in obj:
                        del obj[key]
                note("JavaScript", f"action object {obj.objgen[0]}")
        if not removed:
            return Outcome("pdf", data, name)
        out = io.BytesIO()
        pdf.save(out)
    details = [
        {"action": "removed", "count": len(where), "object_name": what, "object_details": where}
        for what, where in sorted(removed.items())
    ]
    return Outcome("pdf", out.getvalue(), name, removed=details, sanitised=True)


def has_javascript(data: bytes) -> bool:
    """Whether a PDF still carries JavaScript (an OpenAction, /AA, /Names/JavaScript or a /JS action)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        if "/AA" in root or ("/Names" in root and "/JavaScript" in root.Names):
            return True
        if "/OpenAction" in root and _is_js_action(root.OpenAction):
            return True
        return any(_is_js_action(obj) for obj in pdf.objects)
