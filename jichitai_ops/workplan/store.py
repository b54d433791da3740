"""The plan store: work/plans/<plan id>/ holds plan.json (+ plan.sha256 and renderings),
approval.json, attempts.jsonl (every apply attempt, refused or not) and the reports.

JICHITAI_WORKPLAN_DIR moves the store (AWX/Semaphore: a volume every job sees).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import tempfile

from . import signature
from .model import (
    STORE_ENV,
    WorkplanError,
    check_plan_id,
    digest,
    fmt_jp,
    iso,
    now,
    reason,
)


def store_dir(root: str, environ=None) -> str:
    env = environ if environ is not None else os.environ
    return os.path.abspath(env.get(STORE_ENV) or os.path.join(root, "work", "plans"))


def plan_dir(store: str, plan_id: str) -> str:
    return os.path.join(store, check_plan_id(plan_id))


def write_atomic(path: str, data: bytes | str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dump_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"


def write_plan(store: str, plan: dict) -> str:
    """plan.json and plan.sha256 (the digest of the canonical plan)."""
    folder = plan_dir(store, plan["id"])
    plan_digest = digest(plan)
    write_atomic(os.path.join(folder, "plan.json"), dump_json(plan))
    write_atomic(os.path.join(folder, "plan.sha256"), f"{plan_digest}  plan.json\n")
    return plan_digest


def load_plan(store: str, plan_id: str) -> tuple[dict, str | None, str]:
    """(plan, digest recorded when it was written, digest of the file as it is now)."""
    folder = plan_dir(store, plan_id)
    path = os.path.join(folder, "plan.json")
    if not os.path.isfile(path):
        raise WorkplanError(
            [
                reason(
                    "no_plan",
                    f"作業計画 {plan_id} がありません（{folder}）",
                    f"no plan {plan_id} in {folder}",
                )
            ]
        )
    with open(path, encoding="utf-8") as fh:
        plan = json.load(fh)
    recorded = None
    sha_path = os.path.join(folder, "plan.sha256")
    if os.path.isfile(sha_path):
        with open(sha_path, encoding="utf-8") as fh:
            recorded = (fh.read().split() or [None])[0]
    return plan, recorded, digest(plan)


def load_approval(store: str, plan_id: str) -> dict | None:
    path = os.path.join(plan_dir(store, plan_id), "approval.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def who(tool: str, extra: dict | None = None) -> dict:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname(), "tool": tool, **(extra or {})}


def approve(
    store: str,
    plan_id: str,
    approver: str,
    *,
    override_calendar: bool = False,
    override_reason: str | None = None,
    expected_digest: str | None = None,
    tool: str = "cli",
    recorder: dict | None = None,
    key_file: str | None = None,
    signers_path: str | None = None,
    root: str | None = None,
    awx: dict | None = None,
) -> dict:
    """Record the city's approval of one plan digest, signed by the approver's key (approver is then
    the principal of the inventory's allowed_signers) or, from AWX, naming the AWX approval the guard
    reads back. Refuses (WorkplanError, every reason at once) an approver who is not in the signers
    file, a key that is not theirs, a tampered or incomplete plan, a plan without a window, or a
    calendar conflict not overridden."""
    plan, recorded, actual = load_plan(store, plan_id)
    problems = []
    if not approver or not str(approver).strip():
        problems.append(reason("no_approver", "承認者の氏名がありません", "approver name is missing"))
    if not key_file and not awx:
        problems.append(
            reason(
                "unsigned_approval",
                "承認は承認者の鍵で署名してください（--key）",
                "an approval must be signed with the approver's key (--key)",
            )
        )
    names = {}
    if key_file:
        if signers_path and os.path.isfile(signers_path):
            names = signature.signers(signers_path)
        if str(approver or "").strip() and str(approver).strip() not in names:
            problems.append(
                reason(
                    "unknown_approver",
                    f"{approver} は承認者一覧（{signature.SIGNERS_FILE}）にありません",
                    f"{approver} is not an approver in {signers_path or signature.SIGNERS_FILE}",
                )
            )
    if recorded != actual:
        problems.append(
            reason(
                "plan_digest",
                "作業計画書(plan.json)が作成後に変更されています（ダイジェスト不一致）",
                f"plan.json does not match its digest (recorded {recorded}, file {actual})",
            )
        )
    if expected_digest and expected_digest.removeprefix("sha256:") != actual:
        problems.append(
            reason(
                "expected_digest",
                "指定されたダイジェストが作業計画書と一致しません",
                f"the digest given ({expected_digest}) is not the plan's ({actual})",
            )
        )
    if plan.get("mode") != "plan":
        problems.append(reason("not_a_plan", "この記録は作業計画ではありません", "this record is not a plan"))
    if plan.get("summary", {}).get("incomplete"):
        problems.append(
            reason(
                "incomplete",
                "計画作成時に失敗・到達不能のホストがあり、計画が不完全です",
                "the plan is incomplete: hosts failed or were unreachable while planning",
            )
        )
    window = plan.get("window") or {}
    if not window.get("start") or not window.get("end"):
        problems.append(
            reason(
                "no_window",
                "作業日時（workplan_window_start/end）が計画にありません",
                "the plan has no work window (workplan_window_start/end)",
            )
        )
    calendar = plan.get("calendar") or {}
    if calendar.get("blocked") and not override_calendar:
        first = next((f for f in calendar.get("findings", []) if f["severity"] == "block"), {})
        problems.append(
            reason(
                "calendar",
                f"作業日時が時間外業務または作業規則に抵触します: {first.get('ja', '')}"
                "（--override-calendar と理由の指定が必要）",
                "the window conflicts with the service calendar; approve with --override-calendar --reason",
            )
        )
    if override_calendar and not (override_reason or "").strip():
        problems.append(
            reason(
                "override_reason",
                "カレンダーの例外承認には理由が必要です",
                "a calendar override needs a reason",
            )
        )
    covered = {"calendar", "incomplete", "no_window"}
    for flag in plan.get("flags", []):
        if flag.get("severity") == "block" and flag.get("code") not in covered:
            problems.append(
                reason(f"flag_{flag['code']}", flag.get("ja", ""), flag.get("en", flag.get("code", "")))
            )
    existing = load_approval(store, plan_id)
    if existing and existing.get("plan_digest") == actual:
        problems.append(
            reason(
                "already_approved",
                f"既に承認済みです（{existing.get('approver')}、{fmt_jp(existing.get('approved_at'))}）",
                f"already approved by {existing.get('approver')} at {existing.get('approved_at')}",
            )
        )
    if problems:
        raise WorkplanError(problems)
    principal = str(approver).strip()
    approval = {
        "plan_id": plan_id,
        "plan_digest": actual,
        "approver_id": principal if key_file else None,
        "approver": names.get(principal, principal),
        "approved_at": iso(now()),
        "window": window,
        "override_calendar": bool(override_calendar),
        "override_reason": (override_reason or "").strip() or None,
        "overridden_findings": [f for f in calendar.get("findings", []) if f["severity"] == "block"]
        if override_calendar
        else [],
        "lead_time": plan.get("lead_time"),
        "recorded_by": recorder or who(tool),
        "source": "awx" if awx else "signature",
    }
    if awx:
        approval["awx"] = awx
    else:
        try:
            approval["signature"] = signature.sign(approval, key_file)
        except signature.SignatureError as exc:
            raise WorkplanError(
                [reason("sign_failed", f"署名できません: {exc}", f"cannot sign the approval: {exc}")]
            ) from exc
        problems = signature.verify(approval, signers_path, root)
        if problems:  # the key is not the one the signers file names for this approver
            raise WorkplanError(problems)
    write_atomic(os.path.join(plan_dir(store, plan_id), "approval.json"), dump_json(approval))
    return approval


def append_attempt(store: str, plan_id: str, entry: dict) -> None:
    folder = plan_dir(store, plan_id)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "attempts.jsonl"), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n")


def attempts(store: str, plan_id: str) -> list[dict]:
    path = os.path.join(plan_dir(store, plan_id), "attempts.jsonl")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def report_dir(store: str, plan_id: str, stamp: str) -> str:
    return os.path.join(plan_dir(store, plan_id), "reports", stamp)


def list_plans(store: str) -> list[str]:
    if not os.path.isdir(store):
        return []
    return sorted(
        n for n in os.listdir(store) if os.path.isdir(os.path.join(store, n)) and not n.startswith(".")
    )
