"""作業報告書: the apply run's results set beside the approved plan, per host, task and loop item.

Verdicts (code, ja label, whether the city must look at it); the table below decides them:
  unplanned               計画外の変更                 (flag, shown first)
  failed                  失敗                         (flag)
  diff_differs            変更内容が計画と相違         (flag)
  not_run                 未実施                       (flag) the plan had a change or an unpredictable
                                                       step there, and the run stopped before it
  planned_not_changed     計画した変更なし             (flag)
  matched                 計画どおり変更
  unpredictable_changed   予測不能として計画・変更あり
  unpredictable_unchanged 予測不能として計画・変更なし
  other_phase             対象外（別フェーズ）         a step of a phase this apply did not run (counted,
                                                       listed compactly by phase and task)
  done_earlier            計画どおり変更（以前の実行）   unchanged now because an earlier run under the
                                                       same plan made the change (its journal says so)
  completed_across_runs   計画どおり変更（中断分と合わせて） changed now, the rest of a change an earlier,
                                                       interrupted run under the same plan began
  unchanged               変更なし                     (counted, not listed)

Phases: a task of a phased role carries the task var ``workplan_phase`` (a literal name, recorded by the
callback as the record's ``phase``). A phase ran in this apply when at least one of its tasks ran (was
not skipped) - the role declares its phase with a task that runs exactly when the phase does. A step of
another phase is ``other_phase`` only when the apply reached it and skipped it: a step never reached is
``not_run``, a step that changed or failed is judged as any other.
"""

from __future__ import annotations

from .model import REPORT_SCHEMA
from .record import diff_signature, entry_key

VERDICTS = {
    "unplanned": ("計画外の変更", True),
    "failed": ("失敗", True),
    "diff_differs": ("変更内容が計画と相違", True),
    "not_run": ("未実施", True),
    "planned_not_changed": ("計画した変更なし", True),
    "matched": ("計画どおり変更", False),
    "unpredictable_changed": ("予測不能として計画・変更あり", False),
    "unpredictable_unchanged": ("予測不能として計画・変更なし", False),
    "other_phase": ("対象外（別フェーズ）", False),
    "done_earlier": ("計画どおり変更（以前の実行で変更済み）", False),
    "completed_across_runs": ("計画どおり変更（中断した実行と合わせて完了）", False),
    "unchanged": ("変更なし", False),
}

# (what the plan said, what the apply did) -> verdict.
#   plan:  "changed" | "unpredictable" | None (no change planned, or not in the plan)
#   apply: "absent"   never reached: the run stopped before it
#          "failed"   failed or unreachable
#          "changed"  changed (for a planned change: the same added and removed lines)
#          "changed_otherwise"  changed, not in the way the plan's diff says
#          "unchanged"          ran or was skipped, nothing changed
#          "other_phase"        skipped, and its phase is not one this apply ran
#          "done_earlier"       unchanged, and an earlier run under the plan made this change
#          "completed_earlier"  changed otherwise than planned, and an earlier run under the plan was
#                               interrupted in this very step: together they made the change
VERDICT_TABLE = {
    ("changed", "absent"): "not_run",
    ("changed", "failed"): "failed",
    ("changed", "changed"): "matched",
    ("changed", "changed_otherwise"): "diff_differs",
    ("changed", "unchanged"): "planned_not_changed",
    ("changed", "other_phase"): "other_phase",
    ("changed", "done_earlier"): "done_earlier",
    ("changed", "completed_earlier"): "completed_across_runs",
    ("unpredictable", "absent"): "not_run",
    ("unpredictable", "failed"): "failed",
    ("unpredictable", "changed"): "unpredictable_changed",
    ("unpredictable", "unchanged"): "unpredictable_unchanged",
    ("unpredictable", "other_phase"): "other_phase",
    ("unpredictable", "done_earlier"): "done_earlier",
    ("unpredictable", "completed_earlier"): "unpredictable_changed",
    (None, "absent"): "unchanged",
    (None, "failed"): "failed",
    (None, "changed"): "unplanned",
    (None, "unchanged"): "unchanged",
    (None, "other_phase"): "unchanged",
    (None, "done_earlier"): "unchanged",
    (None, "completed_earlier"): "unplanned",
}

PHASE_JA = {"prepare": "準備", "cutover": "切替"}
NOT_RUN_NOTE = "作業が途中で停止したため実行されていません"


def phase_ja(phase: str) -> str:
    return PHASE_JA.get(phase, phase)


def _index(records: list[dict]) -> dict:
    out = {}
    for rec in records:
        for entry in rec["entries"]:
            out[entry_key(rec, entry)] = (rec, entry)
    return out


def _planned(planned: dict | None) -> str | None:
    state = planned["state"] if planned else None
    return state if state in ("changed", "unpredictable") else None


def _done(planned: dict | None, actual: dict | None, other_phase: bool, earlier: list[dict]) -> str:
    if actual is None:
        return "absent"
    state = actual["state"]
    if state in ("failed", "unreachable"):
        return "failed"
    if state in ("changed", "unpredictable"):
        if _planned(planned) == "changed" and diff_signature(planned["diffs"]) != diff_signature(
            actual["diffs"]
        ):
            return "completed_earlier" if any(e["interrupted"] for e in earlier) else "changed_otherwise"
        return "changed"
    if state == "skipped" and other_phase:
        return "other_phase"
    if earlier and _planned(planned) == "changed" and _earlier_made(planned, earlier):
        return "done_earlier"
    return "unchanged"


