"""Action plugin: record the city's approval of a work plan (for AWX and Semaphore jobs)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

try:
    from jichitai_ops.workplan import basis as basis_mod
    from jichitai_ops.workplan import model
    from jichitai_ops.workplan import store as store_mod
except ImportError as exc:  # the plugin reports it when used
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None

ARGSPEC = {
    "plan_id": {"type": "str", "required": True},
    "approver": {"type": "str", "required": True},
    "expected_digest": {"type": "str"},
    "override_calendar": {"type": "bool", "default": False},
    "override_reason": {"type": "str"},
    "tool": {"type": "str", "default": "ansible"},
    "awx_approval_id": {"type": "int"},
    "awx_username": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    @staticmethod
    def _awx(args, task_vars):
        """The AWX approval the guard will read back, or None (an approval without it or a signature
        is refused)."""
        if not args.get("awx_approval_id"):
            return None
        return {
            "approval_id": args["awx_approval_id"],
            "username": args.get("awx_username"),
            "workflow_job_id": task_vars.get("awx_workflow_job_id"),
        }

    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        if ENGINE_IMPORT_ERROR:
            raise AnsibleActionFail(
                "the jichitai_ops package of this repository is not installed in the Python running "
                f"Ansible (make venv, or rebuild the execution environment): {ENGINE_IMPORT_ERROR}"
            )
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGSPEC)
        root = basis_mod.project_root(task_vars.get("playbook_dir") or os.getcwd())
        store = store_mod.store_dir(root)
        extra = {
            k: task_vars[k] for k in ("awx_job_id", "awx_workflow_job_id", "awx_user_name") if k in task_vars
        }
        try:
            model.check_plan_id(args["plan_id"])
            if self._play_context.check_mode:
                plan, recorded, actual = store_mod.load_plan(store, args["plan_id"])
                if recorded != actual:
                    raise model.WorkplanError(
                        [
                            model.reason(
                                "plan_digest",
                                "作業計画書(plan.json)が作成後に変更されています",
                                "plan.json was altered",
                            )
                        ]
                    )
                result.update(changed=False, msg=f"作業計画 {args['plan_id']} は承認可能です（確認モード）")
                return result
            approval = store_mod.approve(
                store,
                args["plan_id"],
                args["approver"],
                override_calendar=args["override_calendar"],
                override_reason=args.get("override_reason"),
                expected_digest=args.get("expected_digest"),
                recorder=store_mod.who(args["tool"], extra),
                awx=self._awx(args, task_vars),
            )
        except model.WorkplanError as exc:
            result.update(
                failed=True,
                changed=False,
                reasons=exc.reasons,
                msg=f"承認を記録できません / cannot record the approval of {args['plan_id']}:\n{exc}",
            )
            return result
        result.update(
            changed=True,
            approval=approval,
            msg=f"承認を記録しました: {args['plan_id']}（{approval['approver']}） / approval recorded",
        )
        return result
