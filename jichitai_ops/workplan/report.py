"""作業報告書: the apply run's results set beside the approved plan, per host, task and loop item.

Verdicts (ja label, whether the city must look at it):
  matched                 計画どおり変更
  diff_differs            変更内容が計画と相違         (flag)
  planned_not_changed     計画した変更なし             (flag)
  unpredictable_changed   予測不能として計画・変更あり
  unpredictable_unchanged 予測不能として計画・変更なし
  unplanned               計画外の変更                 (flag, shown first)
  failed                  失敗                         (flag)
  not_run                 未実施（計画に変更あり）     (flag)
  unchanged               変更なし
"""

from __future__ import annotations

from .model import REPORT_SCHEMA
from .record import diff_signature, entry_key

VERDICTS = {
    "unplanned": ("計画外の変更", True),
    "failed": ("失敗", True),
    "diff_differs": ("変更内容が計画と相違", True),
    "not_run": ("未実施（計画に変更あり）", True),
    "planned_not_changed": ("計画した変更なし", True),
    "matched": ("計画どおり変更", False),
    "unpredictable_changed": ("予測不能として計画・変更あり", False),
    "unpredictable_unchanged": ("予測不能として計画・変更なし", False),
    "unchanged": ("変更なし", False),
}


def _index(records: list[dict]) -> dict:
    out = {}
    for rec in records:
        for entry in rec["entries"]:
            out[entry_key(rec, entry)] = (rec, entry)
    return out


def verdict(planned: dict | None, actual: dict | None) -> str:
    p_state = planned["state"] if planned else None
    a_state = actual["state"] if actual else None
    if a_state in ("failed", "unreachable"):
        return "failed"
    a_changed = a_state in ("changed", "unpredictable")
    if p_state == "changed":
        if actual is None:
            return "not_run"
        if not a_changed:
            return "planned_not_changed"
        same = diff_signature(planned["diffs"]) == diff_signature(actual["diffs"])
        return "matched" if same else "diff_differs"
    if p_state == "unpredictable":
        return "unpredictable_changed" if a_changed else "unpredictable_unchanged"
    if a_changed:
        return "unplanned"
    return "unchanged"


def build(plan: dict | None, records: list[dict], meta: dict) -> dict:
    """Report of one apply run. Without a plan (an unplanned lab run) every change is unplanned."""
    planned = _index(plan["tasks"]) if plan else {}
    actual = _index(records)
    rows = []
    for index, key in enumerate(list(actual) + [k for k in planned if k not in actual]):
        p_rec, p_entry = planned.get(key, (None, None))
        a_rec, a_entry = actual.get(key, (None, None))
        rec = a_rec or p_rec
        kind = verdict(p_entry, a_entry)
        label, flag = VERDICTS[kind]
        rows.append(
            {
                "seq": rec["seq"],
                "host": rec["host"],
                "task": rec["task"],
                "key": rec["key"],
                "occurrence": rec["occurrence"],
                "index": index,
                "item": (a_entry or p_entry)["label"],
                "verdict": kind,
                "verdict_ja": label,
                "flag": flag,
                "planned": p_entry["state"] if p_entry else None,
                "actual": a_entry["state"] if a_entry else None,
                "planned_diffs": p_entry["diffs"] if p_entry else [],
                "actual_diffs": a_entry["diffs"] if a_entry else [],
                "note": (a_entry or p_entry).get("note", ""),
                "minutes_planned": p_rec["minutes"] if p_rec else None,
                "started": a_rec["started"] if a_rec else None,
                "ended": a_rec["ended"] if a_rec else None,
            }
        )
    first: dict[tuple, int] = {}
    for r in rows:
        first[(r["key"], r["occurrence"])] = min(first.get((r["key"], r["occurrence"]), r["seq"]), r["seq"])
    rows.sort(key=lambda r: (first[(r["key"], r["occurrence"])], r["host"], r["index"]))
    counts = {code: sum(1 for r in rows if r["verdict"] == code) for code in VERDICTS}
    rows = [r for r in rows if r["verdict"] != "unchanged"]  # counted, not listed
    flagged = sum(counts[c] for c, (_, flag) in VERDICTS.items() if flag)
    return {
        "schema": REPORT_SCHEMA,
        **meta,
        "rows": rows,
        "counts": counts,
        "unplanned": [r for r in rows if r["verdict"] == "unplanned"],
        "verdict": "ok" if flagged == 0 and not meta.get("aborted") else "review",
        "verdict_ja": "計画どおり完了" if flagged == 0 and not meta.get("aborted") else "要確認",
    }
