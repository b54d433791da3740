# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for a transfer system's REST API.

File processing follows OPSWAT MetaDefender Core (``POST /file`` with ``filename`` and ``rule``
headers, ``GET /file/{data_id}`` until ``process_info.progress_percentage`` is 100,
``GET /file/converted/{data_id}``), authenticated by the ``apikey`` header. Accounts and status use
``/admin/accounts``, ``/admin/users|groups|routes/...`` and ``/admin/status``: products name these
differently, so another product needs its own adapter with the same methods (docs/transfer.md).
Every error names the system and says what to do.
"""

import contextlib
import json
import ssl
from urllib.error import HTTPError, URLError
from urllib.parse import quote

from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import Request, make_context


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
        try:
            context = make_context(cafile=ca_path, validate_certs=validate_certs)
        except (OSError, ssl.SSLError) as exc:
            raise TransferError(f"{name}: cannot load the CA bundle {ca_path}: {exc}") from exc
        # the appliance is reached directly (no proxy, no ~/.netrc from the environment)
        self._request = Request(
            headers={"apikey": api_key},
            use_proxy=False,
            timeout=self.timeout,
            validate_certs=validate_certs,
            use_netrc=False,
            ca_path=ca_path,
            context=context,
        )

    def _open(self, method, path, data=None, headers=None, raw=False):
        url = self.url + path
        try:
            with self._request.open(method, url, data=data, headers=headers or {}) as resp:
                body = resp.read()
        except HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace") if hasattr(exc, "read") else ""
            if exc.code in (401, 403):
                raise TransferAuthError(
                    f"{self.name}: the API at {self.url} refused the key (HTTP {exc.code}); "
                    "check jichitai_transfer_api_key"
                ) from exc
            if exc.code == 404:
                raise TransferNotFound(f"{self.name}: {method} {path}: not found") from exc
            raise TransferError(f"{self.name}: {method} {path}: HTTP {exc.code} {detail}".strip()) from exc
        except (TimeoutError, URLError, UrlConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransferUnreachable(f"{self.name}: cannot reach the API at {self.url}: {reason}") from exc
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
