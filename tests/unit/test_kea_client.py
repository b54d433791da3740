"""The Kea Control Agent client (plugins/module_utils/kea/client.py) against a stand-in agent on loopback."""

import base64
import http.server
import json

import pytest
from ansible.module_utils.kea import client as kc
from loopback_http import serving


class Agent(http.server.ThreadingHTTPServer):
    """Answers each POST with `answer` (or closes the connection without one); records what it got."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests = []
        self.status = 200
        self.answer = b'[{"result": 0, "arguments": {"ok": true}}]'

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((body, self.headers.get("Authorization")))
        if self.server.answer is None:
            self.close_connection = True
            return
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *_args):
        pass


@pytest.fixture
def agent():
    with serving(Agent()) as server:
        yield server


def test_command_posts_json_with_basic_auth_read_at_each_call(agent):
    client = kc.KeaClient("dhcp01", agent.url, "ops", "first", timeout=5)
    assert client.command("status-get") == (0, "", {"ok": True})
    client.password = "second"
    client.config_set({"Dhcp4": {"subnet4": []}})
    (first, auth1), (second, auth2) = agent.requests
    assert first == {"command": "status-get", "service": ["dhcp4"]}
    assert second == {"command": "config-set", "service": ["dhcp4"], "arguments": {"Dhcp4": {"subnet4": []}}}
    assert auth1 == "Basic " + base64.b64encode(b"ops:first").decode()
    assert auth2 == "Basic " + base64.b64encode(b"ops:second").decode()


def test_no_user_sends_no_credentials(agent):
    kc.KeaClient("dhcp01", agent.url, timeout=5).status()
    assert agent.requests[0][1] is None


def test_refused_credentials_are_an_auth_error(agent):
    agent.status, agent.answer = 401, b"unauthorized"
    with pytest.raises(
        kc.KeaAuthError, match=r"dhcp01: the control agent at .* refused the credentials \(HTTP 401\)"
    ):
        kc.KeaClient("dhcp01", agent.url, "ops", "bad", timeout=5).status()


def test_other_http_errors_and_non_json_are_command_errors(agent):
    agent.status, agent.answer = 500, b"oops"
    with pytest.raises(kc.KeaCommandError, match="config-get: HTTP 500"):
        kc.KeaClient("dhcp01", agent.url, timeout=5).config_get()
    agent.status = 200
    with pytest.raises(kc.KeaCommandError, match="is not JSON"):
        kc.KeaClient("dhcp01", agent.url, timeout=5).config_get()


def test_refused_command_and_service_down(agent):
    agent.answer = b'[{"result": 1, "text": "bad subnet"}]'
    with pytest.raises(kc.KeaCommandError, match=r"config-test failed \(result 1\): bad subnet"):
        kc.KeaClient("dhcp01", agent.url, timeout=5).config_test({})
    agent.answer = b'[{"result": 1, "text": "unable to forward command to the dhcp4 service"}]'
    with pytest.raises(kc.KeaUnreachable, match="service behind"):
        kc.KeaClient("dhcp01", agent.url, timeout=5).status()


def test_an_answer_that_never_comes_is_unreachable_and_the_command_is_sent_once(agent):
    agent.answer = None
    with pytest.raises(kc.KeaUnreachable, match="cannot reach the control agent"):
        kc.KeaClient("dhcp01", agent.url, timeout=5).config_set({"Dhcp4": {}})
    assert [body["command"] for body, _auth in agent.requests] == ["config-set"]


def test_nothing_listening_is_unreachable():
    server = Agent()
    url = server.url
    server.server_close()
    with pytest.raises(kc.KeaUnreachable, match=f"dhcp02: cannot reach the control agent at {url}"):
        kc.KeaClient("dhcp02", url, timeout=2).status()


def test_https_with_a_missing_ca_bundle_is_refused_when_the_client_is_made(tmp_path):
    with pytest.raises(kc.KeaError, match="cannot load the CA bundle"):
        kc.KeaClient("dhcp01", "https://127.0.0.1:8443/", ca_path=str(tmp_path / "none.pem"))
