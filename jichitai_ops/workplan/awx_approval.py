"""Approvals given in AWX: the guard reads the approval back from AWX's API instead of trusting the
approval.json the approval-record job wrote.

An AWX approval is valid when the workflow approval it names is `successful`, was approved by the user
the record names, and belongs to the workflow job whose plan job made this plan (the plan records the
`awx_workflow_job_id` it was made under). The API is reached with the controller credential AWX
injects into the job (CONTROLLER_HOST and CONTROLLER_OAUTH_TOKEN, or CONTROLLER_USERNAME and
CONTROLLER_PASSWORD; CONTROLLER_VERIFY_SSL=false only for a lab controller).
"""

from __future__ import annotations

import json
import os

from .model import reason


def _refuse(code: str, ja: str, en: str) -> list[dict]:
    return [reason(code, ja, en)]


def _get(path: str, env) -> dict:
    from ansible.module_utils.urls import open_url

    host = env["CONTROLLER_HOST"].rstrip("/")
    if "://" not in host:
        host = f"https://{host}"
    headers = {"Accept": "application/json"}
    token = env.get("CONTROLLER_OAUTH_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = open_url(
        f"{host}{path}",
        headers=headers,
        url_username=None if token else env.get("CONTROLLER_USERNAME"),
        url_password=None if token else env.get("CONTROLLER_PASSWORD"),
        force_basic_auth=not token,
        validate_certs=str(env.get("CONTROLLER_VERIFY_SSL", "true")).lower() not in ("false", "0", "no"),
        timeout=20,
    )
    return json.loads(response.read())


def verify(approval: dict, plan: dict, env=None) -> list[dict]:
    """Every reason the AWX approval is not proven by AWX itself; [] when it is."""
    env = os.environ if env is None else env
    awx = approval.get("awx") or {}
    approval_id, workflow_job = awx.get("approval_id"), awx.get("workflow_job_id")
    planned_under = (plan.get("created_by") or {}).get("awx_workflow_job_id")
    if not approval_id or not workflow_job:
        return _refuse(
            "awx_record",
            "AWX の承認記録に承認 ID またはワークフロージョブ ID がありません",
            "the AWX approval record names no approval id or workflow job",
        )
    if str(planned_under) != str(workflow_job):
        return _refuse(
            "awx_workflow",
            f"AWX の承認（ワークフロー {workflow_job}）はこの作業計画を作成したワークフロー"
            f"（{planned_under or 'なし'}）のものではありません",
            f"the AWX approval belongs to workflow job {workflow_job}, the plan was made under "
            f"{planned_under or 'no workflow'}",
        )
    if not env.get("CONTROLLER_HOST"):
        return _refuse(
            "awx_unreachable",
            "AWX の承認を確認できません（コントローラー資格情報がジョブにありません）",
            "cannot read the approval back from AWX: the job has no controller credential (CONTROLLER_HOST)",
        )
    try:
        record = _get(f"/api/v2/workflow_approvals/{int(approval_id)}/", env)
    except Exception as exc:  # any failure to read it back is a refusal, never a pass
        return _refuse(
            "awx_unreachable",
            f"AWX の承認 {approval_id} を確認できません: {exc}",
            f"cannot read approval {approval_id} back from AWX: {exc}",
        )
    approver = ((record.get("summary_fields") or {}).get("approved_or_denied_by") or {}).get("username")
    node_job = ((record.get("summary_fields") or {}).get("source_workflow_job") or {}).get("id")
    problems = []
    if record.get("status") != "successful":
        problems += _refuse(
            "awx_not_approved",
            f"AWX の承認 {approval_id} は承認されていません（{record.get('status')}）",
            f"AWX approval {approval_id} is not approved (status {record.get('status')})",
        )
    if approver != awx.get("username"):
        problems += _refuse(
            "awx_approver",
            f"AWX の承認者（{approver}）が承認記録（{awx.get('username')}）と異なります",
            f"AWX says {approver} approved, the record says {awx.get('username')}",
        )
    if node_job is not None and str(node_job) != str(workflow_job):
        problems += _refuse(
            "awx_workflow",
            f"AWX の承認 {approval_id} は別のワークフロー（{node_job}）のものです",
            f"AWX approval {approval_id} belongs to workflow job {node_job}",
        )
    return problems
