"""Lab stand-in for one inter-segment file-transfer system (internet_lgwan or lgwan_mynumber).

The engines are real (clamd, oletools/olefile, pikepdf); this program is only the front and the
worker around them:
  - HTTPS on 127.0.0.1 (lab CA certificate): the subset of MetaDefender Core's REST API that the
    modules use (POST /file, GET /file/{data_id}, GET /file/converted/{data_id}, header `apikey`),
    the stand-in's own admin API (/admin/accounts, /admin/users|groups|routes, /admin/status);
  - a worker that polls every drop user's outbox on both sides about once a second, sends each file
    through the engines and delivers the result and its report to the same user's inbox opposite;
  - for a CSV-backed system, an importer of account batches from the import folder.

  standin.py serve SYSTEM               run (the API key is read from RUN/apikey, mode 0600)
  standin.py setup-drops SYSTEM PUBKEY [--reset]   prepare the drop user on both sides' hosts
  standin.py drops-ready SYSTEM         exit 1 unless both sides' drops are prepared
Paths: LAB_RUN (default lab/run); state under LAB_RUN/transfer/<SYSTEM>/.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import accounts
import drops
import engine

HERE = Path(__file__).resolve().parent
LAB_RUN = Path(os.environ.get("LAB_RUN", HERE.parent / "run"))
XFER_RUN = LAB_RUN / "transfer"
CONFIG = json.loads((HERE / "systems.json").read_text(encoding="utf-8"))
RULES = {
    "sanitize": "sanitize",
    "sanitise": "sanitize",
    "cdr": "sanitize",
    "deep cdr": "sanitize",
    "scan": "scan",
    "scan only": "scan",
    "multiscan": "scan",
}
# how often the engine looks at the drops' outboxes and the import folder; a file is taken once it is
# unchanged since the last look, so a file waits one to two of these
POLL_S = 0.25
log = logging.getLogger("transfer")


class System:
    def __init__(self, name: str):
        self.name = name
        self.conf = CONFIG["systems"][name]
        self.probe = CONFIG["probe"]
        self.dir = XFER_RUN / name
        self.results = self.dir / "results"
        self.results.mkdir(parents=True, exist_ok=True)
        self.clamd = str(XFER_RUN / "clamd.sock")
        sides = [s["segment"] for s in self.conf["sides"]]
        self.store = accounts.Store(self.dir / "state.json", self.probe | {"sides": sides})
        self.stats_path = self.dir / "stats.json"
        self.stats = json.loads(self.stats_path.read_text()) if self.stats_path.exists() else {}
        self.lock = threading.Lock()
        self.pending: dict[str, dict] = {}  # data_id -> report while processing
        self.queue = 0
        if self.conf["accounts"] == "csv":
            self.import_dir, self.export_dir = self.dir / "import", self.dir / "export"
            self.import_dir.mkdir(exist_ok=True)
            self.export_dir.mkdir(exist_ok=True)
            if not (self.export_dir / "users.csv").exists():
                accounts.export(self.store, self.export_dir)

    # --- results -------------------------------------------------------------------------------
    def rule_for(self, direction: str | None, rule: str | None) -> tuple[str, str]:
        directions = self.conf["rules"]
        direction = direction or next(iter(directions))
        if direction not in directions:
            raise ValueError(f"x-direction must be one of {', '.join(directions)}")
        if not rule:
            return direction, directions[direction]
        if rule.strip().lower() not in RULES:
            raise ValueError(f"unknown rule {rule!r} (sanitize or scan)")
        return direction, RULES[rule.strip().lower()]

    def run(self, data_id: str, name: str, data: bytes, rule: str) -> engine.Result:
        """Process a file; waits while clamd is down (the result stays Processing meanwhile)."""
        self.pending[data_id] = engine.processing_report(data_id, name, len(data), rule)
        while True:
            try:
                result = engine.process(data_id, name, data, rule, self.clamd)
                break
            except engine.EngineDown as exc:
                log.warning("%s: %s; retrying", data_id, exc)
                time.sleep(POLL_S)
        (self.results / f"{data_id}.json").write_text(json.dumps(result.report, ensure_ascii=False))
        if result.data is not None:
            (self.results / f"{data_id}.bin").write_bytes(result.data)
        self.pending.pop(data_id, None)
        return result

    def report(self, data_id: str) -> dict | None:
        if not re.fullmatch(r"[0-9a-f]{32}", data_id):
            return None
        if data_id in self.pending:
            return self.pending[data_id]
        path = self.results / f"{data_id}.json"
        return json.loads(path.read_text()) if path.exists() else None

    # --- drops ---------------------------------------------------------------------------------
    def note(self, src: str, dst: str, outcome: str) -> None:
        with self.lock:
            entry = self.stats.setdefault(
                f"{src}_to_{dst}",
                {
                    "from": src,
                    "to": dst,
                    "last_success": None,
                    "last_failure": None,
                    "transferred": 0,
                    "blocked": 0,
                },
            )
            if outcome == "delivered":
                entry["last_success"] = accounts.iso_now()
                entry["transferred"] += 1
            elif outcome == "blocked":
                entry["blocked"] += 1
            else:
                entry["last_failure"] = accounts.iso_now()
            tmp = self.stats_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.stats, indent=1))
            os.replace(tmp, self.stats_path)

    def route_status(self) -> list[dict]:
        out = []
        for direction in self.conf["rules"]:
            src, dst = direction.split("_to_")
            entry = self.stats.get(
                direction, {"last_success": None, "last_failure": None, "transferred": 0, "blocked": 0}
            )
            out.append(
                {
                    "from": src,
                    "to": dst,
                    **{k: entry[k] for k in ("last_success", "last_failure", "transferred", "blocked")},
                }
            )
        return out

    def worker(self) -> None:
        seen: dict[Path, tuple[int, int]] = {}
        while True:
            try:
                seen = self.poll(seen)
            except Exception:  # a host going away mid-poll must not end the worker
                log.exception("poll failed")
            time.sleep(POLL_S)

    def poll(self, seen: dict) -> dict:
        sides = self.conf["sides"]
        users = {s["segment"]: drops.user_dirs(LAB_RUN, s["host"]) for s in sides}
        now_seen, queue = {}, 0
        for src, dst in (
            (sides[0]["segment"], sides[1]["segment"]),
            (sides[1]["segment"], sides[0]["segment"]),
        ):
            for user, folder in users[src].items():
                for f in drops.waiting(folder / "outbox"):
                    queue += 1
                    try:
                        st = f.stat()
                    except OSError:
                        continue
                    sig = (st.st_size, st.st_mtime_ns)
                    now_seen[f] = sig
                    # taken once unchanged since the last poll: an upload in progress is left alone
                    if seen.get(f) != sig:
                        continue
                    target = users[dst].get(user)
                    if target is None:
                        log.warning("%s: no drop for %s on the %s side", f.name, user, dst)
                        self.note(src, dst, "failed")
                        continue
                    self.transfer(f, src, dst, target / "inbox")
                    queue -= 1
        self.queue = queue
        return now_seen

    def transfer(self, path: Path, src: str, dst: str, inbox: Path) -> None:
        direction = f"{src}_to_{dst}"
        data = path.read_bytes()
        data_id = engine.new_data_id()
        result = self.run(data_id, path.name, data, self.conf["rules"][direction])
        report = json.dumps(result.report, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            if result.data is not None:
                drops.deliver(inbox, result.name, result.data)
            drops.deliver(inbox, f"{path.name}.report.json", report)  # written last: the result is complete
            path.unlink()
        except OSError as exc:
            log.warning("%s: delivery to %s failed: %s", path.name, inbox, exc)
            self.note(src, dst, "failed")
            return
        blocked = result.report["process_info"]["result"] == "Blocked"
        log.info(
            "%s %s -> %s: %s (%s)",
            data_id,
            path.name,
            direction,
            result.report["process_info"]["result"],
            result.name,
        )
        self.note(src, dst, "blocked" if blocked else "delivered")

    def importer(self) -> None:
        while True:
            try:
                for batch in accounts.import_pending(self.store, self.import_dir, self.export_dir):
                    log.info("account batch %s processed", batch)
            except Exception:
                log.exception("import failed")
            time.sleep(POLL_S)


class Handler(BaseHTTPRequestHandler):
    system: System
    apikey: str
    server_version = "jichitai-lab-transfer-standin"
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as a product's web server sets it: http.server sends the headers and the body in two
    # writes, and on a kept connection Nagle would hold the body until the client's delayed ACK (40 ms)
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        log.info("%s %s", self.address_string(), fmt % args)

    def _send(self, code: int, body, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _err(self, code: int, message: str) -> None:
        self._send(code, {"err": message})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _json(self):
        try:
            return json.loads(self._body().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise accounts.BadInput(f"malformed JSON: {exc}") from exc

    def _authorised(self) -> bool:
        key = self.headers.get("apikey") or parse_qs(urlsplit(self.path).query).get("apikey", [""])[0]
        if key and hmac.compare_digest(key.encode(), self.apikey.encode()):
            return True
        self._body()
        self._err(401, "Access denied: missing or wrong apikey")
        return False

    def _route(self, method: str) -> None:
        if not self._authorised():
            return
        parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
        try:
            self._dispatch(method, parts)
        except accounts.BadInput as exc:
            self._err(400, str(exc))

    def _dispatch(self, method: str, parts: list[str]) -> None:
        sysm = self.system
        if parts == ["file"] and method == "POST":
            data = self._body()
            try:
                _, rule = sysm.rule_for(self.headers.get("x-direction"), self.headers.get("rule"))
            except ValueError as exc:
                raise accounts.BadInput(str(exc)) from exc
            name = unquote(self.headers.get("filename") or "") or "unnamed"
            data_id = engine.new_data_id()
            sysm.pending[data_id] = engine.processing_report(data_id, name, len(data), rule)
            threading.Thread(target=sysm.run, args=(data_id, name, data, rule), daemon=True).start()
            return self._send(200, {"data_id": data_id})
        if len(parts) == 2 and parts[0] == "file" and method == "GET":
            report = sysm.report(parts[1])
            return self._send(200, report) if report else self._err(404, f"{parts[1]} was not found")
        if len(parts) == 3 and parts[:2] == ["file", "converted"] and method == "GET":
            report = sysm.report(parts[2])
            path = sysm.results / f"{parts[2]}.bin"
            if not report or parts[2] in sysm.pending or not path.exists():
                return self._err(404, f"no converted file for {parts[2]}")
            return self._send(200, path.read_bytes(), "application/octet-stream")
        if parts == ["admin", "status"] and method == "GET":
            return self._send(
                200,
                {
                    "system": sysm.name,
                    "queue": sysm.queue,
                    "engines": {"clamav": "ok" if engine.clamd_ok(sysm.clamd) else "down", "sanitiser": "ok"},
                    "routes": sysm.route_status(),
                },
            )
        if sysm.conf["accounts"] == "rest" and parts and parts[0] == "admin":
            return self._accounts(method, parts[1:])
        self._body()
        return self._err(404, f"no such resource: {'/'.join(parts)}")

    def _accounts(self, method: str, parts: list[str]) -> None:
        store = self.system.store
        if parts == ["accounts"] and method == "GET":
            return self._send(200, store.listing())
        if len(parts) == 2 and parts[0] in ("users", "groups") and method in ("PUT", "DELETE"):
            kind, key = parts
            if method == "DELETE":
                return (
                    self._send(200, {"deleted": key})
                    if store.delete(kind, key)
                    else self._err(404, f"{key}?")
                )
            body = self._json()
            record = accounts.user_record(key, body) if kind == "users" else accounts.group_record(key, body)
            return self._send(200, {"changed": store.put(kind, key, record)})
        if len(parts) == 4 and parts[0] == "routes" and method in ("PUT", "DELETE"):
            key = accounts.route_key(*parts[1:])
            if method == "DELETE":
                return (
                    self._send(200, {"deleted": key})
                    if store.delete("routes", key)
                    else self._err(404, f"{key}?")
                )
            record = accounts.route_record(*parts[1:], self._json())
            return self._send(200, {"changed": store.put("routes", key, record)})
        self._body()
        return self._err(404, f"no such resource: admin/{'/'.join(parts)}")

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._route("GET")

    def do_POST(self):  # noqa: N802
        self._route("POST")

    def do_PUT(self):  # noqa: N802
        self._route("PUT")

    def do_DELETE(self):  # noqa: N802
        self._route("DELETE")


def serve(name: str) -> int:
    system = System(name)
    Handler.system = system
    Handler.apikey = (XFER_RUN / "apikey").read_text().strip()
    httpd = ThreadingHTTPServer(("127.0.0.1", system.conf["port"]), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(LAB_RUN / "ca" / "transfer.crt", LAB_RUN / "ca" / "transfer.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=system.worker, daemon=True).start()
    if system.conf["accounts"] == "csv":
        threading.Thread(target=system.importer, daemon=True).start()
    log.info("%s stand-in on https://127.0.0.1:%s", name, system.conf["port"])
    httpd.serve_forever()
    return 0


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if len(argv) >= 2 and argv[0] == "serve":
        return serve(argv[1])
    if len(argv) >= 3 and argv[0] == "setup-drops":
        conf, probe = CONFIG["systems"][argv[1]], CONFIG["probe"]
        pubkey = Path(argv[2]).read_text()
        for side in conf["sides"]:
            drops.setup_host(LAB_RUN, side["host"], probe["user"], probe["uid"], pubkey, "--reset" in argv)
        return 0
    if len(argv) >= 2 and argv[0] == "drops-ready":
        conf, user = CONFIG["systems"][argv[1]], CONFIG["probe"]["user"]
        missing = [s["host"] for s in conf["sides"] if not drops.drop_ready(LAB_RUN, s["host"], user)]
        if missing:
            print(f"drops not prepared on {', '.join(missing)}", file=sys.stderr)
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
