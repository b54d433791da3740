# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the ISC Kea Control Agent REST API (JSON commands over HTTP(S), basic auth).

Each command is one POST on a new connection (http.client from the standard library; no proxy, no
~/.netrc), so a command is never sent twice: a config-set whose answer never came is reported as
unreachable, not retried. An https URL is checked against the CA bundle (ca_path, else the system's),
loaded once per client. The standard library keeps the module's payload and its start small:
ansible.module_utils.urls alone was a fifth of the module's import time.

Every error names the peer and says what went wrong in words an operator can act on:
authentication refused, appliance unreachable, DHCP service down behind its agent, command refused.
"""

import base64
import http.client
import json
import ssl
import time
from urllib.parse import urlsplit

RESULT_SUCCESS = 0
RESULT_ERROR = 1
RESULT_UNSUPPORTED = 2
RESULT_EMPTY = 3
# HA states in which a peer serves (or stands by ready to serve) its clients
HA_SERVING_STATES = (
    "hot-standby", "load-balancing", "partner-down", "passive-backup", "backup", "partner-in-maintenance",
)
# how often a peer's HA state is asked while waiting for it to serve (status-get takes a few ms)
POLL_INTERVAL = 0.02


class KeaError(Exception):
    """A command to a Kea peer failed."""

    kind = "error"

    def __init__(self, peer, message):
        super().__init__(f"{peer}: {message}")
        self.peer = peer


class KeaAuthError(KeaError):
    kind = "auth"


class KeaUnreachable(KeaError):
    kind = "unreachable"


class KeaCommandError(KeaError):
    kind = "command"


class KeaClient:
    """Sends commands to one Kea server through its Control Agent."""

    def __init__(self, name, url, user=None, password=None, service="dhcp4", timeout=10.0,
                 validate_certs=True, ca_path=None):
        self.name = name
        self.url = url
        self.user = user
        self.password = password
        self.service = service
        self.timeout = float(timeout)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        parts = urlsplit(str(url))
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        try:
            self._port = parts.port
        except ValueError:
            self._port = None
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._context = None
        if self._https:
            try:
                self._context = ssl.create_default_context(cafile=ca_path)
            except (OSError, ssl.SSLError) as exc:
                raise KeaError(name, f"cannot load the CA bundle {ca_path}: {exc}") from exc
            if not validate_certs:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE

    def _connection(self):
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.timeout, context=self._context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def command(self, command, arguments=None, allow_empty=True):
        """(result, text, arguments) of one command; KeaError unless the result is 0 (or 3 = empty)."""
        body = {"command": command, "service": [self.service]}
        if arguments is not None:
            body["arguments"] = arguments
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.user:
            # credentials per call: they are the client's attributes, read when the command is sent
            token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        conn = self._connection()
        try:
            conn.request("POST", self._path, json.dumps(body).encode(), headers)
            resp = conn.getresponse()
            raw = resp.read()
            status, reason = resp.status, resp.reason
        except (TimeoutError, http.client.HTTPException, OSError) as exc:
            message = f"cannot reach the control agent at {self.url}: {exc or type(exc).__name__}"
            raise KeaUnreachable(self.name, message) from exc
        finally:
            conn.close()
        if status in (401, 403):
            raise KeaAuthError(
                self.name,
                f"the control agent at {self.url} refused the credentials (HTTP {status}); "
                "check jichitai_kea_api_user and jichitai_kea_api_password",
            )
        if status >= 300:
            raise KeaCommandError(self.name, f"{command}: HTTP {status} {reason} from {self.url}")
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise KeaCommandError(self.name, f"{command}: the answer from {self.url} is not JSON") from exc
        if isinstance(answer, list):
            answer = answer[0] if answer else {}
        result = answer.get("result")
        text = answer.get("text", "")
        if result == RESULT_SUCCESS or (result == RESULT_EMPTY and allow_empty):
            return result, text, answer.get("arguments") or {}
        if result == RESULT_ERROR and "forward" in text.lower():
            raise KeaUnreachable(self.name, f"the {self.service} service behind {self.url} is down: {text}")
        if result == RESULT_UNSUPPORTED:
            raise KeaCommandError(self.name, f"{command} is not supported (hook library not loaded?): {text}")
        raise KeaCommandError(self.name, f"{command} failed (result {result}): {text}")

    # ---- configuration -------------------------------------------------------------------
    def config_get(self):
        return self.command("config-get")[2]

    def config_test(self, config):
        return self.command("config-test", config, allow_empty=False)

    def config_set(self, config):
        return self.command("config-set", config, allow_empty=False)

    def config_write(self):
        return self.command("config-write", allow_empty=False)

    # ---- state ---------------------------------------------------------------------------
    def status(self):
        return self.command("status-get")[2]

    def ha_state(self):
        """{mode, state, role, partner_state, partner_role, in_touch} or None when HA is not configured."""
        status = self.status()
        relationships = status.get("high-availability") or []
        if not relationships:
            return None
        ha = relationships[0]
        local = ha.get("ha-servers", {}).get("local", {})
        remote = ha.get("ha-servers", {}).get("remote", {})
        return {
            "mode": ha.get("ha-mode"),
            "state": local.get("state"),
            "role": local.get("role"),
            "partner_state": remote.get("last-state"),
            "partner_role": remote.get("role"),
            "in_touch": remote.get("in-touch"),
            "communication_interrupted": remote.get("communication-interrupted"),
        }

    def wait_serving(self, timeout):
        """Wait until the peer's HA service serves again (after config-set); its last HA state."""
        deadline = time.monotonic() + timeout
        state = None
        while True:
            ha = self.ha_state()
            if ha is None:
                return None
            state = ha["state"]
            if state in HA_SERVING_STATES:
                return state
            if time.monotonic() > deadline:
                raise KeaCommandError(
                    self.name, f"HA state still '{state}' {timeout:g} s after the change (not serving)"
                )
            time.sleep(POLL_INTERVAL)

    # ---- leases --------------------------------------------------------------------------
    def leases_in_subnets(self, subnet_ids):
        return self.command("lease4-get-all", {"subnets": list(subnet_ids)})[2].get("leases", [])

    def lease_by_address(self, address):
        result, _text, args = self.command("lease4-get", {"ip-address": address})
        return None if result == RESULT_EMPTY else args

    def leases_by_mac(self, mac):
        return self.command("lease4-get-by-hw-address", {"hw-address": mac})[2].get("leases", [])
