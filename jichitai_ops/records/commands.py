"""`jichitai-ops incident|fault|issue`: the registers from the command line (docs/records.md).

  jichitai-ops incident open --title T --detected-at 2027-04-01T09:30 --where W --what X [--severity critical]
  jichitai-ops incident update INC-2027-0001 [--cause C] [--measures M] [--note 経過] ...
  jichitai-ops incident close INC-2027-0001 [--cause C] [--measures M]    (refused without cause and measures)
  jichitai-ops incident list [--month 2027-04] [--status open] [--format table|json]
  jichitai-ops incident show INC-2027-0001 [--format yaml|json]
  jichitai-ops incident report INC-2027-0001 --stage first|interim|final --out DIR
  jichitai-ops fault open --title T --device D --detected-at ... --symptom S   (報告期限: 3 working days)
  jichitai-ops fault report FLT-2027-0001 --out DIR                           (障害報告書)
  jichitai-ops issue open --content C --impact I --priority high --owner O
  jichitai-ops runs --month 2027-04 [--ara-api-server URL | --ara-offline] [--format table|json]

The records folder is --records, else JICHITAI_RECORDS_DIR, else work/records in the project. --by names
who writes (default: the login name); --at sets the clock (ISO 8601, for a record written after the fact).

exit codes: 0 done, 1 unreadable records, 2 usage, 3 refused (a bad or incomplete record; nothing
written), 4 not found.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from jichitai_ops.workplan import model

from . import registers as reg

EXIT_OK, EXIT_ERROR, EXIT_REFUSED, EXIT_NOT_FOUND = 0, 1, 3, 4
LIST_COLUMNS = {
    "incident": ("id", "status", "severity", "detected_at", "title", "recovered_at", "closed_at"),
    "fault": ("id", "status", "device", "detected_at", "report_due", "title", "closed_at"),
    "issue": ("id", "status", "priority", "raised_on", "owner", "content", "resolved_on"),
}
MONTH_KEY = {"incident": "detected_at", "fault": "detected_at", "issue": "raised_on"}
SET_ON_OPEN = {
    "incident": (
        "title",
        "severity",
        "detected_at",
        "first_report_at",
        "where",
        "what",
        "hosts",
        "owner",
        "cause",
        "interim_action",
        "recovery_outlook",
        "alerts",
        "faults",
    ),
    "fault": ("title", "device", "detected_at", "symptom", "isolation", "action", "owner", "incident"),
    "issue": ("content", "impact", "priority", "raised_on", "owner", "action"),
}
NOT_UPDATABLE = {"id", "history", "report_due", "closed_at"}


def records_dir(opts) -> str:
    if opts.records:
        return opts.records
    from jichitai_ops.cli import ROOT

    return os.environ.get("JICHITAI_RECORDS_DIR") or str(ROOT / "work" / "records")


def project() -> str:
    from jichitai_ops.cli import ROOT

    return str(ROOT)


def _values(kind: str, opts, names) -> dict:
    values = {}
    for name in names:
        value = getattr(opts, name, None)
        if value not in (None, [], ""):
            values[name] = value
    return values


def _fail(exc: reg.RegisterError) -> int:
    if isinstance(exc, reg.NotFoundError):
        print(f"見つかりません / not found: {exc}", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(f"できません / refused: {exc}", file=sys.stderr)
    return EXIT_REFUSED


def _at(opts):
    return model.parse_time(opts.at) if opts.at else None


def _say(record: dict, verb: str, records: str) -> None:
    kind = record["kind"]
    status = reg.choice_ja(kind, "status", record["status"])
    extra = f"、報告期限 {record['report_due']}" if record.get("report_due") else ""
    print(f"{record['id']} {verb}（{status}{extra}） {reg.path_of(records, record['id'])}")


def cmd_open(opts) -> int:
    records = records_dir(opts)
    try:
        record = reg.create(
            records,
            opts.kind,
            _values(opts.kind, opts, SET_ON_OPEN[opts.kind]),
            opts.by,
            _at(opts),
            project(),
        )
    except (reg.RegisterError, ValueError) as exc:
        return _fail(reg.RegisterError(str(exc)))
    _say(record, "を起票しました", records)
    return EXIT_OK


def cmd_update(opts) -> int:
    records = records_dir(opts)
    names = [f.name for f in reg.fields(opts.kind) if f.name not in NOT_UPDATABLE]
    lists = tuple(f.name for f in reg.fields(opts.kind) if f.kind == "list")
    try:
        reg.kind_of(opts.id) == opts.kind or _wrong_kind(opts)
        record = reg.change(
            records,
            opts.id,
            _values(opts.kind, opts, names),
            opts.by,
            opts.note or "",
            _at(opts),
            project(),
            append=lists,
        )
    except (reg.RegisterError, ValueError) as exc:
        return _fail(exc if isinstance(exc, reg.RegisterError) else reg.RegisterError(str(exc)))
    _say(record, "を更新しました", records)
    return EXIT_OK


def _wrong_kind(opts):
    raise reg.NotFoundError(f"{opts.id} is not a {opts.kind} id")


def cmd_close(opts) -> int:
    records = records_dir(opts)
    names = [f.name for f in reg.fields(opts.kind) if f.name not in NOT_UPDATABLE | {"status"}]
    try:
        reg.kind_of(opts.id) == opts.kind or _wrong_kind(opts)
        record = reg.close(records, opts.id, opts.by, _at(opts), _values(opts.kind, opts, names), project())
    except (reg.RegisterError, ValueError) as exc:
        return _fail(exc if isinstance(exc, reg.RegisterError) else reg.RegisterError(str(exc)))
    _say(record, "を完了しました" if opts.kind != "issue" else "を解決しました", records)
    return EXIT_OK


def cmd_list(opts) -> int:
    found, problems = reg.list_records(records_dir(opts), opts.kind)
    if opts.month:
        key = MONTH_KEY[opts.kind]
        found = [r for r in found if (r.get(key) or "")[:7] == opts.month]
    if opts.status:
        found = [r for r in found if r["status"] == opts.status]
    if opts.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        from jichitai_ops.alerts.commands import table

        columns = LIST_COLUMNS[opts.kind]
        heads = [next(f.ja for f in reg.fields(opts.kind) if f.name == c) for c in columns]
        rows = []
        for r in found:
            row = []
            for c in columns:
                value = r.get(c)
                if c in ("status", "severity", "priority"):
                    value = reg.choice_ja(opts.kind, c, value)
                elif value and c.endswith("_at"):
                    value = f"{model.parse_time(value):%Y-%m-%d %H:%M}"
                text = str(value or "—").replace("\n", " ")
                row.append(text if len(text) <= 40 else text[:39] + "…")
            rows.append(row)
        print(table(heads, rows) if rows else f"{reg.KINDS[opts.kind]['ja']}の記録はありません")
    for problem in problems:
        print(f"読めない記録 / unreadable record: {problem}", file=sys.stderr)
    return EXIT_ERROR if problems else EXIT_OK


def cmd_show(opts) -> int:
    try:
        record = reg.get(records_dir(opts), opts.id)
    except reg.RegisterError as exc:
        return _fail(exc)
    if opts.format == "json":
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        print(reg.path_of(records_dir(opts), opts.id).read_text(encoding="utf-8"), end="")
    return EXIT_OK


def cmd_report(opts) -> int:
    from jichitai_ops.reports import fault_report, incident_report

    try:
        record = reg.get(records_dir(opts), opts.id)
        if record["kind"] != opts.kind:
            _wrong_kind(opts)
        if opts.kind == "incident":
            paths = incident_report.write(record, opts.stage, opts.out, records_dir(opts))
        else:
            paths = fault_report.write(record, opts.out, project())
    except (reg.RegisterError, incident_report.ReportRefused) as exc:
        return _fail(exc if isinstance(exc, reg.RegisterError) else reg.RegisterError(str(exc)))
    for fmt, path in paths.items():
        print(f"{fmt}: {path}")
    return EXIT_OK


def cmd_runs(opts) -> int:
    """The month's runs as ARA recorded them, each with its work plan (label, extra variable or time)."""
    from jichitai_ops.alerts.commands import table
    from jichitai_ops.reports.monthly_availability import month_bounds
    from jichitai_ops.reports.monthly_sources import plans as month_plans
    from jichitai_ops.workplan import store as plan_store

    from . import runs as runs_mod

    start, end = month_bounds(opts.month)
    try:
        found = runs_mod.month_runs(
            start, end, "offline" if opts.ara_offline else "http", opts.ara_api_server
        )
    except runs_mod.RunsError as exc:
        print(f"実行記録を読めません / cannot read the runs: {exc}", file=sys.stderr)
        return EXIT_ERROR
    plans, problems = month_plans(plan_store.store_dir(project()), opts.month)
    runs_mod.link_plans(found, plans)
    if opts.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        rows = [
            [
                str(r["id"]),
                f"{model.parse_time(r['started']):%Y-%m-%d %H:%M}" if r["started"] else "—",
                r["status"],
                r["playbook"],
                "確認（check）" if r["check"] else "実行",
                r["plan_id"] or "—",
                r["clause"] or "—",
            ]
            for r in found
        ]
        heads = ["ARA", "開始", "状態", "プレイブック", "種別", "計画番号", "根拠"]
        print(table(heads, rows) if rows else "実行の記録はありません")
    for problem in problems:
        print(f"読めない記録 / unreadable record: {problem}", file=sys.stderr)
    return EXIT_OK


