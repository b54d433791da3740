"""`jichitai-ops alerts serve|list|sla`: the receiver, the records, the month's SLA figures.

  jichitai-ops alerts serve --listen 127.0.0.1:9095 --records DIR
  jichitai-ops alerts list --records DIR [--month YYYY-MM] [--format table|json]
  jichitai-ops alerts sla --records DIR --month YYYY-MM [--format table|json]

sla exits 6 when the month has a breach: a notification later than 30 minutes after detection, one
the records cannot show (未確認), or a host below 99.9 % availability. Unreadable record files are
named on stderr and exit 1 (the figures would be incomplete).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import unicodedata

from jichitai_ops.workplan import model

from . import records as rec
from . import sla as sla_mod

EXIT_OK, EXIT_ERROR, EXIT_BREACH = 0, 1, 6
STATUS_JA = {"firing": "発報中", "resolved": "復旧"}
SEVERITY_JA = {"critical": "重大", "warning": "警告"}
LIST_HEADERS = [
    "検知日時",
    "通知日時",
    "復旧日時",
    "状態",
    "重要度",
    "ホスト",
    "監視項目",
    "アラート名",
    "概要",
]


def listen_arg(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"not HOST:PORT (e.g. 127.0.0.1:9095): {text!r}")
    return host.strip("[]"), int(port)


def month_arg(text: str) -> str:
    if not rec.MONTH_RE.match(text.strip()):
        raise argparse.ArgumentTypeError(f"not a month (want YYYY-MM, e.g. 2027-04): {text!r}")
    return text.strip()


def short_time(value) -> str:
    return f"{model.parse_time(value):%Y-%m-%d %H:%M}" if value else "—"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = []
    for row in [headers, *rows]:
        cells = [str(c) + " " * (w - _width(str(c))) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _load(opts) -> tuple[list[dict], list[str]] | None:
    try:
        return rec.list_records(opts.records, getattr(opts, "list_month", None))
    except rec.RecordError as exc:
        print(f"記録を読めません / cannot read the records: {exc}", file=sys.stderr)
        return None


def _problems(problems: list[str]) -> int:
    for problem in problems:
        print(f"読めない記録 / unreadable record: {problem}", file=sys.stderr)
    return EXIT_ERROR if problems else EXIT_OK


def cmd_serve(opts) -> int:
    from . import receiver

    host, port = opts.listen
    try:
        receiver.serve(host, port, opts.records)
    except OSError as exc:
        print(f"受信を開始できません / cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def cmd_list(opts) -> int:
    opts.list_month = opts.month
    loaded = _load(opts)
    if loaded is None:
        return EXIT_ERROR
    found, problems = loaded
    if opts.format == "json":
        print(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        rows = [
            [
                short_time(r["detected_at"]),
                short_time(r["notified_at"]),
                short_time(r["resolved_at"]),
                STATUS_JA.get(r["status"], r["status"]),
                SEVERITY_JA.get(r["severity"], r["severity"]),
                r["labels"].get("jichitai_host", ""),
                r["labels"].get("jichitai_check", ""),
                r["alertname"],
                r["annotations"].get("summary_ja", ""),
            ]
            for r in found
        ]
        print(table(LIST_HEADERS, rows) if rows else "アラートの記録はありません")
    return _problems(problems)


def cmd_sla(opts) -> int:
    # every month: an outage that began the month before still counts against this one
    loaded = _load(opts)
    if loaded is None:
        return EXIT_ERROR
    found, problems = loaded
    report = sla_mod.month_report(found, opts.month, dt.datetime.now(model.TZ))
    if opts.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(
            f"{opts.month} 障害報告時間（検知から通知まで {report['report_limit_minutes']} 分以内）: "
            f"アラート {report['count']} 件、30分以内 {report['within_limit']} 件、"
            f"超過 {report['late']} 件、未確認 {report['unknown']} 件"
        )
        rows = [
            [
                short_time(a["detected_at"]),
                short_time(a["notified_at"]),
                "—" if a["minutes_to_notify"] is None else f"{a['minutes_to_notify']:.1f}",
                a["verdict_ja"],
                a["jichitai_host"],
                a["alertname"],
            ]
            for a in report["alerts"]
        ]
        if rows:
            print(table(["検知日時", "通知日時", "通知まで（分）", "判定", "ホスト", "アラート名"], rows))
        print()
        print(f"稼働率（目標 {report['availability_goal_percent']}% 以上/月、停止アラートのあったホスト）:")
        hosts = [
            [
                h["jichitai_host"],
                f"{h['down_minutes']:.1f}",
                f"{h['availability_percent']:.3f}%",
                "達成" if h["meets_goal"] else "未達",
            ]
            for h in report["availability"]
        ]
        print(table(["ホスト", "停止時間（分）", "稼働率", "判定"], hosts) if hosts else "停止はありません")
        print()
        print("SLA違反あり" if report["breach"] else "SLA違反なし")
    if problems:
        return _problems(problems)
    return EXIT_BREACH if report["breach"] else EXIT_OK


def add_subcommand(sub) -> None:
    """`jichitai-ops alerts`, added to the command line's subcommands."""
    sp = sub.add_parser(
        "alerts",
        help="alert records from Alertmanager and their SLA figures (障害報告時間, 稼働率)",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("sla exits") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = sp.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")

    def records_opt(vp):
        vp.add_argument("--records", required=True, metavar="DIR", help="records folder (alerts/ inside)")

    vp = verbs.add_parser("serve", help="receive Alertmanager's webhook (POST /alerts) into records")
    vp.add_argument(
        "--listen", required=True, type=listen_arg, metavar="HOST:PORT", help="e.g. 127.0.0.1:9095"
    )
    records_opt(vp)
    vp.set_defaults(func=cmd_serve)

    vp = verbs.add_parser("list", help="the alert records, oldest first")
    records_opt(vp)
    vp.add_argument("--month", type=month_arg, metavar="YYYY-MM", help="only alerts detected in this month")
    vp.add_argument("--format", choices=["table", "json"], default="table", help="table (default) or json")
    vp.set_defaults(func=cmd_list)

    vp = verbs.add_parser("sla", help="the month's notification times and availability (exit 6: breach)")
    records_opt(vp)
    vp.add_argument("--month", required=True, type=month_arg, metavar="YYYY-MM", help="e.g. 2027-04")
    vp.add_argument("--format", choices=["table", "json"], default="table", help="table (default) or json")
    vp.set_defaults(func=cmd_sla)
