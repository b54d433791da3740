"""Approvals that prove themselves: OpenSSH signatures by committed approvers (real ssh-keygen, a real
git repository) and AWX approvals read back from AWX's API (a local HTTP stand-in answering with the
documented shape of /api/v2/workflow_approvals/<id>/, since AWX itself cannot run here)."""

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from jichitai_ops.workplan import awx_approval, signature

PRINCIPAL = "moriguchi.taro"


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", str(path)], check=True)
    return path


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.email=o@example.invalid", "-c", "user.name=o", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def keys(tmp_path):
    return keygen(tmp_path / "approver"), keygen(tmp_path / "intruder")


@pytest.fixture
def repo(tmp_path, keys):
    root = tmp_path / "repo"
    (root / "inventory" / "approvers").mkdir(parents=True)
    pub = " ".join(keys[0].with_suffix(".pub").read_text().split()[:2])
    (root / "inventory" / "approvers" / "allowed_signers").write_text(
        f'# approvers\n{PRINCIPAL} namespaces="{signature.NAMESPACE}" {pub} 守口 太郎（情報政策課長）\n'
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "approvers")
    return root


def approval(**changes):
    record = {
        "plan_id": "20261201T100000-0000beef",
        "plan_digest": "ab" * 32,
        "approver_id": PRINCIPAL,
        "approver": "守口 太郎（情報政策課長）",
        "approved_at": "2026-12-02T10:00:00+09:00",
        "window": {"start": "2026-12-16T22:00:00+09:00", "end": "2026-12-16T23:30:00+09:00"},
        "override_calendar": False,
        "override_reason": None,
    }
    return {**record, **changes}


def signed(key, **changes):
    record = approval(**changes)
    record["signature"] = signature.sign(record, str(key))
    return record


def codes(reasons):
    return [r["code"] for r in reasons]


def test_a_signed_approval_verifies_and_names_the_approver(repo, keys):
    path = signature.find_signers(str(repo), ["inventory"])
    assert path and signature.verify(signed(keys[0]), path, str(repo)) == []
    assert signature.signers(path) == {PRINCIPAL: "守口 太郎（情報政策課長）"}


@pytest.mark.parametrize(
    "field, value",
    [
        ("window", {"start": "2026-12-16T22:00:00+09:00", "end": "2026-12-17T06:00:00+09:00"}),
        ("plan_digest", "cd" * 32),
        ("override_calendar", True),
        ("plan_id", "20261201T100000-0000cafe"),
    ],
)
def test_an_edited_approval_no_longer_verifies(repo, keys, field, value):
    record = signed(keys[0])
    record[field] = value
    path = signature.find_signers(str(repo), ["inventory"])
    assert codes(signature.verify(record, path, str(repo))) == ["bad_signature"]


def test_a_hand_written_approval_is_unsigned(repo):
    path = signature.find_signers(str(repo), ["inventory"])
    assert codes(signature.verify(approval(), path, str(repo))) == ["unsigned_approval"]


def test_another_key_cannot_sign_for_an_approver(repo, keys):
    path = signature.find_signers(str(repo), ["inventory"])
    assert codes(signature.verify(signed(keys[1]), path, str(repo))) == ["bad_signature"]


def test_an_unknown_approver_is_refused(repo, keys):
    path = signature.find_signers(str(repo), ["inventory"])
    record = signed(keys[0], approver_id="someone.else")
    assert codes(signature.verify(record, path, str(repo))) == ["unknown_approver"]


def test_an_approver_added_without_a_commit_does_not_count(repo, keys):
    path = signature.find_signers(str(repo), ["inventory"])
    pub = " ".join(keys[1].with_suffix(".pub").read_text().split()[:2])
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f'intruder namespaces="{signature.NAMESPACE}" {pub}\n')
    record = signed(keys[1], approver_id="intruder")
    assert codes(signature.verify(record, path, str(repo))) == ["signers_uncommitted"]


def test_no_signers_file_means_no_approval(tmp_path, keys):
    assert signature.find_signers(str(tmp_path), ["inventory"]) is None
    assert codes(signature.verify(signed(keys[0]), None)) == ["no_signers"]


def test_signing_with_a_missing_key_says_so(tmp_path):
    with pytest.raises(signature.SignatureError):
        signature.sign(approval(), str(tmp_path / "no-such-key"))


# -- AWX read-back -------------------------------------------------------------------------------


class AwxStandIn(BaseHTTPRequestHandler):
    """Answers GET /api/v2/workflow_approvals/<id>/ from `approvals`, requiring the bearer token."""

    approvals: dict = {}
    token = "t0ken"

    def do_GET(self):  # noqa: N802 - the http.server interface
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.end_headers()
            return
        record = self.approvals.get(self.path)
        self.send_response(200 if record else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(record or {"detail": "Not found."}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def awx():
    server = HTTPServer(("127.0.0.1", 0), AwxStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    AwxStandIn.approvals = {
        "/api/v2/workflow_approvals/41/": {
            "id": 41,
            "type": "workflow_approval",
            "status": "successful",
            "summary_fields": {
                "source_workflow_job": {"id": 20, "name": "dhcp_sync | 作業計画と承認"},
                "approved_or_denied_by": {"id": 7, "username": "kacho", "first_name": "太郎"},
            },
        },
        "/api/v2/workflow_approvals/42/": {
            "id": 42,
            "status": "failed",
            "summary_fields": {
                "source_workflow_job": {"id": 20},
                "approved_or_denied_by": {"username": "kacho"},
            },
        },
    }
    env = {
        "CONTROLLER_HOST": f"http://127.0.0.1:{server.server_address[1]}",
        "CONTROLLER_OAUTH_TOKEN": AwxStandIn.token,
    }
    yield env
    server.shutdown()


PLAN = {"created_by": {"awx_workflow_job_id": 20}}


def awx_record(approval_id=41, username="kacho", workflow=20):
    return {
        "source": "awx",
        "awx": {"approval_id": approval_id, "username": username, "workflow_job_id": workflow},
    }


def test_an_awx_approval_read_back_from_awx_is_accepted(awx):
    assert awx_approval.verify(awx_record(), PLAN, awx) == []


@pytest.mark.parametrize(
    "record, plan, code",
    [
        (awx_record(approval_id=42), PLAN, "awx_not_approved"),  # denied or timed out
        (awx_record(username="someone"), PLAN, "awx_approver"),  # the record names another user
        (awx_record(workflow=21), PLAN, "awx_workflow"),  # approval of another workflow's plan
        (awx_record(), {"created_by": {}}, "awx_workflow"),  # plan not made under AWX
        (awx_record(approval_id=99), PLAN, "awx_unreachable"),  # no such approval
        ({"source": "awx", "awx": {}}, PLAN, "awx_record"),
    ],
)
def test_an_awx_approval_awx_does_not_confirm_is_refused(awx, record, plan, code):
    assert code in codes(awx_approval.verify(record, plan, awx))


def test_without_a_controller_credential_an_awx_approval_is_refused(awx):
    assert codes(awx_approval.verify(awx_record(), PLAN, {})) == ["awx_unreachable"]
    wrong = {**awx, "CONTROLLER_OAUTH_TOKEN": "forged"}
    assert codes(awx_approval.verify(awx_record(), PLAN, wrong)) == ["awx_unreachable"]
