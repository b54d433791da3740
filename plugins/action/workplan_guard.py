"""Action plugin: the work-plan guard every operation's playbook runs first (role workplan)."""

from __future__ import annotations

import contextlib
import json
import os
import re

from ansible import constants as C
from ansible import context
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

try:
    from jichitai_ops import service_calendar as calendar_mod
    from jichitai_ops.workplan import awx_approval, model, signature
    from jichitai_ops.workplan import basis as basis_mod
    from jichitai_ops.workplan import journal as journal_mod
    from jichitai_ops.workplan import store as store_mod
except ImportError as exc:  # the plugin reports it when used
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None

SECRET_NAME = re.compile(r"pass|secret|token|key|community|vault|credential", re.IGNORECASE)

ARGSPEC = {
    "title": {"type": "str", "required": True},
    "clause": {"type": "str", "required": True},
    "kind": {"type": "str", "required": True, "choices": None if ENGINE_IMPORT_ERROR else list(model.KINDS)},
    "disruptive": {"type": "bool", "required": True},
    "description": {"type": "str", "default": ""},
    "rollback": {"type": "list", "elements": "str", "required": True},
    "contingency": {"type": "list", "elements": "str", "required": True},
    "inputs": {"type": "list", "elements": "str", "default": []},
    "services": {"type": "list", "elements": "str", "default": []},
    "departments": {"type": "list", "elements": "str", "default": []},
    "systems": {"type": "list", "elements": "str", "default": []},
    "sites": {"type": "list", "elements": "str", "default": []},
    "task_minutes": {"type": "float", "default": 2},
    "duration_minutes": {"type": "float"},
    "window_start": {"type": "str"},
    "window_end": {"type": "str"},
    "plan_id": {"type": "str"},
    "unplanned_ok": {"type": "bool", "default": False},
    "unplanned_reason": {"type": "str"},
    "now": {"type": "str"},
    "support_desk": {"type": "dict", "default": {}},
}

# The estate's masters the guard names things by, read from the inventory itself: as role options
# Ansible would template and deep-copy them twice a run, in the role's argument check and in the task's
# arguments (0.2 s of every run, docs/performance.md).
ESTATE_VARIABLES = {
    "calendar": ("jichitai_service_calendar", dict),
    "departments_master": ("jichitai_departments", list),
    "segments_master": ("jichitai_segments", dict),
    "sites_master": ("jichitai_sites", list),
}


def _flag(code, severity, ja, en):
    return {"code": code, "severity": severity, "ja": ja, "en": en}


