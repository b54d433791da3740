# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for a transfer system's REST API.

File processing follows OPSWAT MetaDefender Core (``POST /file`` with ``filename`` and ``rule``
headers, ``GET /file/{data_id}`` until ``process_info.progress_percentage`` is 100,
``GET /file/converted/{data_id}``), authenticated by the ``apikey`` header. Accounts and status use
``/admin/accounts``, ``/admin/users|groups|routes/...`` and ``/admin/status``: products name these
differently, so another product needs its own adapter with the same methods (docs/transfer.md).
Every error names the system and says what to do.

One HTTP/1.1 connection is kept open for the client's requests (a transfer's cutover puts hundreds of
users): without it every request paid its own TCP and TLS set-up. A request that finds the kept
connection closed by the server is sent again on a new one (GET, PUT and DELETE may be sent twice);
a POST goes on a new connection of its own and is never sent twice. An https URL is checked against
the CA bundle (ca_path, else the system's) unless validate_certs is false; no proxy and no ~/.netrc
are used: the appliance is reached directly.
"""

import contextlib
import http.client
import json
import ssl
from urllib.parse import quote, urlsplit

# methods a server may receive twice with the same effect: sent again when a kept connection had closed
IDEMPOTENT = ("GET", "PUT", "DELETE")


class TransferError(Exception):
    """A request to a transfer system failed."""

    kind = "error"


class TransferAuthError(TransferError):
    kind = "auth"


class TransferUnreachable(TransferError):
    kind = "unreachable"


class TransferNotFound(TransferError):
    kind = "not_found"


PATHS = {
    "users": "/admin/users/{}",
    "groups": "/admin/groups/{}",
}


class TransferClient:
    """One transfer system's API (one side's appliance, or the product's central server)."""

    def __init__(self, name, url, api_key, timeout=15.0, validate_certs=True, ca_path=None):
        self.name = name
        self.url = url.rstrip("/")
        self.timeout = float(timeout)
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransferError(f"{name}: the API URL {url!r} is not an http(s) URL")
        self._https = parts.scheme == "https"
        self._host, self._port, self._base = parts.hostname, parts.port, parts.path
        self._headers = {"apikey": api_key}
        self._context = None
        if self._https:
            try:
                self._context = ssl.create_default_context(cafile=ca_path)
            except (OSError, ssl.SSLError) as exc:
                raise TransferError(f"{name}: cannot load the CA bundle {ca_path}: {exc}") from exc
            if not validate_certs:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def _connection(self):
        if self._conn is None:
            if self._https:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, timeout=self.timeout, context=self._context
                )
            else:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
        return self._conn

    def _exchange(self, method, path, data, headers):
        """(status, body) of one request, on the kept connection when there is one."""
        if method not in IDEMPOTENT:
            self.close()  # never on a kept connection the server may have closed: it must not be sent twice
        while True:
            kept = self._conn is not None
            conn = self._connection()
            try:
                conn.request(method, self._base + path, body=data, headers={**self._headers, **headers})
                resp = conn.getresponse()
                body = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.close()
                if kept and method in IDEMPOTENT:
                    continue  # the server had closed the kept connection: once more, on a new one
                raise TransferUnreachable(f"{self.name}: cannot reach the API at {self.url}: {exc}") from exc
            except (OSError, http.client.HTTPException) as exc:  # refused, timed out, TLS, a broken answer
                self.close()
                raise TransferUnreachable(f"{self.name}: cannot reach the API at {self.url}: {exc}") from exc
            if resp.will_close:
                self.close()
            return resp.status, body

    def _open(self, method, path, data=None, headers=None, raw=False):
        status, body = self._exchange(method, path, data, headers or {})
        if status in (401, 403):
            raise TransferAuthError(
                f"{self.name}: the API at {self.url} refused the key (HTTP {status}); "
                "check jichitai_transfer_api_key"
            )
        if status == 404:
            raise TransferNotFound(f"{self.name}: {method} {path}: not found")
        if status >= 400:
            detail = body[:300].decode("utf-8", "replace")
            raise TransferError(f"{self.name}: {method} {path}: HTTP {status} {detail}".strip())
        if raw:
            return body
        try:
            return json.loads(body) if body else {}
        except ValueError as exc:
            raise TransferError(f"{self.name}: {method} {path}: the answer is not JSON") from exc

    def _json(self, method, path, payload):
        return self._open(
            method,
            path,
            json.dumps(payload, ensure_ascii=False).encode(),
            {"Content-Type": "application/json"},
        )

    # ---- accounts --------------------------------------------------------------------------
    def accounts(self):
        answer = self._open("GET", "/admin/accounts")
        return {k: list(answer.get(k) or []) for k in ("users", "groups", "routes")}

    def put(self, kind, item):
        return self._json("PUT", self._item_path(kind, item), item)

    def delete(self, kind, item):
        with contextlib.suppress(TransferNotFound):  # already gone: the wanted state holds
            self._open("DELETE", self._item_path(kind, item))

    @staticmethod
    def _item_path(kind, item):
        if kind == "routes":
            return "/admin/routes/" + "/".join(quote(str(item[k]), safe="") for k in ("group", "from", "to"))
        key = item["id"] if kind == "users" else item["name"]
        return PATHS[kind].format(quote(str(key), safe=""))

    # ---- state -----------------------------------------------------------------------------
    def status(self):
        return self._open("GET", "/admin/status")

    # ---- files (MetaDefender Core) ---------------------------------------------------------
    def submit(self, filename, data, rule=None):
        headers = {"filename": quote(filename), "Content-Type": "application/octet-stream"}
        if rule:
            headers["rule"] = rule
        return self._open("POST", "/file", data, headers)["data_id"]

    def result(self, data_id):
        return self._open("GET", f"/file/{quote(data_id, safe='')}")

    def converted(self, data_id):
        return self._open("GET", f"/file/converted/{quote(data_id, safe='')}", raw=True)
