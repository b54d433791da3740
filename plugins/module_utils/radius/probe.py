# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RADIUS authentication probe: one Access-Request with the probe account per server.

OK is an Access-Accept; an Access-Reject, any other answer, or no answer after the retries is
CRITICAL with the reason. A server that is down is a result, never an exception: only bad options are
refused, all of them at once (``server_problems``).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.radius.dictionary import build_dictionary

OK, CRITICAL = "OK", "CRITICAL"
CODES = {OK: 0, CRITICAL: 2}
DEFAULT_PORT = 1812
DEFAULT_TIMEOUT = 3.0
DEFAULT_RETRIES = 1
# RFC 2865 codes of the answers to an Access-Request
REPLY_NAMES = {2: "Access-Accept", 3: "Access-Reject", 11: "Access-Challenge"}
REQUIRED = ("address", "secret", "user", "password")


def _port_problem(value):
    if isinstance(value, bool):
        return f"port must be a number, not {value!r}"
    try:
        port = int(str(value))
    except (TypeError, ValueError):
        return f"port must be a number, not {value!r}"
    if not 1 <= port <= 65535:
        return f"port {port} out of range 1-65535"
    return None


def resolve_servers(servers, defaults):
    """Each row with the top-level values (``port``, ``secret``, ``user``, ``password``) filled in
    where the row gives none."""
    resolved = []
    for row in servers or []:
        row = dict(row or {})
        for key in ("port", "secret", "user", "password"):
            if row.get(key) in (None, "") and defaults.get(key) not in (None, ""):
                row[key] = defaults[key]
        if row.get("port") in (None, ""):
            row["port"] = DEFAULT_PORT
        resolved.append(row)
    return resolved


def server_problems(servers):
    """Every problem of every row, each naming its row (by name, else by position)."""
    if not servers:
        return ["servers: at least one server is needed"]
    problems = []
    seen = set()
    for index, row in enumerate(servers, 1):
        name = str(row.get("name") or "").strip()
        where = f"server {name}" if name else f"server #{index}"
        if not name:
            problems.append(f"{where}: no name")
        elif name in seen:
            problems.append(f"{where}: name used twice")
        seen.add(name)
        for key in REQUIRED:
            if not str(row.get(key) or "").strip():
                hint = "" if key == "address" else f" (neither the row's nor the top-level {key})"
                problems.append(f"{where}: no {key}{hint}")
        port = _port_problem(row.get("port"))
        if port:
            problems.append(f"{where}: {port}")
    return problems


def option_problems(timeout, retries, nas_ip_address):
    problems = []
    if timeout <= 0:
        problems.append(f"timeout must be above 0, not {timeout}")
    if retries < 0:
        problems.append(f"retries must be 0 or more, not {retries}")
    if nas_ip_address:
        try:
            ipaddress.IPv4Address(nas_ip_address)
        except ValueError:
            problems.append(f"nas_ip_address {nas_ip_address!r} is not an IPv4 address")
    return problems


def source_address(address, port):
    """The controller's address towards the server (what a NAS would put in NAS-IP-Address)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect((address, int(port)))  # UDP: no packet is sent
            return sock.getsockname()[0]
    except OSError:
        return "0.0.0.0"


def build_request(client, user, password, nas_ip_address):
    """The Access-Request: User-Name, User-Password (encrypted with the secret), NAS-IP-Address and
    a Message-Authenticator."""
    from pyrad import packet

    request = client.CreateAuthPacket(
        code=packet.AccessRequest, User_Name=user, NAS_IP_Address=nas_ip_address
    )
    request["User-Password"] = request.PwCrypt(password)
    request.add_message_authenticator()
    return request


def probe_server(row, timeout, retries, nas_ip_address=None, dictionary=None):
    """Send one Access-Request (retried ``retries`` times when unanswered) and say what came back."""
    from pyrad.client import Client, Timeout

    address, port = str(row["address"]), int(str(row["port"]))
    result = {"name": row["name"], "address": address, "port": port, "user": row["user"],
              "state": CRITICAL, "state_code": CODES[CRITICAL], "reply": None, "response_ms": None}
    nas = nas_ip_address or source_address(address, port)
    attempts = retries + 1
    client = Client(server=address, authport=port, secret=str(row["secret"]).encode(),
                    dict=dictionary or build_dictionary(), retries=attempts, timeout=timeout)
    started = time.monotonic()
    try:
        request = build_request(client, row["user"], row["password"], nas)
        reply = client.SendPacket(request)
    except Timeout:
        result["detail"] = (f"no answer from {address}:{port} within {timeout:g} s, {attempts} attempt(s) "
                            "(server down, port closed, or a shared secret the server does not accept)")
        return result
    except (OSError, socket.gaierror) as exc:
        result["detail"] = f"cannot send to {address}:{port}: {exc}"
        return result
    finally:
        client._CloseSocket()  # pylint: disable=protected-access  # pyrad offers no public close
    result["response_ms"] = round((time.monotonic() - started) * 1000, 1)
    name = REPLY_NAMES.get(reply.code, f"code {reply.code}")
    result["reply"] = name
    message = " ".join(str(m) for m in reply.get("Reply-Message", []) or [])
    said = f" ({message})" if message else ""
    if reply.code == 2:
        result.update(state=OK, state_code=CODES[OK], detail=f"{name} for {row['user']}{said}")
    elif reply.code == 3:
        reason = "wrong password, unknown user or refused by policy"
        result["detail"] = f"{name} for {row['user']}: {reason}{said}"
    else:
        result["detail"] = f"unexpected {name} for {row['user']}{said}"
    return result


def probe_all(servers, timeout=DEFAULT_TIMEOUT, retries=DEFAULT_RETRIES, nas_ip_address=None):
    """Probe every server at once; results in the order given, with a summary."""
    started = time.monotonic()
    dictionary = build_dictionary()
    with ThreadPoolExecutor(max_workers=min(len(servers), 16) or 1) as pool:
        results = list(pool.map(lambda row: probe_server(row, timeout, retries, nas_ip_address, dictionary),
                                servers))
    summary = {OK: 0, CRITICAL: 0}
    for result in results:
        summary[result["state"]] += 1
    return {
        "servers": results,
        "summary": summary,
        "down": [r["name"] for r in results if r["state"] != OK],
        "duration_seconds": round(time.monotonic() - started, 3),
    }