def _field_options(vp, kind: str, names) -> None:
    for fld in reg.fields(kind):
        if fld.name not in names:
            continue
        flag = "--" + fld.name.replace("_", "-")
        text = f"{fld.ja}" + (f": {fld.help}" if fld.help else "")
        if fld.kind == "choice":
            text += " (" + ", ".join(f"{c}={j}" for c, j in fld.choices) + ")"
        if fld.kind == "list":
            vp.add_argument(flag, dest=fld.name, action="append", metavar="VALUE", help=text)
        else:
            vp.add_argument(flag, dest=fld.name, metavar=fld.kind.upper(), help=text)


def add_subcommand(sub) -> None:
    """`jichitai-ops incident|fault|issue`, added to the command line's subcommands."""
    helps = {
        "incident": "the incident register and its first/interim/final reports (SEC-INC)",
        "fault": "the fault register and the fault report, due in 3 working days (MNT-FAULT)",
        "issue": "the issue register (PM-ISSUES)",
    }
    sp = sub.add_parser("runs", help="the month's playbook runs from ARA, each with its work plan")
    sp.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2027-04")
    sp.add_argument(
        "--ara-api-server",
        default=os.environ.get("ARA_API_SERVER", "http://127.0.0.1:8000"),
        help="ARA's API server (default: ARA_API_SERVER, else http://127.0.0.1:8000)",
    )
    sp.add_argument(
        "--ara-offline", action="store_true", help="read ARA's database instead (ara installed here)"
    )
    sp.add_argument("--format", choices=["table", "json"], default="table", help="table (default) or json")
    sp.set_defaults(func=cmd_runs)
    for kind in ("incident", "fault", "issue"):
        sp = sub.add_parser(
            kind,
            help=helps[kind],
            description=__doc__.split("\n\n")[0] + "\n\n" + helps[kind],
            epilog=__doc__[__doc__.index("The records folder") :],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        verbs = sp.add_subparsers(dest=f"{kind}_command", required=True, metavar="ACTION")

        def common(vp, kind=kind):
            vp.add_argument(
                "--records",
                metavar="DIR",
                help="records folder (default: JICHITAI_RECORDS_DIR, else work/records)",
            )
            vp.add_argument("--by", default=getpass.getuser(), help="who writes (default: the login name)")
            vp.add_argument("--at", metavar="TIME", help="the time of the change (default: now)")
            vp.set_defaults(kind=kind)

        all_names = [f.name for f in reg.fields(kind) if f.name not in NOT_UPDATABLE]
        vp = verbs.add_parser("open", help=f"a new {kind} record")
        common(vp)
        _field_options(vp, kind, SET_ON_OPEN[kind])
        vp.set_defaults(func=cmd_open)

        vp = verbs.add_parser("update", help="set fields; list fields are added to; --note adds to 経過")
        vp.add_argument("id", help="the record id (INC-/FLT-/ISS-YYYY-NNNN)")
        common(vp)
        _field_options(vp, kind, all_names)
        vp.add_argument("--note", help="経過: what was done (written with the time and --by)")
        vp.set_defaults(func=cmd_update)

        vp = verbs.add_parser(
            "close",
            help="close (incident, fault: cause and measures required) or resolve (issue: result required)",
        )
        vp.add_argument("id", help="the record id (INC-/FLT-/ISS-YYYY-NNNN)")
        common(vp)
        _field_options(vp, kind, [n for n in all_names if n != "status"])
        vp.set_defaults(func=cmd_close)

        vp = verbs.add_parser("list", help="the register")
        common(vp)
        vp.add_argument("--month", metavar="YYYY-MM", help="only records of this month")
        vp.add_argument(
            "--status",
            help="only records in this state",
            choices=[c for c, _ in next(f for f in reg.fields(kind) if f.name == "status").choices],
        )
        vp.add_argument(
            "--format", choices=["table", "json"], default="table", help="table (default) or json"
        )
        vp.set_defaults(func=cmd_list)

        vp = verbs.add_parser("show", help="one record")
        vp.add_argument("id", help="the record id (INC-/FLT-/ISS-YYYY-NNNN)")
        common(vp)
        vp.add_argument(
            "--format", choices=["yaml", "json"], default="yaml", help="yaml (the file, default) or json"
        )
        vp.set_defaults(func=cmd_show)

        if kind != "issue":
            vp = verbs.add_parser(
                "report",
                help="render the report" + (" of a stage" if kind == "incident" else " (障害報告書)"),
            )
            vp.add_argument("id", help="the record id (INC-/FLT-/ISS-YYYY-NNNN)")
            common(vp)
            if kind == "incident":
                vp.add_argument(
                    "--stage",
                    required=True,
                    choices=["first", "interim", "final"],
                    help="first (第一報), interim (中間報告), final (最終報告: cause and measures required)",
                )
            vp.add_argument("--out", required=True, metavar="DIR", help="folder for the md/html/json")
            vp.set_defaults(func=cmd_report)
