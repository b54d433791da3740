"""The transfer system's REST client (plugins/module_utils/transfer/rest.py) against a stand-in API on
loopback: one kept connection for many requests, a closed kept connection, the answers that are errors."""

import http.server
import json

import pytest
from ansible.module_utils.transfer import rest
from loopback_http import serving


class Api(http.server.ThreadingHTTPServer):
    """Answers every request with `status` and `answer`; counts the connections it accepted."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections = 0
        self.requests = []
        self.status = 200
        self.answer = b'{"ok": true}'
        self.close_after = None  # close the connection after this many requests on it (keep-alive limit)

    def get_request(self):
        self.connections += 1
        return super().get_request()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as a product's web server: an answer is not held back for an ACK

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append((self.command, self.path, self.headers.get("apikey"), body))
        if self.server.answer is None:  # the connection dropped before an answer
            self.close_connection = True
            return
        self.handled = getattr(self, "handled", 0) + 1
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)
        if self.server.close_after and self.handled >= self.server.close_after:
            self.close_connection = True

    do_GET = do_PUT = do_DELETE = do_POST = _answer  # noqa: N815 (http.server's names)

    def log_message(self, *_args):
        pass


@pytest.fixture
def api():
    with serving(Api()) as server:
        yield server


def test_many_requests_share_one_connection_with_the_key_and_the_base_path(api):
    with rest.TransferClient("xfer-inet01", api.url, "k-123", timeout=5) as client:
        for number in range(20):
            client.put("users", {"id": f"u{number:03d}", "name": "山田"})
        assert client.status() == {"ok": True}
    assert api.connections == 1
    assert len(api.requests) == 21
    method, path, key, body = api.requests[0]
    assert (method, path, key) == ("PUT", "/api/admin/users/u000", "k-123")
    assert json.loads(body) == {"id": "u000", "name": "山田"}


def test_a_kept_connection_the_server_closed_is_replaced_for_a_request_that_may_be_sent_twice(api):
    api.close_after = 2
    with rest.TransferClient("xfer-inet01", api.url, "k", timeout=5) as client:
        for number in range(5):
            client.delete("users", {"id": f"u{number}"})
    assert [r[0] for r in api.requests] == ["DELETE"] * 5  # each sent once
    assert api.connections == 3


def test_a_post_goes_on_a_new_connection_and_is_sent_once(api):
    api.close_after = 1  # the server closes each connection after one answer, without saying so
    client = rest.TransferClient("xfer-inet01", api.url, "k", timeout=5)
    assert client.status() == {"ok": True}
    api.answer = b'{"data_id": "d1"}'
    assert client.submit("a.txt", b"x") == "d1"
    assert [r[0] for r in api.requests] == ["GET", "POST"]
    assert api.connections == 2


def test_a_post_whose_answer_never_comes_is_unreachable_and_not_sent_again(api):
    client = rest.TransferClient("xfer-inet01", api.url, "k", timeout=5)
    api.answer = None
    with pytest.raises(rest.TransferUnreachable):
        client.submit("a.txt", b"x")
    assert [r[0] for r in api.requests] == ["POST"]


def test_errors_name_the_system_and_what_to_do(api):
    client = rest.TransferClient("xfer-inet01", api.url, "k", timeout=5)
    api.status = 401
    with pytest.raises(rest.TransferAuthError, match="xfer-inet01: .*refused the key.*transfer_api_key"):
        client.status()
    api.status, api.answer = 404, b"{}"
    with pytest.raises(rest.TransferNotFound):
        client.result("d9")
    client.delete("users", {"id": "gone"})  # already gone: the wanted state holds
    api.status, api.answer = 500, b"engine down"
    with pytest.raises(rest.TransferError, match="HTTP 500 engine down"):
        client.status()
    api.status, api.answer = 200, b"<html>"
    with pytest.raises(rest.TransferError, match="not JSON"):
        client.status()


def test_an_api_that_does_not_listen_is_unreachable(api):
    url = api.url
    api.shutdown()
    api.server_close()
    with pytest.raises(rest.TransferUnreachable, match="cannot reach the API"):
        rest.TransferClient("xfer-inet01", url, "k", timeout=2).status()


def test_a_missing_ca_bundle_or_a_bad_url_is_refused_before_any_request():
    with pytest.raises(rest.TransferError, match="cannot load the CA bundle"):
        rest.TransferClient("xfer-inet01", "https://127.0.0.1:1/", "k", ca_path="/nonexistent/ca.pem")
    with pytest.raises(rest.TransferError, match="not an http"):
        rest.TransferClient("xfer-inet01", "ftp://127.0.0.1/", "k")


def test_a_system_whose_accounts_cannot_be_read_fails_naming_it_for_either_backend(api, tmp_path):
    from ansible.module_utils.transfer import accounts_step

    def params(**given):
        return {name: spec.get("default") for name, spec in accounts_step.system_options().items()} | given

    api.status = 500
    rest_params = params(system="internet_lgwan", segments=["internet", "lgwan"], api_url=api.url,
                         api_key="k")  # fmt: skip
    csv_params = params(system="lgwan_mynumber", segments=["lgwan", "mynumber"], backend="csv",
                        export_dir=str(tmp_path / "no-export"), import_dir=str(tmp_path))  # fmt: skip
    for given in (rest_params, csv_params):
        with pytest.raises(accounts_step.SystemFailed, match=f"cannot read the accounts: .*{given['system']}|"
                           "cannot read the accounts: cannot read the export"):  # fmt: skip
            accounts_step.run(given, accounts_step.wanted_of(given), [], True, False, lambda: None)
