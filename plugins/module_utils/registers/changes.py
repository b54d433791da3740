# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What changed in each register since the last run (登録内容の変更), so a register change is itself
traceable: rows added, removed, and every changed column with its value before and after. The read
time and the ``volatile`` columns (measurements) are never a change; a diagram changes when its DOT
text does."""

from __future__ import annotations

import hashlib


def snapshot(registers, diagrams, read_at=""):
    """What the next run compares with: per register its rows by key (volatile columns left out); per
    diagram a digest of its DOT text without the read time it shows."""
    out = {"registers": {}, "diagrams": {}}
    for reg in registers:
        keep = [c[0] for c in reg["columns"] if c[0] not in reg["volatile"]]
        out["registers"][reg["id"]] = {
            "title": reg["title"],
            "rows": {str(row[reg["key"]]): {k: row.get(k, "") for k in keep} for row in reg["rows"]},
        }
    for name, text in (diagrams or {}).items():
        drawn = text.replace(read_at, "") if read_at else text
        out["diagrams"][name] = hashlib.sha256(drawn.encode("utf-8")).hexdigest()
    return out


def diff(previous, registers, current):
    """Per register: {id, title, first, added, removed, changed:[{key, column, label, before, after}]}."""
    result = []
    before_all = (previous or {}).get("registers") or {}
    for reg in registers:
        labels = dict((c[0], c[1]) for c in reg["columns"])
        now = current["registers"][reg["id"]]["rows"]
        old = before_all.get(reg["id"])
        entry = {
            "id": reg["id"],
            "title": reg["title"],
            "first": old is None,
            "added": [],
            "removed": [],
            "changed": [],
        }
        if old is not None:
            old_rows = old.get("rows") or {}
            entry["added"] = sorted(k for k in now if k not in old_rows)
            entry["removed"] = sorted(k for k in old_rows if k not in now)
            for key in sorted(k for k in now if k in old_rows):
                for column, value in now[key].items():
                    was = old_rows[key].get(column, "")
                    if was != value:
                        entry["changed"].append(
                            {
                                "key": key,
                                "column": column,
                                "label": labels.get(column, column),
                                "before": was,
                                "after": value,
                            }
                        )
        entry["count"] = len(entry["added"]) + len(entry["removed"]) + len(entry["changed"])
        result.append(entry)
    return result


def diagram_changes(previous, current):
    old = (previous or {}).get("diagrams") or {}
    return sorted(name for name, digest in current["diagrams"].items() if old.get(name) not in (None, digest))


def total(changes):
    return sum(c["count"] for c in changes)
