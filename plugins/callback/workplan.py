# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callback plugin: writes the work plan of a check run and the work report of an apply run."""

from __future__ import annotations

DOCUMENTATION = r"""
name: workplan
type: notification
short_description: Writes 作業計画書 (check run) and 作業報告書 (apply run) beside each other
description:
  - B(Check run) (C(--check --diff)) of a playbook that includes the C(workplan) role records per
    host and task the predicted change with its diff, the tasks whose change cannot be predicted in
    check mode (modules without check-mode support, commands, tasks skipped on C(ansible_check_mode),
    ignored errors) and writes C(<store>/<plan id>/plan.json), C(plan.sha256) (sha256 of the
    canonical plan) and the renderings C(plan.md), C(plan.html), C(plan.xlsx).
  - B(Apply run) (C(-e workplan_id=<id>)) records what actually changed and writes the report
    C(<store>/<plan id>/reports/<time>/report.{json,md,html,xlsx}) (the latest also as
    C(<store>/<plan id>/report.*)) - planned beside actual per host, task and loop item; a change that
    was not in the plan is flagged as 計画外の変更.
  - A run that changes something without the guard role gets a report too, every change unplanned.
  - Results of C(no_log) tasks are never written; they appear as 「非表示(機密)」.
  - The plugin publishes a run token in the controller environment (C(JICHITAI_WORKPLAN_RUN)); the
    C(workplan_guard) action refuses to run without it, so a plan is never made unrecorded. That
    variable is written by the plugin, not read from the operator's environment.
  - Refuses to record (with the reason) when the installed C(jichitai_ops) engine is of another version
    than the repository's, and disables itself with an error when the engine is not installed.
  - Loads the filter and test plugins once, when the playbook starts, so that each task's worker
    process, forked from the controller, inherits them instead of loading every plugin file again
    (about 0.2 s a task that uses a filter).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
requirements:
  - enable in configuration (C(callbacks_enabled = workplan))
  - the C(jichitai_ops) package of this repository (C(make venv); the execution environment installs it),
    with C(openpyxl) and C(holidays)
options:
  store_dir:
    description:
      - Folder of the plan store, C(<store_dir>/<plan id>/plan.json) and its reports. Relative to the
        current directory when not absolute.
      - When unset, C(work/plans) under the project root (the folder holding the playbook's C(playbooks/)).
      - The plugin reads it for the report of a run without the guard. Plans and reports of guarded runs
        go where the C(workplan_guard) action says, which reads the same environment variable, as does
        C(bin/jichitai-ops); set it in the controller's environment so that all of them agree.
    type: str
    env:
      - name: JICHITAI_WORKPLAN_DIR
"""

import json
import os
import re
import secrets
from collections import defaultdict

from ansible import context
from ansible.playbook.handler import Handler
from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, test_loader
from ansible.release import __version__ as ansible_version

try:
    import jichitai_ops
    from jichitai_ops.workplan import basis as basis_mod
    from jichitai_ops.workplan import documents, model
    from jichitai_ops.workplan import journal as journal_mod
    from jichitai_ops.workplan import plan as plan_mod
    from jichitai_ops.workplan import record as record_mod
    from jichitai_ops.workplan import store as store_mod
    from jichitai_ops.workplan.xlsx_process import XlsxProcess
except ImportError as exc:  # the plugin reports it when used
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None

# Args whose text ends up in a diff: a secret-looking variable in them hides the diff.
CONTENT_ARGS = {"content", "line", "block", "value", "text", "data", "body"}
SECRET_REF = re.compile(r"vault_|password|passwd|secret|token|community|private_key", re.IGNORECASE)
SILENT_ACTIONS = {
    "validate_argument_spec",
    "ansible.builtin.validate_argument_spec",
    "gather_facts",
    "ansible.builtin.gather_facts",
    "setup",
    "ansible.builtin.setup",
    "meta",
    "ansible.builtin.meta",
}


def _load_jinja_plugins() -> None:
    """Loads the filter and test plugins here, in the controller, before the first worker forks from it.
    Ansible loads them (every file of the configured paths: this project's filter_plugins and what they
    import among them) on a worker's first filter or test, and that load ends with the worker: about
    0.2 s in every task that uses a filter. ansible-core preloads its connection plugins the same way."""
    list(filter_loader.all())
    list(test_loader.all())


def _sensitive(task) -> bool:
    for key, value in (task.args or {}).items():
        if "Encrypted" in type(value).__name__:
            return True
        if key in CONTENT_ARGS and isinstance(value, str) and "{{" in value and SECRET_REF.search(value):
            return True
    return False


def _title_ja(task):
    """The task's Japanese label for the city's documents (task var workplan_label, literal text)."""
    value = (task.vars or {}).get("workplan_label")
    return str(value) if value and "{{" not in str(value) else None


