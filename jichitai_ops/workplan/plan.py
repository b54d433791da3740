"""Assembles the plan (check run) and the report (apply run) from the guard's findings and the
recorded task results. Used by the workplan callback; plain data in, plain data out."""

from __future__ import annotations

import os

from . import journal, report
from . import record as rec
from .model import KINDS, SCHEMA, iso, now, parse_time, reason
from .store import plan_dir


def _flag(code: str, severity: str, ja: str, en: str) -> dict:
    return {"code": code, "severity": severity, "ja": ja, "en": en}


def plan_flags(guard: dict, summary: dict, estimate: dict) -> list[dict]:
    flags = list(guard.get("flags", []))
    if summary["incomplete"]:
        flags.append(
            _flag(
                "incomplete",
                "block",
                "計画作成時に失敗または到達不能のホストがあり、計画が不完全です（承認不可）",
                "hosts failed or were unreachable while planning:"
                " the plan is incomplete and cannot be approved",
            )
        )
    if summary["unpredictable"]:
        flags.append(
            _flag(
                "unpredictable",
                "warn",
                f"確認モードで変更を予測できない手順が {summary['unpredictable']} 件あります（一覧参照）",
                f"{summary['unpredictable']} steps cannot be predicted in check mode (see the list)",
            )
        )
    if summary["changed_during_planning"]:
        flags.append(
            _flag(
                "changed_during_planning",
                "warn",
                f"計画作成中に実際に変更したタスクが {summary['changed_during_planning']} "
                "件あります（check_mode: false）",
                "tasks with check_mode: false changed something while planning",
            )
        )
    window = guard.get("window") or {}
    if window.get("minutes") is not None and estimate["minutes"] > window["minutes"]:
        flags.append(
            _flag(
                "estimate_exceeds_window",
                "warn",
                f"所要時間見込み（{estimate['minutes']:.0f}分）が作業枠（{window['minutes']}分）を超えます",
                "the estimated duration exceeds the work window",
            )
        )
    return flags


def with_targets(hosts: list[dict], targets: list[dict], names: dict) -> list[dict]:
    """The play's hosts and those a role declared it changes (workplan_targets), each once."""
    out = {h["name"]: dict(h) for h in hosts}
    for t in targets:
        name = str(t["name"])
        blank = dict.fromkeys(("segment", "site", "role", "os_family", "segment_name", "site_name"))
        host = out.setdefault(name, {"name": name, **blank})
        for key in ("segment", "site", "role", "os_family"):
            if t.get(key) is not None and not host.get(key):
                host[key] = str(t[key])
        if host.get("segment") and not host.get("segment_name"):
            host["segment_name"] = (names.get("segments") or {}).get(host["segment"])
        if host.get("site") and not host.get("site_name"):
            host["site_name"] = (names.get("sites") or {}).get(host["site"])
        if t.get("note"):
            host["note"] = str(t["note"])
    return list(out.values())


def affected_with(affected: dict | None, hosts: list[dict], changed: set) -> dict:
    """Segments and sites of every host the plan changes, added to the guard's (those of the play's hosts)."""
    out = dict(affected or {})
    for field, key, label in (("segments", "segment", "segment_name"), ("sites", "site", "site_name")):
        seen = {str(x["id"]): x["name"] for x in out.get(field, [])}
        for h in hosts:
            if h["name"] in changed and h.get(key):
                seen.setdefault(h[key], h.get(label) or h[key])
        out[field] = [{"id": k, "name": v} for k, v in sorted(seen.items())]
    return out


def assemble_plan(
    guard: dict,
    records: list[dict],
    run: dict,
    hosts_seen: list[dict],
    *,
    targets: list[dict] | None = None,
    timelines: list[dict] | None = None,
) -> dict:
    meta = guard["meta"]
    summary = rec.summarize(records)
    targets = targets or []
    hosts_seen = with_targets(hosts_seen, targets, guard.get("names") or {})
    declared = {str(t["name"]) for t in targets if t.get("change", "changed") in ("changed", "unpredictable")}
    summary["hosts_with_changes"] = sorted(set(summary["hosts_with_changes"]) | declared)
    estimate = rec.estimate(
        records,
        float(meta.get("task_minutes") or 2),
        int(run.get("forks") or 5),
        meta.get("duration_minutes"),
    )
    return {
        "schema": SCHEMA,
        "mode": "plan",
        "id": guard["id"],
        "created_at": guard["created_at"],
        "created_by": guard["created_by"],
        "clock_injected": guard.get("clock_injected", False),
        "title": meta["title"],
        "clause": meta["clause"],
        "kind": meta["kind"],
        "kind_ja": KINDS[meta["kind"]]["ja"],
        "disruptive": meta["disruptive"],
        "description": meta.get("description") or "",
        "playbook": guard["basis"]["playbook"]["path"],
        "window": guard.get("window"),
        "lead_time": guard.get("lead_time"),
        "calendar": guard.get("calendar"),
        "affected": affected_with(guard.get("affected"), hosts_seen, set(summary["hosts_with_changes"])),
        "hosts": hosts_seen,
        "timelines": timelines or [],
        "rollback": meta.get("rollback") or [],
        "contingency": meta.get("contingency") or [],
        "inputs": meta.get("inputs") or [],
        "basis": guard["basis"],
        "basis_digest": guard["basis_digest"],
        "tasks": records,
        "summary": summary,
        "estimate": estimate,
        "flags": plan_flags(guard, summary, estimate),
        "run": run,
    }


