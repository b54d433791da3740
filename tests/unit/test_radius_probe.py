"""radius_probe's option checks and the Access-Request it builds (plugins/module_utils/radius)."""

from __future__ import annotations

import socket

import pytest
from ansible.module_utils.radius.dictionary import build_dictionary
from ansible.module_utils.radius.probe import (
    build_request,
    option_problems,
    probe_all,
    resolve_servers,
    server_problems,
)
from pyrad import packet
from pyrad.client import Client

SECRET = b"unit-test-shared-secret"


def full(name="radius01", **changes):
    return {"name": name, "address": "127.0.0.31", "port": 1812, "secret": "s3cret", "user": "jichitai-probe",
            "password": "pw"} | changes  # fmt: skip


def test_rows_take_the_top_level_values_they_lack():
    rows = resolve_servers(
        [
            {"name": "a", "address": "10.0.0.1"},
            {"name": "b", "address": "10.0.0.2", "port": 1645, "user": "own"},
        ],
        {"port": 1812, "secret": "top", "user": "probe", "password": "pw"},
    )
    assert rows[0] == {"name": "a", "address": "10.0.0.1", "port": 1812, "secret": "top", "user": "probe",
                       "password": "pw"}  # fmt: skip
    assert rows[1]["port"] == 1645 and rows[1]["user"] == "own" and rows[1]["secret"] == "top"
    assert resolve_servers([{"name": "c"}], {"port": None})[0]["port"] == 1812


def test_good_rows_have_no_problem():
    assert server_problems([full(), full("radius02", address="127.0.0.32", port="1812")]) == []


def test_every_bad_row_is_named_at_once():
    problems = server_problems(
        [
            {"name": "radius01", "port": 1812},
            {"address": "127.0.0.32", "port": 0, "secret": "s", "user": "u", "password": "p"},
            full("radius01", port="radius"),
            full("radius03", port=True, secret="  "),
        ]
    )
    assert problems == [
        "server radius01: no address",
        "server radius01: no secret (neither the row's nor the top-level secret)",
        "server radius01: no user (neither the row's nor the top-level user)",
        "server radius01: no password (neither the row's nor the top-level password)",
        "server #2: no name",
        "server #2: port 0 out of range 1-65535",
        "server radius01: name used twice",
        "server radius01: port must be a number, not 'radius'",
        "server radius03: no secret (neither the row's nor the top-level secret)",
        "server radius03: port must be a number, not True",
    ]


def test_no_servers_is_refused():
    assert server_problems([]) == ["servers: at least one server is needed"]


@pytest.mark.parametrize(
    ("timeout", "retries", "nas", "expected"),
    [
        (3.0, 1, None, []),
        (0, 1, None, ["timeout must be above 0, not 0"]),
        (1.0, -1, "10.0.0.9", ["retries must be 0 or more, not -1"]),
        (1.0, 0, "controller", ["nas_ip_address 'controller' is not an IPv4 address"]),
    ],
)
def test_options(timeout, retries, nas, expected):
    assert option_problems(timeout, retries, nas) == expected


def test_access_request_carries_the_account_encrypted_and_a_valid_message_authenticator():
    client = Client(server="127.0.0.1", secret=SECRET, dict=build_dictionary())
    request = build_request(client, "jichitai-probe", "probe-password", "10.10.1.47")
    raw = request.RequestPacket()
    assert raw[0] == packet.AccessRequest
    # decode the bytes as a server would, with the same dictionary and secret
    seen = packet.AuthPacket(packet=raw, secret=SECRET, dict=build_dictionary())
    assert seen["User-Name"] == ["jichitai-probe"]
    assert seen["NAS-IP-Address"] == ["10.10.1.47"]
    encrypted = seen["User-Password"][0]
    assert b"probe-password" not in raw
    assert seen.PwDecrypt(encrypted.encode("latin-1") if isinstance(encrypted, str) else encrypted) == (
        "probe-password"
    )
    assert seen.message_authenticator and seen.verify_message_authenticator(secret=SECRET)
    # another secret does not verify: the server would drop the request
    assert not seen.verify_message_authenticator(secret=b"another-secret")


def test_an_unanswered_server_is_critical_not_an_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # receives and never answers
        port = silent.getsockname()[1]
        report = probe_all([full("quiet", address="127.0.0.1", port=port)], timeout=0.2, retries=1)
    server = report["servers"][0]
    assert server["state"] == "CRITICAL" and server["state_code"] == 2 and server["reply"] is None
    assert server["detail"].startswith(f"no answer from 127.0.0.1:{port} within 0.2 s, 2 attempt(s)")
    assert "secret" not in server and "password" not in server
    assert report["down"] == ["quiet"] and report["summary"] == {"OK": 0, "CRITICAL": 1}