def _extra_vars(loader) -> dict:
    values = load_extra_vars(loader)
    out = {}
    for name, value in values.items():
        secret = SECRET_NAME.search(name) or "Encrypted" in type(value).__name__
        out[name] = "(secret)" if secret else value
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        if ENGINE_IMPORT_ERROR:
            raise AnsibleActionFail(
                "the jichitai_ops package of this repository is not installed in the Python running "
                f"Ansible (make venv, or rebuild the execution environment): {ENGINE_IMPORT_ERROR}"
            )
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        args.update(self._estate(task_vars))
        planning = bool(self._play_context.check_mode)
        try:
            info = self._guard(args, task_vars, planning)
        except model.WorkplanError as exc:
            return self._refuse(
                result,
                {
                    "mode": "plan" if planning else "apply",
                    "refused": True,
                    "reasons": exc.reasons,
                    "id": args.get("plan_id"),
                },
            )
        if info.get("refused"):
            return self._refuse(result, info)
        result["changed"] = False
        result["workplan_guard"] = info
        if info["mode"] in ("apply", "unplanned"):
            result["ansible_facts"] = {"workplan_journal": self._journal(info)}
        result["ansible_stats"] = {"data": self._stats(info), "per_host": False, "aggregate": False}
        warnings = [
            f"{f['ja']} / {f['en']}" for f in info.get("flags", []) if f["severity"] in ("block", "warn")
        ]
        warnings += [f"{w['ja']} / {w['en']}" for w in info.get("warnings", [])]
        if warnings:
            result["warnings"] = warnings
        result["msg"] = self._summary(info)
        return result

    # -- helpers -------------------------------------------------------------------------------

    def _estate(self, task_vars):
        out = {}
        for key, (name, kind) in ESTATE_VARIABLES.items():
            value = self._templar.template(task_vars[name]) if name in task_vars else kind()
            if not isinstance(value, kind):
                raise AnsibleActionFail(
                    f"{name} (inventory) must be a {kind.__name__}, not {type(value).__name__}"
                )
            out[key] = value
        return out

    @staticmethod
    def _stats(info):
        data = {"workplan_id": info["id"], "workplan_mode": info["mode"]}
        if info["mode"] == "plan":
            window = info.get("window") or {}
            data.update(
                workplan_basis_digest=info["basis_digest"],
                workplan_store=info["store"],
                workplan_calendar_blocked=bool(info["calendar"].get("blocked")),
                workplan_window_start=window.get("start"),
                workplan_window_end=window.get("end"),
            )
        return data

    @staticmethod
    def _summary(info):
        if info["mode"] == "plan":
            return (
                f"作業計画 {info['id']} を作成します（実行終了時に {info['store']}/{info['id']}/ へ出力） / "
                f"planning {info['id']}"
            )
        if info["mode"] == "unplanned":
            return f"計画なしの実施（検証環境）: {info['id']} / unplanned lab run"
        approver = info["approval"]["approver"]
        return f"作業計画 {info['id']} の実施を許可しました（承認者 {approver}） / apply allowed"

    def _refuse(self, result, info):
        info["refused"] = True
        result["failed"] = True
        result["changed"] = False
        result["workplan_guard"] = info
        plan = info.get("id") or "-"
        if info.get("mode") == "plan":
            head = "作業計画を作成できません（変更なし） / cannot make the plan, nothing changed:\n"
        else:
            head = (
                f"作業計画 {plan} の実施を中止しました（変更は行っていません） / "
                f"refused to apply plan {plan}, nothing was changed:\n"
            )
        result["msg"] = head + model.format_reasons(info["reasons"])
        store, plan_id = info.get("store"), info.get("id")
        known = store and plan_id and model.PLAN_ID_RE.match(str(plan_id))
        # an attempt is logged beside an existing plan only: no folder for an id that never was
        if known and os.path.isdir(store_mod.plan_dir(store, plan_id)):
            entry = {
                "at": info.get("checked_at"),
                "refused": True,
                "reasons": info["reasons"],
                "by": info.get("applied_by"),
            }
            with contextlib.suppress(OSError):
                store_mod.append_attempt(store, plan_id, entry)
        return result

    def _journal(self, info):
        """Where the state-changing modules of this run journal their changes, and which process to watch."""
        run = self._run_info()
        folder = store_mod.plan_dir(info["store"], info["id"])
        return {
            "path": journal_mod.changes_path(folder, run["token"]),
            "controller_pid": run.get("pid"),
            "controller_start": run.get("pid_start"),
            "run": run["token"],
        }

    def _run_info(self):
        raw = os.environ.get(model.RUN_ENV)
        if not raw:
            raise model.WorkplanError(
                [
                    model.reason(
                        "no_callback",
                        "作業計画コールバック（workplan）が有効になっていません（"
                        "ansible.cfg: callbacks_enabled = workplan）",
                        "the workplan callback is not enabled (ansible.cfg: callbacks_enabled = workplan)",
                    )
                ]
            )
        info = json.loads(raw)
        if info.get("engine_mismatch"):
            raise model.WorkplanError([info["engine_mismatch"]])
        return info

    def _clock(self, args):
        if args.get("now"):
            if not model.lab_enabled():
                raise model.WorkplanError(
                    [
                        model.reason(
                            "clock_not_lab",
                            "workplan_now（時刻指定）は検証環境専用です",
                            f"workplan_now is for the lab only (controller environment {model.LAB_ENV}=1)",
                        )
                    ]
                )
            return model.parse_time(args["now"]), True
        return model.now(), False

    def _hosts(self, args, task_vars):
        segments = args["segments_master"] or {}
        sites = {str(s.get("id")): s.get("name") for s in args["sites_master"] or []}
        hostvars = task_vars.get("hostvars", {})
        hosts = []
        for name in task_vars.get("ansible_play_hosts_all", []):
            hv = hostvars.get(name, {}) if hasattr(hostvars, "get") else {}

            def var(key, hv=hv):
                try:
                    value = hv.get(key)
                except Exception:  # an unresolvable template in inventory must not stop the guard
                    return None
                return str(value) if value is not None else None

            def names(key, hv=hv):
                try:
                    value = hv.get(key)
                except Exception:  # as above
                    return []
                return [str(v) for v in value] if isinstance(value, (list, tuple)) else []

            segment = var("jichitai_segment")
            site = var("jichitai_site")
            seg_info = segments.get(segment) if isinstance(segments, dict) and segment else None
            hosts.append(
                {
                    "name": name,
                    "segment": segment,
                    "role": var("jichitai_role"),
                    "site": site,
                    "os_family": var("jichitai_os_family"),
                    "segment_name": seg_info.get("name") if isinstance(seg_info, dict) else None,
                    "site_name": sites.get(site) if site else None,
                    "business_systems": names("jichitai_business_systems"),
                    "service_scope": var("jichitai_service_scope") or "estate",
                }
            )
        return hosts

    @staticmethod
    def _impact(args, hosts):
        """The services the work touches: as the play declares them (departments, business systems,
        sites), else from its hosts' inventory: a host's C(jichitai_business_systems), the site of a
        host whose C(jichitai_service_scope) is C(site), and every service for any other host."""
        declared = {k: [str(v) for v in args[k]] for k in ("departments", "systems", "sites")}
        if any(declared.values()):
            return dict(declared, derived=[])
        impact = {"departments": [], "systems": [], "sites": [], "derived": []}
        for h in hosts:
            if h["business_systems"]:
                impact["systems"] += h["business_systems"]
                basis = "、".join(h["business_systems"])
            elif h["service_scope"] == "site" and h["site"]:
                impact["sites"].append(h["site"])
                basis = f"{h['site_name'] or h['site']}のサービス"
            else:
                impact["departments"].append("all")
                basis = "全所属（業務システム・拠点の指定なし）"
            impact["derived"].append({"host": h["name"], "basis": basis})
        if not hosts:
            impact["departments"] = ["all"]
        return {k: list(dict.fromkeys(v)) if k != "derived" else v for k, v in impact.items()}

    @staticmethod
    def _names(args):
        """Segment and site names, for hosts a role declares beyond the play's (workplan_targets)."""
        segments = args["segments_master"] or {}
        return {
            "segments": {
                str(k): v.get("name") for k, v in segments.items() if isinstance(v, dict) and v.get("name")
            }
            if isinstance(segments, dict)
            else {},
            "sites": {str(s.get("id")): s.get("name") for s in args["sites_master"] or [] if s.get("name")},
        }

    def _affected(self, args, hosts):
        impact = self._impact(args, hosts)
        names = {str(d.get("code")): d.get("name") for d in args["departments_master"] or []}
        try:
            slots = calendar_mod.selected_slots(
                args["calendar"] or {}, impact["departments"], impact["systems"], impact["sites"]
            )
        except calendar_mod.CalendarError:  # reported by the calendar check; the plan names what was given
            slots = None
        departments = []
        if slots is None:
            departments = [{"code": "all", "name": "全所属"}]
        else:
            codes = [c for c in impact["departments"] if c != "all"] + [
                str(s.get("department")) for s in slots
            ]
            names.update(
                {
                    str(s.get("department")): s.get("department_name")
                    for s in slots
                    if s.get("department_name")
                }
            )
            departments = [{"code": code, "name": names.get(code, code)} for code in dict.fromkeys(codes)]
        seen_seg, seen_site = {}, {}
        for h in hosts:
            if h["segment"]:
                seen_seg.setdefault(h["segment"], h["segment_name"] or h["segment"])
            if h["site"]:
                seen_site.setdefault(h["site"], h["site_name"] or h["site"])
        site_names = {str(s.get("id")): s.get("name") for s in args["sites_master"] or []}
        return {
            "segments": [{"id": k, "name": v} for k, v in sorted(seen_seg.items())],
            "sites": [{"id": k, "name": v} for k, v in sorted(seen_site.items())],
            "departments": departments,
            "systems": impact["systems"],
            "service_sites": [{"id": s, "name": site_names.get(s, s)} for s in impact["sites"]],
            "slots": None
            if slots is None
            else [
                {
                    "id": s.get("id"),
                    "service": s.get("service"),
                    "department_name": s.get("department_name"),
                    "where": s.get("where"),
                }
                for s in slots
            ],
            "derived": impact["derived"],
            "services": list(args["services"]),
        }

    def _calendar(self, args, start, end, disruptive, hosts):
        out = {"findings": [], "blocked": False, "days": [], "error": None}
        if not start or not end:
            return out
        cal = args["calendar"]
        if not cal:
            out.update(
                error="業務カレンダー（jichitai_service_calendar）が読み込まれていません"
                " / service calendar not loaded",
                blocked=True,
            )
            return out
        try:
            impact = self._impact(args, hosts)
            out["findings"] = calendar_mod.evaluate(
                cal,
                start,
                end,
                disruptive=disruptive,
                departments=impact["departments"],
                support_desk=args["support_desk"] or None,
                systems=impact["systems"] or None,
                sites=impact["sites"] or None,
            )
            out["days"] = calendar_mod.window_days(cal, start, end)
        except calendar_mod.CalendarError as exc:
            out.update(error=str(exc), blocked=True)
            return out
        out["blocked"] = calendar_mod.blocked(out["findings"])
        return out

    def _window(self, args):
        start = model.parse_time(args["window_start"]) if args.get("window_start") else None
        end = model.parse_time(args["window_end"]) if args.get("window_end") else None
        if start and end:
            return (
                start,
                end,
                {
                    "start": model.iso(start),
                    "end": model.iso(end),
                    "minutes": int((end - start).total_seconds() // 60),
                },
            )
        return start, end, {"start": model.iso(start), "end": model.iso(end), "minutes": None}

    @staticmethod
    def _approval_proof(approval, plan, basis, root):
        """An approval counts only when proven: signed by a committed approver's key, or read back from
        AWX. A hand-written or edited approval.json proves nothing."""
        if approval.get("source") == "awx":
            return awx_approval.verify(approval, plan)
        sources = [entry["path"] for entry in basis.get("inventory", [])]
        return signature.verify(approval, signature.find_signers(root, sources), root)

    def _strategy(self) -> str:
        play = self._task.get_play()
        return model.strategy_name(getattr(play, "strategy", None) or C.DEFAULT_STRATEGY)

    def _linear_only(self, strategy: str) -> None:
        if strategy not in model.LINEAR_STRATEGIES:
            raise model.WorkplanError(
                [
                    model.reason(
                        "strategy",
                        f"実行戦略 {strategy} では作業できません（linear のみ）。一度に一台ずつ、"
                        "計画どおりの順で変更するためです",
                        f"strategy {strategy} is refused: work-plan plays run with the linear strategy "
                        "only (a run_once task would run once per host, concurrently, and pairs would be "
                        "changed outside the planned order); unset ANSIBLE_STRATEGY / strategy:",
                    )
                ]
            )

    def _guard(self, args, task_vars, planning):
        run = self._run_info()
        strategy = self._strategy()
        self._linear_only(strategy)
        now, injected = self._clock(args)
        root = basis_mod.project_root(task_vars.get("playbook_dir") or os.getcwd())
        store = store_mod.store_dir(root)
        playbook = run.get("playbook") or (context.CLIARGS.get("args") or [""])[0]
        basis = basis_mod.build(
            root,
            task_vars.get("ansible_inventory_sources") or [],
            args["inputs"],
            os.path.abspath(playbook),
            dict(context.CLIARGS),
            _extra_vars(self._loader),
            task_vars.get("awx_project_revision"),
            strategy,
        )
        basis_digest = model.digest(basis)
        hosts = self._hosts(args, task_vars)
        actor = store_mod.who(
            "ansible-playbook",
            {
                k: task_vars[k]
                for k in ("awx_user_name", "awx_job_id", "awx_workflow_job_id")
                if k in task_vars
            },
        )
        common = {
            "store": store,
            "root": root,
            "names": self._names(args),
            "checked_at": model.iso(now),
            "clock_injected": injected,
            "applied_by": actor,
        }
        if planning:
            return self._plan(args, run, now, basis, basis_digest, hosts, common)
        if not args.get("plan_id"):
            return self._unplanned(args, run, basis, basis_digest, hosts, common)
        return self._apply(args, run, now, basis, hosts, common)

    def _plan(self, args, run, now, basis, basis_digest, hosts, common):
        start, end, window = self._window(args)
        flags = []
        if args.get("plan_id"):
            flags.append(
                _flag(
                    "plan_id_ignored",
                    "warn",
                    "確認モードでは workplan_id を無視し、新しい計画を作成します",
                    "workplan_id is ignored in check mode; a new plan is made",
                )
            )
        if not (start and end):
            flags.append(
                _flag(
                    "no_window",
                    "block",
                    "作業日時（workplan_window_start / workplan_window_end）が未指定のため承認できません",
                    "no work window given (-e workplan_window_start=... -e workplan_window_end=...)",
                )
            )
        elif end <= start:
            flags.append(
                _flag(
                    "bad_window",
                    "block",
                    "作業日時の終了が開始より前です",
                    "the window ends before it starts",
                )
            )
            start = end = None
        calendar = self._calendar(args, start, end, args["disruptive"], hosts)
        if calendar["blocked"]:
            first = next(
                (f["ja"] for f in calendar["findings"] if f["severity"] == "block"), calendar["error"]
            )
            flags.append(
                _flag(
                    "calendar",
                    "block",
                    f"作業日時が市の業務カレンダーに抵触します: {first}（承認時に例外承認が必要）",
                    "the window conflicts with the service calendar (needs an override at approval)",
                )
            )
        lead = model.lead_time(args["kind"], now, start)
        if lead["ok"] is False:
            flags.append(
                _flag(
                    "lead_time",
                    "warn",
                    f"提出期限（作業日の{lead['required_days']}日前）を過ぎています（{lead['days_before']}日前に作成）",
                    f"plan made {lead['days_before']} days before the work, {lead['required_days']} required",
                )
            )
        for src in basis["inputs"]:
            if src.get("missing"):
                flags.append(
                    _flag(
                        "input_missing",
                        "block",
                        f"入力ファイルがありません: {src['path']}",
                        f"input file missing: {src['path']}",
                    )
                )
        if not self._play_context.diff:
            flags.append(
                _flag(
                    "no_diff",
                    "block",
                    "--diff なしで作成された計画のため変更内容がありません（"
                    "--check --diff で作成してください）",
                    "planned without --diff: run with --check --diff",
                )
            )
        if common["clock_injected"]:
            flags.append(
                _flag(
                    "clock_injected",
                    "warn",
                    "試験用の時刻指定で作成された計画です（検証環境専用）",
                    "plan made with an injected clock (lab only)",
                )
            )
        meta = {
            k: args[k]
            for k in (
                "title",
                "clause",
                "kind",
                "disruptive",
                "description",
                "rollback",
                "contingency",
                "inputs",
                "services",
                "departments",
                "systems",
                "sites",
                "task_minutes",
                "duration_minutes",
            )
        }
        return {
            "mode": "plan",
            "id": model.make_plan_id(
                model.parse_time(run["started"]), basis["playbook"]["path"], run["token"]
            ),
            "created_at": model.iso(now),
            "created_by": common["applied_by"],
            "meta": meta,
            "window": window,
            "lead_time": lead,
            "calendar": calendar,
            "affected": self._affected(args, hosts),
            "hosts": hosts,
            "basis": basis,
            "basis_digest": basis_digest,
            "flags": flags,
            **common,
        }

    def _unplanned(self, args, run, basis, basis_digest, hosts, common):
        problems = []
        if not args["unplanned_ok"]:
            problems.append(
                model.reason(
                    "no_plan_id",
                    "作業計画ID（-e workplan_id=...）"
                    "が指定されていません。承認済みの計画に対してのみ実施できます",
                    "no workplan_id given: apply runs only against an approved plan (-e workplan_id=...)",
                )
            )
        elif not model.lab_enabled():
            problems.append(
                model.reason(
                    "unplanned_not_lab",
                    "計画なしの実施（workplan_unplanned_ok）は検証環境専用です",
                    f"workplan_unplanned_ok is for the lab only (controller environment {model.LAB_ENV}=1)",
                )
            )
        elif not (args.get("unplanned_reason") or "").strip():
            problems.append(
                model.reason(
                    "unplanned_reason",
                    "計画なしで実施する理由（workplan_unplanned_reason）がありません",
                    "workplan_unplanned_reason is required",
                )
            )
        if problems:
            return {"mode": "apply", "refused": True, "reasons": problems, "id": None, **common}
        meta = {k: args[k] for k in ("title", "clause", "kind", "disruptive")}
        return {
            "mode": "unplanned",
            "id": model.make_plan_id(
                model.parse_time(run["started"]), basis["playbook"]["path"], run["token"], unplanned=True
            ),
            "meta": meta,
            "unplanned_reason": args["unplanned_reason"].strip(),
            "basis": basis,
            "basis_digest": basis_digest,
            "hosts": hosts,
            "warnings": [
                model.reason(
                    "unplanned",
                    "計画・承認なしで実施します（検証環境）。報告書ではすべての変更が計画外になります",
                    "unplanned lab run: every change is reported as unplanned",
                )
            ],
            **common,
        }

    def _apply(self, args, run, now, basis, hosts, common):
        plan_id = model.check_plan_id(args["plan_id"])
        store = common["store"]
        plan, recorded, actual = store_mod.load_plan(store, plan_id)
        reasons = []
        if recorded != actual:
            reasons.append(
                model.reason(
                    "plan_digest",
                    "作業計画書(plan.json)が作成後に変更されています",
                    "plan.json was altered after it was written",
                )
            )
        approval = store_mod.load_approval(store, plan_id)
        if approval is None:
            reasons.append(
                model.reason(
                    "no_approval",
                    f"作業計画 {plan_id} は承認されていません",
                    f"plan {plan_id} has no approval",
                )
            )
        elif approval.get("plan_digest") != actual:
            reasons.append(
                model.reason(
                    "approval_digest",
                    "承認されたダイジェストが作業計画書と一致しません",
                    "the approval is for another plan digest",
                )
            )
        else:
            reasons += self._approval_proof(approval, plan, basis, common["root"])
        if plan.get("summary", {}).get("incomplete"):
            reasons.append(model.reason("incomplete", "不完全な計画です", "the plan is incomplete"))
        if not self._play_context.diff:
            reasons.append(
                model.reason(
                    "no_diff",
                    "--diff を指定して実行してください（計画と実績の照合に必要）",
                    "run with --diff: the report compares planned and actual diffs",
                )
            )
        reasons += basis_mod.compare(plan["basis"], basis)
        planned_hosts = {h["name"] for h in plan.get("hosts", [])}
        extra = sorted({h["name"] for h in hosts} - planned_hosts)
        if extra:
            reasons.append(
                model.reason(
                    "hosts",
                    f"計画にないホストが対象に含まれています: {', '.join(extra)}",
                    f"hosts not in the plan: {', '.join(extra)}",
                )
            )
        window = plan.get("window") or {}
        if not window.get("start") or not window.get("end"):
            reasons.append(model.reason("no_window", "計画に作業日時がありません", "the plan has no window"))
        else:
            start, end = model.parse_time(window["start"]), model.parse_time(window["end"])
            if not start <= now < end:
                reasons.append(
                    model.reason(
                        "window",
                        f"現在時刻 {model.fmt_jp(now)} は承認された作業日時（"
                        f"{model.fmt_jp(start)}〜{model.fmt_jp(end)}）の外です",
                        f"now ({model.iso(now)}) is outside the approved "
                        f"window {window['start']} - {window['end']}",
                    )
                )
            calendar = self._calendar(args, start, end, plan["disruptive"], hosts)
            overridden = bool(approval and approval.get("override_calendar"))
            if calendar["blocked"] and not overridden:
                first = next((f for f in calendar["findings"] if f["severity"] == "block"), None)
                text = first["ja"] if first else calendar["error"]
                reasons.append(
                    model.reason(
                        "calendar",
                        f"作業日時が市の業務カレンダーに抵触し、例外承認がありません: {text}",
                        "the window conflicts with the service calendar "
                        "and the approval does not override it",
                    )
                )
        info = {"mode": "apply", "id": plan_id, "plan_digest": actual, "approval": approval, **common}
        if reasons:
            return {**info, "refused": True, "reasons": reasons}
        prior = {a.get("run") for a in store_mod.attempts(store, plan_id) if not a.get("refused")} - {
            run["token"]
        }
        if prior:
            info["warnings"] = [
                model.reason(
                    "reapply",
                    f"この計画は既に {len(prior)} 回実施されています",
                    f"this plan was already applied {len(prior)} time(s)",
                )
            ]
        store_mod.append_attempt(
            store,
            plan_id,
            {"at": model.iso(now), "refused": False, "run": run["token"], "by": common["applied_by"]},
        )
        return info
