"""`jichitai-ops exporter nut`: the UPS (NUT) exporter, with the Kea pool collector in the same process.

    jichitai-ops exporter nut --listen 127.0.0.1:9199 --server 127.0.0.1:3493 [--ups ups01 ...] \\
        [--kea http://127.0.0.1:8001/ --kea-auth-file FILE]
"""

from __future__ import annotations


def cmd_exporter_nut(opts) -> int:
    from . import kea, nut, server

    settings = {
        "server": nut.parse_server(opts.server),
        "ups": opts.ups or None,
        "timeout": opts.timeout,
        "kea": list(opts.kea or []),
        "kea_auth": kea.read_auth(opts.kea_auth_file) if opts.kea_auth_file else None,
    }
    server.serve(opts.listen, settings)
    return 0


def add_subcommand(sub) -> None:
    """`jichitai-ops exporter`, added to the command line's subcommands."""
    sp = sub.add_parser("exporter", help="Prometheus exporters (UPS over NUT, with Kea pool use)")
    kinds = sp.add_subparsers(dest="exporter", required=True, metavar="KIND")
    nut = kinds.add_parser("nut", help="UPS metrics from NUT upsd, named as nut_exporter names them")
    nut.add_argument("--listen", default="127.0.0.1:9199", metavar="HOST:PORT", help="default 127.0.0.1:9199")
    nut.add_argument(
        "--server", default="127.0.0.1:3493", metavar="HOST:PORT", help="NUT upsd (default 127.0.0.1:3493)"
    )
    nut.add_argument(
        "--ups",
        action="append",
        metavar="NAME",
        help="UPS of /metrics (repeatable; default every UPS upsd lists)",
    )
    nut.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="per peer (default 5)")
    nut.add_argument(
        "--kea", action="append", metavar="URL", help="a Kea Control Agent /kea_metrics may read (repeatable)"
    )
    nut.add_argument(
        "--kea-auth-file", metavar="FILE", help="user:password of the Control Agents (mode 0600)"
    )
    nut.set_defaults(func=cmd_exporter_nut)
