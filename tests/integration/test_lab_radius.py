"""radius_probe against the lab's FreeRADIUS pair (lab/components/75-radius.sh): both peers accept the
probe account; a wrong password is an Access-Reject; a stopped peer is CRITICAL and named while the
other stays OK."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import LAB_DIR, _adhoc

pytestmark = pytest.mark.lab

COMPONENT = LAB_DIR / "components" / "75-radius.sh"
PEERS = ("radius01", "radius02")


def row(host: str, **changes) -> dict:
    """The host's probe row, its secrets as templates of the inventory (never on a command line)."""
    base = {
        key: f"{{{{ hostvars['{host}'].jichitai_radius_{var} }}}}"
        for key, var in (("address", "address"), ("port", "port"), ("secret", "secret"),
                         ("user", "probe_user"), ("password", "probe_password"))
    }  # fmt: skip
    return {"name": host, **base, **changes}


def probe(servers: list[dict], check: bool = False, **options) -> dict:
    args = json.dumps({"servers": servers, "timeout": 1, **options})
    return _adhoc("localhost", "radius_probe", args, options=("--check",) if check else ())["localhost"]


def component(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(COMPONENT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def states(result: dict) -> dict[str, str]:
    return {s["name"]: s["state"] for s in result["servers"]}


@pytest.fixture
def radius_pair(lab):
    """Both peers running after the test, whatever it stopped."""
    yield
    for peer in PEERS:
        if component("peer-running", peer).returncode != 0:
            started = component("start-peer", peer)
            assert started.returncode == 0, started.stderr[-2000:]


def test_both_peers_accept_the_probe_account(radius_pair):
    result = probe([row(p) for p in PEERS])
    assert result.get("failed") is not True, result.get("msg")
    assert result["changed"] is False
    assert states(result) == {"radius01": "OK", "radius02": "OK"}, result["servers"]
    assert all(s["reply"] == "Access-Accept" and s["response_ms"] is not None for s in result["servers"])
    assert result["summary"] == {"OK": 2, "CRITICAL": 0} and result["down"] == []
    assert [s["address"] for s in result["servers"]] == ["127.0.0.31", "127.0.0.32"]
    # read-only: a check run probes as well
    checked = probe([row("radius01")], check=True)
    assert states(checked) == {"radius01": "OK"}


def test_wrong_password_is_rejected(radius_pair):
    result = probe([row("radius01", password="not-the-probe-password"), row("radius02")])
    assert result.get("failed") is not True, result.get("msg")
    first, second = result["servers"]
    assert (first["state"], first["reply"]) == ("CRITICAL", "Access-Reject")
    assert "Access-Reject" in first["detail"]
    assert second["state"] == "OK"
    assert result["down"] == ["radius01"]


def test_wrong_secret_gets_no_answer(radius_pair):
    result = probe([row("radius02", secret="not-the-shared-secret")], retries=0)
    server = result["servers"][0]
    assert server["state"] == "CRITICAL" and server["reply"] is None
    assert "no answer" in server["detail"]


def test_stopped_peer_is_critical_and_the_other_ok(radius_pair):
    stopped = component("stop-peer", "radius02")
    assert stopped.returncode == 0, stopped.stderr
    assert component("peer-running", "radius02").returncode != 0
    result = probe([row(p) for p in PEERS])
    assert result.get("failed") is not True, result.get("msg")
    assert states(result) == {"radius01": "OK", "radius02": "CRITICAL"}
    down = result["servers"][1]
    assert down["reply"] is None and "no answer from 127.0.0.32:1812" in down["detail"]
    assert result["down"] == ["radius02"] and result["summary"] == {"OK": 1, "CRITICAL": 1}


def test_bad_rows_are_refused_each_named(lab):
    rows = [{"name": "radius01"}, {"address": "127.0.0.32", "port": 99999}]
    result = probe(rows, secret="refusal-test-secret")
    assert result["failed"] is True
    problems = result["problems"]
    assert "server radius01: no address" in problems
    assert "server #2: no name" in problems
    assert "server #2: port 99999 out of range 1-65535" in problems
    assert any(p.startswith("server radius01: no user") for p in problems)
