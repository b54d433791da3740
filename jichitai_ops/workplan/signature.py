"""Approvals as OpenSSH signatures (`ssh-keygen -Y sign|verify`) over the approval record.

Who may approve is the inventory's `approvers/allowed_signers` file, reviewed and committed like any
other change: one line per approver, `<principal> namespaces="jichitai-ops-approval" <key> <氏名>`.
An approval is valid only when its signature verifies, for the principal it names, against that
file as committed; the approver's name in reports comes from the file, not from the record.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from .model import canonical_json, reason

NAMESPACE = "jichitai-ops-approval"
SIGNERS_FILE = os.path.join("approvers", "allowed_signers")
SIGNED_FIELDS = (
    "plan_id",
    "plan_digest",
    "approver_id",
    "approved_at",
    "window",
    "override_calendar",
    "override_reason",
)


class SignatureError(Exception):
    """ssh-keygen could not sign (no key, wrong passphrase, agent without the key)."""


def message(approval: dict) -> bytes:
    """The bytes an approver signs: the approval's decisive fields, canonical JSON."""
    return canonical_json({field: approval.get(field) for field in SIGNED_FIELDS})


def sign(approval: dict, key_file: str) -> str:
    """Armored SSH signature of the approval by the private key in key_file (or, given a .pub file,
    the matching key in ssh-agent)."""
    with tempfile.TemporaryDirectory(prefix="jichitai-sign-") as folder:
        data = os.path.join(folder, "approval")
        with open(data, "wb") as handle:
            handle.write(message(approval))
        proc = subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-f", key_file, "-n", NAMESPACE, data],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0:
            raise SignatureError(proc.stderr.strip() or f"ssh-keygen -Y sign failed ({proc.returncode})")
        with open(data + ".sig", encoding="ascii") as handle:
            return handle.read()


def signers(path: str) -> dict[str, str]:
    """principal -> the name written after its key (the principal itself when none is written)."""
    out = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            rest = fields[1:]
            if rest and rest[0].startswith("namespaces="):
                rest = rest[1:]
            name = " ".join(rest[2:]) if len(rest) > 2 else ""
            for principal in fields[0].split(","):
                out[principal] = name or principal
    return out


def find_signers(root: str, inventory_sources: list[str]) -> str | None:
    """The allowed_signers file of the run's inventory: <inventory dir>/approvers/allowed_signers."""
    for source in inventory_sources or []:
        path = source if os.path.isabs(source) else os.path.join(root, source)
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        candidate = os.path.join(folder, SIGNERS_FILE)
        if os.path.isfile(candidate):
            return candidate
    return None


def uncommitted(root: str, path: str) -> bool:
    """True when the signers file differs from the repository's last commit (or is not tracked):
    an approver added without review must not count."""
    if not os.path.isdir(os.path.join(root, ".git")):
        return False
    rel = os.path.relpath(path, root)
    tracked = subprocess.run(
        ["git", "-C", root, "ls-files", "--error-unmatch", "--", rel], capture_output=True, check=False
    )
    status = subprocess.run(
        ["git", "-C", root, "status", "--porcelain", "--", rel], capture_output=True, text=True, check=False
    )
    return tracked.returncode != 0 or bool(status.stdout.strip())


def verify(approval: dict, signers_path: str | None, root: str | None = None) -> list[dict]:
    """Every reason the approval's signature does not prove it; [] when it does."""
    if not signers_path or not os.path.isfile(signers_path):
        return [
            reason(
                "no_signers",
                f"承認者の公開鍵一覧（{SIGNERS_FILE}）がインベントリにありません",
                f"no approvers' allowed_signers file ({SIGNERS_FILE}) in the inventory",
            )
        ]
    if root and uncommitted(root, signers_path):
        return [
            reason(
                "signers_uncommitted",
                f"承認者の公開鍵一覧に未コミットの変更があります（{signers_path}）: "
                "レビューを経てコミットしてください",
                f"{signers_path} has uncommitted changes: approvers count only once reviewed and committed",
            )
        ]
    signature, principal = approval.get("signature"), approval.get("approver_id")
    if not signature or not principal:
        return [
            reason(
                "unsigned_approval",
                "承認に署名がありません（jichitai-ops approve --key で署名してください）",
                "the approval is not signed (jichitai-ops approve --key)",
            )
        ]
    if principal not in signers(signers_path):
        return [
            reason(
                "unknown_approver",
                f"承認者 {principal} は承認者一覧にありません",
                f"{principal} is not an approver in {signers_path}",
            )
        ]
    with tempfile.TemporaryDirectory(prefix="jichitai-verify-") as folder:
        sig = os.path.join(folder, "approval.sig")
        with open(sig, "w", encoding="ascii") as handle:
            handle.write(signature)
        proc = subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", signers_path, "-I", principal, "-n", NAMESPACE, "-s", sig],
            input=message(approval),
            capture_output=True,
            check=False,
        )
    if proc.returncode != 0:
        return [
            reason(
                "bad_signature",
                f"承認の署名を検証できません（{principal}）: 承認記録が改変されたか、別の鍵の署名です",
                f"the approval's signature does not verify for {principal}: the record was altered "
                "or signed with another key",
            )
        ]
    return []
