"""Writing a report's formats into its folder, each file replaced whole (a reader never sees half)."""

from __future__ import annotations

import json
import os


def write_formats(record: dict, report_dir: str, names: dict, render, workbook, formats) -> dict:
    """Writes each of FORMATS (md, html, xlsx, json) of RECORD into REPORT_DIR as NAMES[format], with
    RENDER(record, fmt) for the text formats and WORKBOOK(record) for Excel; returns format -> path."""
    os.makedirs(report_dir, exist_ok=True)
    paths = {}
    for fmt in formats:
        path = os.path.join(report_dir, names[fmt])
        tmp = f"{path}.tmp"
        if fmt == "xlsx":
            workbook(record).save(tmp)
        else:
            if fmt == "json":
                text = json.dumps(record, ensure_ascii=False, indent=2) + "\n"
            else:
                text = render(record, fmt)
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
        os.replace(tmp, path)
        paths[fmt] = path
    return paths
