"""The exporter's HTTP endpoint: one registry per request, built from what the request names.

- ``/metrics`` and ``/ups_metrics``: UPSes of the NUT server (``?ups=NAME``, ``&server=HOST:PORT``);
- ``/kea_metrics?target=URL``: pool use of one Kea Control Agent, only those given with ``--kea``
  (the exporter holds their credentials and must not lend them to any URL);
- ``/radius_metrics?target=NAME``: an Access-Request of the probe account to one RADIUS server, only
  those named with ``--radius`` (same reason).
A failing peer answers 502 with the reason, so Prometheus records the scrape as down."""

from __future__ import annotations

import http.server
import sys
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry

from . import kea, nut, radius


class _Families:
    def __init__(self, families):
        self._families = families

    def collect(self):
        return iter(self._families)


class Handler(http.server.BaseHTTPRequestHandler):
    settings: dict = {}

    def log_message(self, fmt, *args):  # one line per failure only, not per scrape
        pass

    def _answer(self, code: int, body: bytes, kind: str = "text/plain; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        s = self.settings
        try:
            if parts.path in ("/metrics", "/ups_metrics"):
                server = nut.parse_server(query["server"]) if query.get("server") else s["server"]
                names = [query["ups"]] if query.get("ups") else s["ups"]
                families = nut.collect_ups(server, names, s["timeout"])
            elif parts.path == "/kea_metrics":
                target = query.get("target", "")
                if target not in s["kea"]:
                    return self._answer(400, f"target {target!r} is not one of --kea\n".encode())
                families = kea.collect_pools(target, s["kea_auth"], s["timeout"])
            elif parts.path == "/radius_metrics":
                target = query.get("target", "")
                if target not in s.get("radius", {}):
                    return self._answer(400, f"target {target!r} is not one of --radius\n".encode())
                families = radius.collect(target, s["radius"][target], s["radius_timeout"])
            elif parts.path == "/":
                paths = b"/metrics /ups_metrics?ups= /kea_metrics?target= /radius_metrics?target="
                return self._answer(200, b"jichitai-ops exporter: " + paths + b"\n")
            else:
                return self._answer(404, b"not found\n")
        except (nut.NutError, kea.KeaError, radius.RadiusError, OSError, ValueError) as exc:
            print(f"{parts.path}?{parts.query}: {exc}", file=sys.stderr, flush=True)
            return self._answer(502, f"{exc}\n".encode())
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families(families))
        return self._answer(200, generate_latest(registry), CONTENT_TYPE_LATEST)


def serve(listen: str, settings: dict) -> None:
    host, _, port = listen.rpartition(":")
    Handler.settings = settings
    httpd = http.server.ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    httpd.daemon_threads = True
    print(f"exporter listening on {listen}", file=sys.stderr, flush=True)
    httpd.serve_forever()
