"""`jichitai-ops exporter nut`: the UPS (NUT) exporter, with the Kea pool collector in the same process.

    jichitai-ops exporter nut --listen 127.0.0.1:9199 --server 127.0.0.1:3493 [--ups ups01 ...] \\
        [--kea http://127.0.0.1:8001/ --kea-auth-file FILE] \\
        [--radius radius01=127.0.0.31:1812 --radius-secret-file FILE --radius-auth-file FILE]
"""

from __future__ import annotations


def cmd_exporter_nut(opts) -> int:
    from . import kea, nut, radius, server

    targets = [radius.parse_target(text) for text in opts.radius or []]
    if targets and not (opts.radius_secret_file and opts.radius_auth_file):
        raise SystemExit("--radius needs --radius-secret-file and --radius-auth-file")
    if targets:
        secret = radius.read_secret(opts.radius_secret_file)
        user, password = radius.read_auth(opts.radius_auth_file)
    settings = {
        "server": nut.parse_server(opts.server),
        "ups": opts.ups or None,
        "timeout": opts.timeout,
        "kea": list(opts.kea or []),
        "kea_auth": kea.read_auth(opts.kea_auth_file) if opts.kea_auth_file else None,
        "radius": {
            name: {"address": host, "port": port, "secret": secret, "user": user, "password": password}
            for name, host, port in targets
        },
        "radius_timeout": opts.radius_timeout,
    }
    server.serve(opts.listen, settings)
    return 0


def add_subcommand(sub) -> None:
    """`jichitai-ops exporter`, added to the command line's subcommands."""
    sp = sub.add_parser("exporter", help="Prometheus exporters (UPS over NUT, with Kea pool use and RADIUS)")
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
    nut.add_argument(
        "--radius",
        action="append",
        metavar="NAME=HOST[:PORT]",
        help="a RADIUS server /radius_metrics?target=NAME may probe (repeatable; port default 1812)",
    )
    nut.add_argument("--radius-secret-file", metavar="FILE", help="the RADIUS shared secret (mode 0600)")
    nut.add_argument(
        "--radius-auth-file", metavar="FILE", help="user:password of the RADIUS probe account (mode 0600)"
    )
    nut.add_argument(
        "--radius-timeout", type=float, default=3.0, metavar="SECONDS", help="RADIUS answer wait (default 3)"
    )
    nut.set_defaults(func=cmd_exporter_nut)