def _earlier_made(planned: dict, earlier: list[dict]) -> bool:
    """An earlier run made this planned change: a finished step with the plan's diff, or a step that was
    interrupted while its module journalled changes (what it did is in that run's report)."""
    want = diff_signature(planned["diffs"])
    return any(e["interrupted"] or diff_signature(e["diffs"]) == want for e in earlier)


def verdict(
    planned: dict | None, actual: dict | None, *, other_phase: bool = False, earlier: list[dict] | None = None
) -> str:
    """Verdict of one step (entry): the plan's entry, the apply's entry (None: never reached), whether
    the step belongs to a phase this apply did not run, and what earlier runs under the same plan did
    there (journal.earlier_changes)."""
    return VERDICT_TABLE[(_planned(planned), _done(planned, actual, other_phase, earlier or []))]


def _phase(rec: dict | None) -> str | None:
    phase = (rec or {}).get("phase")
    return str(phase) if phase and "{{" not in str(phase) else None


def phases(records: list[dict]) -> dict:
    """The phases this apply ran (a task of the phase ran) and those it left out (its tasks were reached
    and all skipped), each in the order the run met them."""
    seen, ran = [], set()
    for rec in sorted(records, key=lambda r: r["seq"]):
        phase = _phase(rec)
        if phase is None:
            continue
        if phase not in seen:
            seen.append(phase)
        if any(e["state"] != "skipped" for e in rec["entries"]):
            ran.add(phase)
    return {"run": [p for p in seen if p in ran], "left_out": [p for p in seen if p not in ran]}


def _other_phase_steps(rows: list[dict]) -> list[dict]:
    """Steps of the phases left out, compactly: one line per phase and task."""
    out: dict[tuple, dict] = {}
    for r in rows:
        slot = out.setdefault(
            (r["phase"], r["key"], r["occurrence"]),
            {
                "phase": r["phase"],
                "phase_ja": phase_ja(r["phase"]),
                "task": r["task"],
                "title_ja": r.get("title_ja"),
                "hosts": [],
                "steps": 0,
            },
        )
        if r["host"] not in slot["hosts"]:
            slot["hosts"].append(r["host"])
        slot["steps"] += 1
    return list(out.values())


def _earlier_note(earlier: list[dict]) -> str:
    runs = "、".join(
        f"{(e.get('started') or '')[:16].replace('T', ' ')} の実行 {e['run'][:6]}"
        + ("（中断）" if e["interrupted"] else "")
        for e in earlier
    )
    return f"この計画の以前の実行で変更: {runs}"


def build(plan: dict | None, records: list[dict], meta: dict, earlier: dict | None = None) -> dict:
    """Report of one apply run. Without a plan (an unplanned lab run) every change is unplanned.
    EARLIER: {entry key: [what an earlier run under the plan changed there]}."""
    earlier = earlier or {}
    planned = _index(plan["tasks"]) if plan else {}
    actual = _index(records)
    ran = phases(records)
    rows = []
    for index, key in enumerate(list(actual) + [k for k in planned if k not in actual]):
        p_rec, p_entry = planned.get(key, (None, None))
        a_rec, a_entry = actual.get(key, (None, None))
        rec = a_rec or p_rec
        phase = _phase(rec)
        before = earlier.get(key) or earlier.get((*key[:3], None)) or []
        kind = verdict(p_entry, a_entry, other_phase=phase in ran["left_out"], earlier=before)
        label, flag = VERDICTS[kind]
        rows.append(
            {
                "seq": rec["seq"],
                "host": rec["host"],
                "task": rec["task"],
                "title_ja": rec.get("title_ja"),
                "key": rec["key"],
                "occurrence": rec["occurrence"],
                "phase": phase,
                "index": index,
                "item": (a_entry or p_entry)["label"],
                "verdict": kind,
                "verdict_ja": label,
                "flag": flag,
                "planned": p_entry["state"] if p_entry else None,
                "actual": a_entry["state"] if a_entry else None,
                "planned_diffs": p_entry["diffs"] if p_entry else [],
                "actual_diffs": a_entry["diffs"] if a_entry else [],
                "table": (a_entry or {}).get("table") or (p_entry or {}).get("table"),
                "note": NOT_RUN_NOTE
                if kind == "not_run"
                else _earlier_note(before)
                if kind in ("done_earlier", "completed_across_runs")
                else (a_entry or p_entry).get("note", ""),
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
    other_phase = _other_phase_steps([r for r in rows if r["verdict"] == "other_phase"])
    rows = [r for r in rows if r["verdict"] not in ("unchanged", "other_phase")]  # counted, not listed
    flagged = sum(counts[c] for c, (_, flag) in VERDICTS.items() if flag)
    ok = flagged == 0 and not meta.get("aborted")
    return {
        "schema": REPORT_SCHEMA,
        **meta,
        "rows": rows,
        "counts": counts,
        "changes": sum(1 for e in actual.values() if e[1]["state"] in ("changed", "unpredictable")),
        "phases": {
            "run": [{"name": p, "ja": phase_ja(p)} for p in ran["run"]],
            "left_out": [{"name": p, "ja": phase_ja(p)} for p in ran["left_out"]],
        },
        "other_phase": other_phase,
        "unplanned": [r for r in rows if r["verdict"] == "unplanned"],
        "verdict": "ok" if ok else "review",
        "verdict_ja": "計画どおり完了" if ok else "要確認",
    }
