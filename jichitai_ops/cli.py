"""jichitai-ops: the engineer's command line for work plans (plan -> approve -> apply -> report).

  jichitai-ops plan PLAYBOOK --window-start 2026-12-16T22:00 --window-end 2026-12-16T23:30 [-e K=V]...
  jichitai-ops approve PLAN_ID --by APPROVER --key KEY --digest SHA256 [--override-calendar --reason 理由]
  jichitai-ops apply PLAN_ID [-e K=V]...
  jichitai-ops show [PLAN_ID] [--format summary|md|json|paths]
  jichitai-ops report PLAN_ID
  jichitai-ops calendar --month 2027-04 [--months 12] [--inventory PATH] --out DIR
  jichitai-ops alerts serve|list|sla --records DIR ...   (docs/alerts.md)

report writes the report of every run under the plan that ended without one (ansible-playbook killed,
the controller lost) from the run's journal, and lists every run with what it changed.

plan and apply run ansible-playbook through ansible-runner (artifacts under work/runner/), with the
workplan callback enabled, in the project found from the current folder (or JICHITAI_OPS_PROJECT).
Plans live in work/plans/ (or JICHITAI_WORKPLAN_DIR).

exit codes:
  0  done
  1  error: the playbook run failed or wrote no plan/report
  2  usage: a bad command line (unknown option, malformed digest)
  3  refused: nothing was changed (no approval, digest mismatch, changed since the plan, window, calendar)
  4  not found: no plan with that id
  5  review: applied, but the report needs review (unplanned change, failure, difference from the plan)
  6  breach: `alerts sla` found an SLA breach in the month (late or unshown notification, availability)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import sys
from pathlib import Path

from jichitai_ops.workplan import documents, model, signature
from jichitai_ops.workplan import plan as plan_mod
from jichitai_ops.workplan import store as store_mod


def project_root() -> Path:
    """The project the command works on: JICHITAI_OPS_PROJECT, else the nearest folder at or above the
    current one that holds ansible.cfg and playbooks/."""
    named = os.environ.get("JICHITAI_OPS_PROJECT")
    if named:
        return Path(named).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "ansible.cfg").is_file() and (folder / "playbooks").is_dir():
            return folder
    return here


ROOT = project_root()

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REFUSED, EXIT_NOT_FOUND, EXIT_REVIEW = 0, 1, 2, 3, 4, 5
NOT_FOUND_CODES = {"no_plan", "bad_plan_id"}
DIGEST_RE = re.compile(r"[0-9a-f]{64}")


def store() -> str:
    return store_mod.store_dir(str(ROOT))


def say(ja: str, en: str | None = None, stream=None) -> None:
    print(ja if en is None else f"{ja}\n  {en}", file=stream or sys.stdout)


def refused(exc) -> int:
    if {r.get("code") for r in exc.reasons} <= NOT_FOUND_CODES:
        say("見つかりません / not found:", stream=sys.stderr)
        print(model.format_reasons(exc.reasons), file=sys.stderr)
        return EXIT_NOT_FOUND
    say("できません / refused:", stream=sys.stderr)
    print(model.format_reasons(exc.reasons), file=sys.stderr)
    return EXIT_REFUSED


def digest_arg(text: str) -> str:
    """The plan digest as the approver copies it: `sha256:<hex>`, `<hex>  plan.json` (sha256sum), any case."""
    value = text.strip().split()[0] if text.strip() else ""
    value = value.lower().removeprefix("sha256:")
    if not DIGEST_RE.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"not a SHA-256 digest: {text!r} (64 hex digits, as printed on the plan: sha256:<hex>)"
        )
    return value


# -- ansible-runner ---------------------------------------------------------------------------------


def callbacks_enabled() -> str:
    """The configured callbacks plus workplan (ansible-runner and AWX override callback settings)."""
    from ansible.config.manager import ConfigManager

    enabled = list(
        ConfigManager(conf_file=str(ROOT / "ansible.cfg")).get_config_value("CALLBACKS_ENABLED") or []
    )
    if "workplan" not in enabled:
        enabled.append("workplan")
    return ",".join(enabled)


def run_playbook(kind: str, playbook: str, args: list[str], labels: list[str] | None = None):
    import ansible_runner

    stamp = model.now().strftime("%Y%m%dT%H%M%S")
    # ansible-runner sets ANSIBLE_CALLBACK_PLUGINS to its own directory, which hides ansible.cfg's
    # callback_plugins: name ours explicitly, then the caller's (ARA's, where the run history is
    # recorded: docs/records.md); runner appends its own.
    plugins = [str(ROOT / "plugins" / "callback")]
    if os.environ.get("ANSIBLE_CALLBACK_PLUGINS"):
        plugins.append(os.environ["ANSIBLE_CALLBACK_PLUGINS"])
    env = {
        "ANSIBLE_CALLBACK_PLUGINS": ":".join(plugins),
        "ANSIBLE_CALLBACKS_ENABLED": callbacks_enabled(),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    if labels:
        # the run's labels in ARA: the monthly report links the run to its work plan by plan:<id>
        env["ARA_DEFAULT_LABELS"] = ",".join(labels)
    private = ROOT / "work" / "runner"
    private.mkdir(parents=True, exist_ok=True)
    return ansible_runner.run(
        private_data_dir=str(private),
        project_dir=str(ROOT),
        ident=f"{kind}-{stamp}-{os.getpid()}",
        playbook=str(Path(playbook).resolve()),
        cmdline=" ".join(shlex.quote(a) for a in args),
        envvars=env,
        quiet=False,
        json_mode=False,
    )


def stats_data(runner) -> dict:
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            return event.get("event_data", {}).get("artifact_data") or {}
    return {}


def guard_refusal(runner) -> dict | None:
    for event in runner.events:
        if event.get("event") == "runner_on_failed":
            guard = event.get("event_data", {}).get("res", {}).get("workplan_guard")
            if guard and guard.get("refused"):
                return guard
    return None


def passthrough(opts) -> list[str]:
    args = []
    for value in opts.extra_vars or []:
        args += ["-e", value]
    for value in opts.vault_password_file or []:
        args += ["--vault-password-file", value]
    for value in opts.vault_id or []:
        args += ["--vault-id", value]
    return args


def extra_var_names(values: list[str]) -> set[str]:
    import yaml

    names = set()
    for value in values or []:
        if value.startswith("@"):
            with open(value[1:], encoding="utf-8") as fh:
                names |= set((yaml.safe_load(fh) or {}).keys())
        elif value.lstrip().startswith(("{", "[")):
            names |= set((yaml.safe_load(value) or {}).keys())
        else:
            names |= {item.split("=", 1)[0] for item in shlex.split(value) if "=" in item}
    return names


# -- commands --------------------------------------------------------------------------------------


def cmd_plan(opts) -> int:
    args = [
        "--check",
        "--diff",
        "-e",
        f"workplan_window_start={opts.window_start}",
        "-e",
        f"workplan_window_end={opts.window_end}",
    ]
    for inv in opts.inventory or []:
        args += ["-i", inv]
    if opts.limit:
        args += ["--limit", opts.limit]
    if opts.tags:
        args += ["--tags", opts.tags]
    if opts.skip_tags:
        args += ["--skip-tags", opts.skip_tags]
    runner = run_playbook("plan", opts.playbook, args + passthrough(opts))
    data = stats_data(runner)
    plan_id = data.get("workplan_id")
    if not plan_id or data.get("workplan_mode") != "plan":
        say(
            "作業計画を作成できませんでした（playbook に role workplan がありますか）",
            f"no plan was made (runner status {runner.status}, rc {runner.rc})",
            sys.stderr,
        )
        return EXIT_ERROR
    try:
        plan, _, plan_digest = store_mod.load_plan(store(), plan_id)
    except model.WorkplanError as exc:
        return refused(exc)
    print()
    show_summary(plan_id, plan, plan_digest)
    return EXIT_OK if runner.rc == 0 else EXIT_ERROR


def plan_signers(plan_id: str) -> str | None:
    """The allowed_signers file of the inventory the plan was made against."""
    plan, _, _ = store_mod.load_plan(store(), model.check_plan_id(plan_id))
    sources = [entry["path"] for entry in plan.get("basis", {}).get("inventory", [])]
    return signature.find_signers(str(ROOT), sources)


def cmd_approve(opts) -> int:
    try:
        approval = store_mod.approve(
            store(),
            opts.plan_id,
            opts.by,
            override_calendar=opts.override_calendar,
            override_reason=opts.reason,
            expected_digest=opts.digest,
            tool="jichitai-ops",
            key_file=opts.key,
            signers_path=plan_signers(opts.plan_id),
            root=str(ROOT),
        )
    except model.WorkplanError as exc:
        return refused(exc)
    say(
        f"承認を記録しました: {opts.plan_id}（{approval['approver']}、"
        f"{model.fmt_jp(approval['approved_at'])}）",
        f"approval recorded for digest sha256:{approval['plan_digest']}",
    )
    if approval["override_calendar"]:
        say(f"  カレンダー例外承認: {approval['override_reason']}")
    return EXIT_OK


def cmd_apply(opts) -> int:
    try:
        plan, _, _ = store_mod.load_plan(store(), model.check_plan_id(opts.plan_id))
    except model.WorkplanError as exc:
        return refused(exc)
    needed = set(plan["basis"]["run_options"].get("extra_vars", {}))
    try:
        given = extra_var_names(opts.extra_vars)
    except (OSError, ValueError) as exc:
        say("追加変数を読めません", f"cannot read the extra vars: {exc}", sys.stderr)
        return EXIT_USAGE
    missing = sorted(needed - given)
    if missing:
        say(
            f"計画時と同じ追加変数を指定してください: {', '.join(missing)}",
            f"pass the plan's extra vars again: {', '.join(missing)}",
            sys.stderr,
        )
        return EXIT_REFUSED
    run = plan.get("run", {})
    args = ["--diff", "-e", f"workplan_id={opts.plan_id}"]
    for inv in run.get("inventory") or []:
        args += ["-i", inv if os.path.isabs(inv) or "," in inv else str(ROOT / inv)]
    if run.get("limit"):
        args += ["--limit", run["limit"]]
    if run.get("tags"):
        args += ["--tags", ",".join(run["tags"])]
    if run.get("skip_tags"):
        args += ["--skip-tags", ",".join(run["skip_tags"])]
    earlier = reports_of(opts.plan_id)
    from jichitai_ops.records import runs

    labels = runs.labels_for(Path(plan["playbook"]).stem, str(plan.get("clause") or ""), opts.plan_id)
    runner = run_playbook("apply", str(ROOT / plan["playbook"]), args + passthrough(opts), labels)
    refusal = guard_refusal(runner)
    if refusal:
        print(file=sys.stderr)
        say(
            "作業計画の実施を拒否しました（変更は行っていません） / apply refused, nothing changed:",
            stream=sys.stderr,
        )
        print(model.format_reasons(refusal.get("reasons", [])), file=sys.stderr)
        return EXIT_REFUSED
    written = sorted(reports_of(opts.plan_id) - earlier)
    if not written:
        say(
            "この実施の作業報告書がありません",
            f"this run wrote no report (runner status {runner.status}, rc {runner.rc})",
            sys.stderr,
        )
        return EXIT_ERROR
    report_path = written[-1]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    print()
    say(
        f"作業報告書: {report['verdict_ja']}（計画外の変更 {report['counts']['unplanned']} 件）",
        f"report: {report_path.with_suffix('.html')}",
    )
    if runner.rc != 0:
        return EXIT_ERROR
    return EXIT_OK if report["verdict"] == "ok" else EXIT_REVIEW


def reports_of(plan_id: str) -> set[Path]:
    """Every report.json written for a plan so far (one folder per apply run under reports/)."""
    return set((Path(store_mod.plan_dir(store(), plan_id)) / "reports").glob("*/report.json"))


def show_summary(plan_id: str, plan: dict, plan_digest: str) -> None:
    folder = Path(store_mod.plan_dir(store(), plan_id))
    approval = store_mod.load_approval(store(), plan_id)
    window = plan.get("window") or {}
    print(f"作業計画 {plan_id}: {plan['title']}（{plan['clause']}）")
    print(f"  作業日時: {model.fmt_jp(window.get('start'))} 〜 {model.fmt_jp(window.get('end'))}")
    print(
        f"  変更 {plan['summary']['changes']} 件、予測不能 {plan['summary']['unpredictable']} 件、"
        f"対象ホスト {len(plan['hosts'])} 台、見込み {model.fmt_minutes(plan['estimate']['minutes'])}"
    )
    for flag in plan.get("flags", []):
        print(f"  [{'不可' if flag['severity'] == 'block' else '注意'}] {flag['ja']}")
    print(f"  ダイジェスト: sha256:{plan_digest}")
    if approval:
        ok = approval.get("plan_digest") == plan_digest
        print(
            f"  承認: {approval['approver']}（{model.fmt_jp(approval['approved_at'])}）"
            + ("" if ok else " ※ダイジェスト不一致")
        )
    else:
        print(
            f"  承認: なし → jichitai-ops approve {plan_id} --by <承認者ID> --key <鍵> --digest {plan_digest}"
        )
    report = folder / "report.json"
    if report.is_file():
        data = json.loads(report.read_text(encoding="utf-8"))
        print(f"  作業報告書: {data['verdict_ja']}（{folder / 'report.html'}）")
    print(f"  作業計画書: {folder / 'plan.html'} | plan.xlsx | plan.md")


def cmd_show(opts) -> int:
    if not opts.plan_id:
        for plan_id in store_mod.list_plans(store()):
            try:
                plan, _, _ = store_mod.load_plan(store(), plan_id)
                title = plan.get("title", "")
            except (model.WorkplanError, ValueError):
                title = "（計画なしの実施記録）"
            approved = "承認済" if store_mod.load_approval(store(), plan_id) else "未承認"
            print(f"{plan_id}  {approved}  {title}")
        return EXIT_OK
    try:
        plan, recorded, plan_digest = store_mod.load_plan(store(), model.check_plan_id(opts.plan_id))
    except model.WorkplanError as exc:
        return refused(exc)
    folder = Path(store_mod.plan_dir(store(), opts.plan_id))
    if opts.format == "json":
        print(json.dumps(plan, ensure_ascii=False, indent=2))
    elif opts.format == "md":
        print((folder / "plan.md").read_text(encoding="utf-8"))
    elif opts.format == "paths":
        for name in (
            "plan.json",
            "plan.md",
            "plan.html",
            "plan.xlsx",
            "approval.json",
            "report.html",
            "report.xlsx",
        ):
            if (folder / name).exists():
                print(folder / name)
    else:
        show_summary(opts.plan_id, plan, plan_digest)
        if recorded != plan_digest:
            say(
                "  ※ plan.json が作成後に変更されています（承認できません）",
                "plan.json does not match plan.sha256",
            )
    return EXIT_OK


def cmd_report(opts) -> int:
    try:
        plan_id = model.check_plan_id(opts.plan_id)
        if plan_id.endswith("-unplanned"):
            plan = None
        else:
            plan, _, _ = store_mod.load_plan(store(), plan_id)
    except model.WorkplanError as exc:
        return refused(exc)
    approval = store_mod.load_approval(store(), plan_id)
    runs = plan_mod.journal_runs(store(), plan_id)
    if not runs:
        say(f"{plan_id}: 実施の記録はありません", "no run of this plan was journalled")
        return EXIT_OK
    later_finished = False
    review = False
    for run in reversed(runs):  # newest first, so an older interrupted run never replaces the latest report
        if run["interrupted"]:
            report = plan_mod.interrupted_report(store(), plan, approval, run)
            folder, errors = documents.save_report(
                store(), plan_id, report, plan_mod.interrupted_stamp(run), latest=not later_finished
            )
            for err in errors:
                say(f"  書き出せませんでした: {err}", stream=sys.stderr)
            review = True
            later_finished = True
            entries = [e for r in run["records"] for e in r["entries"]]
            done = sum(1 for e in entries if e["state"] == "changed")
            made = sum(e.get("journal_changes", 0) for e in entries)
            say(
                f"{run['started']}  実行 {run['run'][:6]}  中断  {report['verdict_ja']}"
                f"  完了したタスクの変更 {done} 件、中断したタスクで記録された変更 {made} 件\n"
                f"  {folder}/reports/{plan_mod.interrupted_stamp(run)}/report.html",
                f"run {run['run'][:6]} was interrupted: report written from its journal",
            )
        else:
            later_finished = True
            say(f"{run['started']}  実行 {run['run'][:6]}  完了（報告書あり）", f"run {run['run'][:6]}: done")
    if review:
        say(
            "  収束させるには: 作業時間内なら同じ計画を再実行（jichitai-ops apply "
            f"{plan_id}）。残りの変更だけが適用され、報告書に各回の変更が載ります。"
            "作業時間を過ぎていれば新しい作業計画を作成して承認を受けてください",
            "to converge: apply the same plan again within its window, or make and approve a new plan",
        )
        return EXIT_REVIEW
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jichitai-ops",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("exit codes:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def ansible_opts(sp):
        sp.add_argument(
            "-e", "--extra-vars", action="append", metavar="VARS", help="as ansible-playbook -e (repeatable)"
        )
        sp.add_argument(
            "--vault-password-file", action="append", metavar="FILE", help="as ansible-playbook (repeatable)"
        )
        sp.add_argument("--vault-id", action="append", metavar="ID", help="as ansible-playbook (repeatable)")

    sp = sub.add_parser("plan", help="check run with diff: writes the work plan (作業計画書)")
    sp.add_argument("playbook", help="the operation's playbook, e.g. playbooks/dhcp_sync.yml")
    sp.add_argument(
        "--window-start",
        required=True,
        metavar="TIME",
        help="start of the work window, e.g. 2026-12-16T22:00 (Asia/Tokyo)",
    )
    sp.add_argument(
        "--window-end", required=True, metavar="TIME", help="end of the work window, e.g. 2026-12-16T23:30"
    )
    sp.add_argument(
        "-i", "--inventory", action="append", metavar="PATH", help="inventory (default: ansible.cfg's)"
    )
    sp.add_argument(
        "-l", "--limit", metavar="PATTERN", help="as ansible-playbook --limit; recorded in the plan"
    )
    sp.add_argument("-t", "--tags", metavar="TAGS", help="as ansible-playbook --tags; recorded in the plan")
    sp.add_argument(
        "--skip-tags", metavar="TAGS", help="as ansible-playbook --skip-tags; recorded in the plan"
    )
    ansible_opts(sp)
    sp.set_defaults(func=cmd_plan)

    sp = sub.add_parser("approve", help="record the city's approval of a plan digest")
    sp.add_argument("plan_id", help="the plan id, e.g. 20261206T101500-1a2b3c4d")
    sp.add_argument(
        "--by",
        required=True,
        metavar="APPROVER",
        help="the approver as named in the inventory's approvers/allowed_signers (承認者)",
    )
    sp.add_argument(
        "--key",
        required=True,
        metavar="FILE",
        help="the approver's SSH private key (or its .pub, to sign with the key held in ssh-agent)",
    )
    sp.add_argument(
        "--digest",
        required=True,
        type=digest_arg,
        metavar="SHA256",
        help="the digest printed on the plan the approver read (sha256:<hex>, <hex> or sha256sum output)",
    )
    sp.add_argument(
        "--override-calendar", action="store_true", help="approve despite a service-calendar conflict"
    )
    sp.add_argument(
        "--reason", metavar="TEXT", help="why the calendar is overridden (required with --override-calendar)"
    )
    sp.set_defaults(func=cmd_approve)

    sp = sub.add_parser("apply", help="run an approved plan and write the work report (作業報告書)")
    sp.add_argument("plan_id", help="the approved plan's id")
    ansible_opts(sp)
    sp.set_defaults(func=cmd_apply)

    sp = sub.add_parser("show", help="list plans, or show one")
    sp.add_argument("plan_id", nargs="?", help="a plan id; without it every plan is listed")
    sp.add_argument(
        "--format",
        choices=["summary", "md", "json", "paths"],
        default="summary",
        help="summary (default), the plan as Markdown or JSON, or the paths of its documents",
    )
    sp.set_defaults(func=cmd_show)

    sp = sub.add_parser(
        "report", help="write the report of runs that were killed, from their journal; list every run"
    )
    sp.add_argument("plan_id", help="the plan id")
    sp.set_defaults(func=cmd_report)

    from jichitai_ops import calendar_view  # the service calendar as month grids for the city

    calendar_view.add_subcommand(sub)

    from jichitai_ops.exporters import cli as exporters_cli  # Prometheus exporters (UPS, Kea pools)

    exporters_cli.add_subcommand(sub)

    from jichitai_ops.alerts import commands as alerts_commands  # alert records and their SLA figures

    alerts_commands.add_subcommand(sub)

    from jichitai_ops.records import commands as records_commands  # incident, fault and issue registers

    records_commands.add_subcommand(sub)
    return p


def main(argv=None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `jichitai-ops show | head` ends quietly
    opts = parser().parse_args(argv)
    try:
        return opts.func(opts)
    except model.WorkplanError as exc:
        return refused(exc)


if __name__ == "__main__":
    sys.exit(main())