def history(plan_runs: list[dict], current_run: str | None) -> list[dict]:
    """Every other journalled run under the plan: when, by whom, finished or interrupted, what it changed."""
    out = []
    for each in plan_runs:
        if each["run"] == current_run:
            continue
        entries = [e for r in each["records"] for e in r["entries"]]
        out.append(
            {
                "run": each["run"],
                "started": each["started"],
                "interrupted": each["interrupted"],
                "applied_by": each["applied_by"],
                "changes": sum(1 for e in entries if e["state"] == "changed"),
                "journal_changes": sum(e.get("journal_changes", 0) for e in entries),
                "failed": sum(1 for e in entries if e["state"] in ("failed", "unreachable")),
            }
        )
    return out


def assemble_report(
    plan: dict | None,
    guard: dict,
    records: list[dict],
    run: dict,
    started: str,
    ended: str,
    aborted: bool,
    *,
    run_token: str | None = None,
) -> dict:
    meta = {
        "plan_id": guard["id"],
        "plan_digest": guard.get("plan_digest"),
        "mode": guard["mode"],
        "title": (plan or guard.get("meta", {})).get("title", ""),
        "clause": (plan or guard.get("meta", {})).get("clause", ""),
        "playbook": (plan or {}).get("playbook") or guard.get("basis", {}).get("playbook", {}).get("path"),
        "window": (plan or {}).get("window"),
        "approval": guard.get("approval"),
        "unplanned_reason": guard.get("unplanned_reason"),
        "applied_by": guard.get("applied_by"),
        "clock_injected": guard.get("clock_injected", False),
        "started": started,
        "ended": ended,
        "duration_minutes": round((parse_time(ended) - parse_time(started)).total_seconds() / 60, 1),
        "estimate_minutes": (plan or {}).get("estimate", {}).get("minutes"),
        "aborted": aborted,
        "run": run,
        "run_token": run_token,
        "warnings": list(guard.get("warnings", [])),
        "interrupted": bool(guard.get("interrupted")),
        "history": [],
    }
    store = guard.get("store")
    earlier = {}
    if store and run_token and guard["mode"] in ("apply", "unplanned"):
        plan_runs = journal_runs(store, guard["id"])  # read once for the history and the verdicts
        meta["history"] = history(plan_runs, run_token)
        earlier = journal.earlier_changes(plan_runs, run_token)
        if any(h["interrupted"] for h in meta["history"]):
            meta["warnings"].append(
                reason(
                    "earlier_interrupted",
                    "この計画の以前の実行が中断されています。その変更は「この計画の実行履歴」を参照してください",
                    "an earlier run under this plan was interrupted: see the run history",
                )
            )
    return report.build(plan, records, meta, earlier)


def interrupted_report(store: str, plan: dict | None, approval: dict | None, run: dict) -> dict:
    """The report of a run that ended without writing one (ansible-playbook killed), from its journal:
    finished tasks as reported, the task in flight with every change its module journalled."""
    guard = {
        "id": run.get("plan_id") or (plan or {}).get("id"),
        "mode": "apply" if plan else "unplanned",
        "store": store,
        "plan_digest": (approval or {}).get("plan_digest"),
        "approval": approval,
        "applied_by": run.get("applied_by"),
        "meta": {"title": (plan or {}).get("title", ""), "clause": (plan or {}).get("clause", "")},
        "interrupted": True,
        "warnings": [
            reason(
                "interrupted",
                "この実行は強制終了され、報告書は実行記録（ジャーナル）から作成しました。"
                "中断したタスクの変更はモジュールが記録した分です",
                "this run was killed; the report is made from its journal",
            )
        ],
    }
    return assemble_report(
        plan,
        guard,
        run["records"],
        run.get("run_info") or {},
        run.get("started") or iso(now()),
        run.get("last_event") or run.get("started") or iso(now()),
        True,
        run_token=run["run"],
    )


def interrupted_stamp(run: dict) -> str:
    """The report folder of an interrupted run: the same on every `jichitai-ops report`."""
    started = parse_time(run["started"]) if run.get("started") else now()
    return f"{started:%Y%m%dT%H%M%S}-{run['run'][:6]}-interrupted"


def journal_runs(store: str, plan_id: str) -> list[dict]:
    folder = plan_dir(store, plan_id)
    return journal.runs(folder) if os.path.isdir(folder) else []


def unguarded_reason() -> dict:
    return reason(
        "no_guard",
        "作業計画ガード（role workplan）を通らずに変更が行われました",
        "changes were made without the work-plan guard (role workplan)",
    )