def _minutes(task):
    value = (task.vars or {}).get("workplan_task_minutes")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def engine_mismatch(root: str) -> dict | None:
    """Why the installed engine must not serve this project, or None. An execution environment built
    from an older checkout would write plans with other rules than the repository's plugins expect."""
    source = os.path.join(root, "jichitai_ops", "__init__.py")
    try:
        with open(source, encoding="utf-8") as handle:
            found = re.search(r'^__version__ = "([^"]+)"', handle.read(), re.M)
    except OSError:
        return None  # a project without the engine's source uses whichever engine is installed
    wanted = found.group(1) if found else None
    if wanted == jichitai_ops.__version__:
        return None
    return model.reason(
        "engine_mismatch",
        f"作業計画エンジンの版が合いません（導入済み {jichitai_ops.__version__}、リポジトリ {wanted}）",
        f"the installed jichitai_ops engine is {jichitai_ops.__version__} ({jichitai_ops.__file__}) but "
        f"the repository at {root} is {wanted}: rebuild the execution environment or `make venv`",
    )


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "workplan"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        if ENGINE_IMPORT_ERROR:
            self._display.error(
                "workplan: the jichitai_ops package of this repository is not installed in the Python "
                f"running Ansible (make venv, or rebuild the execution environment): {ENGINE_IMPORT_ERROR}"
            )
            self.disabled = True
            return
        self._token = secrets.token_hex(8)
        self._started = model.now()
        self._playbook = None
        self._root = os.getcwd()
        self._guards = []
        self._refusal = None
        self._records = []
        self._seq = 0
        self._occurrence = defaultdict(int)
        self._task_started = {}
        self._engine_mismatch = None
        self._journal = None
        self._targets = []
        self._timelines = []
        self._xlsx = XlsxProcess()  # started once a guard ran: this run writes a workbook
        self._publish()

    def _publish(self):
        # Worker processes fork from this one, so the guard sees the token: proof the callback runs.
        info = {
            "token": self._token,
            "started": model.iso(self._started),
            "playbook": self._playbook,
            "pid": os.getpid(),
            "pid_start": journal_mod.process_start(os.getpid()),
        }
        if self._engine_mismatch:
            info["engine_mismatch"] = self._engine_mismatch
        os.environ[model.RUN_ENV] = json.dumps(info)

    @staticmethod
    def _planning() -> bool:
        return bool(context.CLIARGS.get("check"))

    # -- events --------------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.abspath(playbook._file_name)
        self._root = basis_mod.project_root(self._playbook)
        self._engine_mismatch = engine_mismatch(self._root)
        if self._engine_mismatch:
            self._display.error(model.format_reasons([self._engine_mismatch]))
        self._publish()
        _load_jinja_plugins()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started[task._uuid] = model.iso(model.now())

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started[task._uuid] = model.iso(model.now())

    def v2_runner_on_start(self, host, task):
        if not self._journal:
            return
        name, key = host.get_name(), self._task_key(task)
        self._journal_event(
            {
                "event": "start",
                "host": name,
                "key": key,
                "task": task.get_name(),
                "title_ja": _title_ja(task),
                "action": task.action,
                "role": task._role.get_name() if task._role else None,
                "no_log": bool(task.no_log),
                "seq": self._seq + 1,
                "occurrence": self._occurrence[(name, key)] + 1,
            }
        )

    def v2_runner_item_on_ok(self, result):
        self._journal_item(result)

    def v2_runner_item_on_failed(self, result):
        self._journal_item(result)

    def v2_runner_item_on_skipped(self, result):
        self._journal_item(result)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def _task_key(self, task) -> str:
        path = task.get_path() or ""
        file_part, _colon, line = path.rpartition(":")
        where = f"{basis_mod.rel(file_part, self._root)}:{line}" if file_part else path
        return f"{where}|{task.get_name()}"

    def _record(self, result, status):
        data = result.result
        guard = data.get("workplan_guard")
        if isinstance(guard, dict):
            if guard.get("refused"):
                self._refusal = guard
            else:
                self._guards.append(guard)
                self._xlsx.start()
                self._open_journal(guard)
            return
        self._published(data)
        task = result.task
        if task.action in SILENT_ACTIONS and status in ("ok", "skipped") and not data.get("changed"):
            return
        host = result.host.get_name()
        key = self._task_key(task)
        self._occurrence[(host, key)] += 1
        self._seq += 1
        fields = result.task_fields
        planning = self._planning()
        rec = record_mod.record(
            host=host,
            task=task.get_name(),
            key=key,
            action=task.action,
            role=task._role.get_name() if task._role else None,
            handler=isinstance(task, Handler),
            result=data,
            status=status,
            planning=planning,
            no_log=bool(fields.get("no_log")),
            ignore_errors=bool(fields.get("ignore_errors")),
            sensitive=_sensitive(task),
            ran_for_real=planning and fields.get("check_mode") is False,
            minutes=_minutes(task),
            title_ja=_title_ja(task),
            seq=self._seq,
            occurrence=self._occurrence[(host, key)],
            started=self._task_started.get(task._uuid),
            ended=model.iso(model.now()),
        )
        if (task.vars or {}).get("workplan_phase"):  # the phase of a phased role's task (report.py)
            rec["phase"] = str(task.vars["workplan_phase"])
        if planning:  # a plan keeps what will change; the report also needs what did not
            rec["entries"] = [e for e in rec["entries"] if e["state"] not in ("ok", "skipped")]
        if rec["entries"]:
            self._records.append(rec)
            self._journal_event({"event": "result", "record": rec})

    def _published(self, data):
        """What a role publishes for the plan with set_stats: workplan_targets, the hosts it changes beyond
        the play's own (delegated work), and workplan_timeline, a schedule drawn as a chart."""
        stats = data.get("ansible_stats")
        published = stats.get("data") if isinstance(stats, dict) else None
        if not isinstance(published, dict):
            return
        if isinstance(published.get("workplan_targets"), list):
            targets = published["workplan_targets"]
            self._targets += [t for t in targets if isinstance(t, dict) and t.get("name")]
        if isinstance(published.get("workplan_timeline"), dict):
            self._timelines.append(published["workplan_timeline"])

    # -- journal (apply runs): what the report of a killed run is made from ------------------------

    def _open_journal(self, guard):
        if self._journal or guard.get("mode") not in ("apply", "unplanned"):
            return
        folder = store_mod.plan_dir(guard["store"], guard["id"])
        self._journal = journal_mod.tasks_path(folder, self._token)
        self._journal_event(
            {
                "event": "run",
                "plan_id": guard["id"],
                "mode": guard["mode"],
                "started": model.iso(self._started),
                "playbook": basis_mod.rel(self._playbook or "", self._root),
                "applied_by": guard.get("applied_by"),
                "run": self._run_info(),
            }
        )

    def _journal_event(self, event):
        if self._journal:
            durable = event["event"] in ("run", "end")  # per-task lines: one write each, survive a kill
            journal_mod.append(self._journal, {**event, "at": model.iso(model.now())}, durable=durable)

    def _journal_item(self, result):
        if not self._journal:
            return
        data = result.result
        no_log = bool(result.task_fields.get("no_log")) or bool(data.get("_ansible_no_log"))
        hidden = no_log or _sensitive(result.task)
        keep = ("changed", "failed", "skipped", "_ansible_no_log", "ansible_loop_var")
        item = {k: data[k] for k in keep if k in data}
        if hidden:
            item["_ansible_no_log"] = True
        else:
            item.update({k: data[k] for k in ("diff", "msg", "_ansible_item_label") if k in data})
            loop_var = data.get("ansible_loop_var", "item")
            if loop_var in data and "_ansible_item_label" not in data:
                item["_ansible_item_label"] = data[loop_var]
        host, key = result.host.get_name(), self._task_key(result.task)
        occurrence = self._occurrence[(host, key)] + 1
        self._journal_event(
            {"event": "item", "host": host, "key": key, "occurrence": occurrence, "result": item}
        )

    # -- end of run ----------------------------------------------------------------------------

    def _run_info(self) -> dict:
        cli = context.CLIARGS
        return {
            "check": self._planning(),
            "diff": bool(cli.get("diff")),
            "forks": cli.get("forks"),
            "ansible_version": ansible_version,
            "inventory": [
                basis_mod.rel(s, self._root) if os.path.exists(s) else s for s in cli.get("inventory") or []
            ],
            "limit": cli.get("subset") or None,
            "tags": [t for t in cli.get("tags") or [] if t != "all"],
            "skip_tags": list(cli.get("skip_tags") or []),
        }

    def v2_playbook_on_stats(self, stats):
        try:
            self._finish(stats)
        except Exception as exc:  # never hide a failed write behind a green run
            self._display.error(
                f"workplan: 計画書/報告書を書き出せませんでした / could not write the plan or report: {exc}"
            )
            raise
        finally:
            self._xlsx.stop()

    def _finish(self, stats):
        if self._guards:
            guard = self._guards[0]
        elif self._refusal:
            what = (
                "作業計画を作成できませんでした / no plan made"
                if self._refusal.get("mode") == "plan"
                else (f"実施を中止しました（記録: {self._refusal.get('store')}） / apply refused")
            )
            self._display.display(f"workplan: {what}", color="bright red", stderr=True)
            return
        else:
            self._unguarded()
            return
        if guard["mode"] == "plan":
            self._write_plan(guard)
        else:
            self._write_report(guard, stats)

    def _hosts(self):
        seen = {}
        for guard in self._guards:
            for host in guard.get("hosts", []):
                seen.setdefault(host["name"], host)
        return list(seen.values())

    def _write_plan(self, guard):
        inputs = {}
        for each in self._guards:  # plays may declare different inputs; the plan holds them all
            for src in each["basis"]["inputs"]:
                inputs.setdefault(src["path"], src)
        guard = {**guard, "basis": {**guard["basis"], "inputs": list(inputs.values())}}
        plan = plan_mod.assemble_plan(
            guard,
            self._records,
            self._run_info(),
            self._hosts(),
            targets=self._targets,
            timelines=self._timelines,
        )
        store = guard["store"]
        plan_digest = store_mod.write_plan(store, plan)
        folder = store_mod.plan_dir(store, plan["id"])
        written, errors = documents.write_plan_files(folder, plan, plan_digest, self._xlsx)
        self._documents_written(errors)
        blocked = [f for f in plan["flags"] if f["severity"] == "block"]
        self._display.display(
            f"作業計画書 / work plan: {plan['id']}  sha256:{plan_digest}\n"
            f"  {folder}/plan.html | plan.xlsx | plan.md\n"
            f"  変更 {plan['summary']['changes']} 件、予測不能 {plan['summary']['unpredictable']} 件、"
            f"要対応 {len(blocked)} 件\n"
            f"  承認 / approve: bin/jichitai-ops approve {plan['id']} --by <承認者ID> --key <鍵>"
            f" --digest {plan_digest}",
            color="bright blue" if not blocked else "bright red",
            stderr=True,
        )

    def _documents_written(self, errors):
        for err in errors:
            self._display.warning(f"workplan: {err}")
        if self._xlsx.failure:  # the workbook fell back to this process: the engineers should know it broke
            self._display.warning(
                f"workplan: the workbook's own process failed ({self._xlsx.failure}); "
                "the workbook was left to the callback"
            )

    def _write_report(self, guard, stats):
        store = guard["store"]
        plan = None
        if guard["mode"] == "apply":
            plan = store_mod.load_plan(store, guard["id"])[0]
        summary = stats.summarize
        hosts = set(stats.processed)
        aborted = self._refusal is not None or any(
            summary(h)["failures"] or summary(h)["unreachable"] for h in hosts
        )
        ended = model.now()
        report = plan_mod.assemble_report(
            plan,
            guard,
            self._records,
            self._run_info(),
            model.iso(self._started),
            model.iso(ended),
            aborted,
            run_token=self._token,
        )
        if self._refusal:
            report["warnings"] = report.get("warnings", []) + self._refusal.get("reasons", [])
        self._save_report(store, guard["id"], report)
        self._journal_event({"event": "end", "verdict": report["verdict"]})

    def _save_report(self, store, plan_id, report):
        stamp = f"{model.now():%Y%m%dT%H%M%S}-{self._token[:6]}"
        latest, errors = documents.save_report(store, plan_id, report, stamp, xlsx_process=self._xlsx)
        self._documents_written(errors)
        counts = report["counts"]
        self._display.display(
            f"作業報告書 / work report: {report['verdict_ja']}  計画どおり {counts['matched']} 件、"
            f"計画外 {counts['unplanned']} 件、相違 {counts['diff_differs']} 件、失敗 {counts['failed']} 件\n"
            f"  {latest}/report.html | report.xlsx | report.md",
            color="bright green" if report["verdict"] == "ok" else "bright red",
            stderr=True,
        )

    def _unguarded(self):
        if self._planning():
            if self._records:
                self._display.display(
                    "workplan: この playbook は作業計画ガード（role workplan）を含まないため、"
                    "作業計画書は作成されません / no workplan guard in this playbook: no plan written",
                    color="bright yellow",
                    stderr=True,
                )
            return
        changed = [
            r for r in self._records if any(e["state"] in ("changed", "unpredictable") for e in r["entries"])
        ]
        if not changed:
            return
        configured = self.get_option("store_dir")
        store = store_mod.store_dir(self._root, {model.STORE_ENV: configured} if configured else {})
        plan_id = model.make_plan_id(self._started, self._playbook or "", self._token, unplanned=True)
        guard = {
            "id": plan_id,
            "mode": "unguarded",
            "store": store,
            "applied_by": store_mod.who("ansible-playbook"),
            "meta": {"title": os.path.basename(self._playbook or ""), "clause": ""},
            "basis": {"playbook": {"path": basis_mod.rel(self._playbook or "", self._root)}},
            "warnings": [plan_mod.unguarded_reason()],
        }
        report = plan_mod.assemble_report(
            None,
            guard,
            self._records,
            self._run_info(),
            model.iso(self._started),
            model.iso(model.now()),
            False,
        )
        self._save_report(store, plan_id, report)
