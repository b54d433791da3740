#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the workplan_approve action (plugins/action/workplan_approve.py): ansible-doc and the
action-plugin-docs sanity test read it here. The action plugin does the work; this file has no code."""

from __future__ import annotations

DOCUMENTATION = r"""
module: workplan_approve
short_description: Record the approval of one work-plan digest (approval.json)
description:
  - Records who approved a work plan, when, and for which plan digest, in C(<store>/<plan id>/approval.json),
    as C(jichitai-ops approve) does. Runs on the controller without a connection.
  - The record is evidence only with proof the guard can check. From AWX, O(awx_approval_id) names the
    AWX workflow approval the apply job reads back from AWX's API. Without it the approval is refused;
    elsewhere an approval is the approver's own signature (C(jichitai-ops approve --key)).
  - Refuses, with every reason in Japanese and English, when plan.json no longer matches its recorded
    digest, O(expected_digest) is given and differs, the plan is incomplete or has no window, a blocking
    flag is open, the plan conflicts with the service calendar and O(override_calendar) is not set (an
    override needs O(override_reason)), or the same digest is already approved.
  - Used by the AWX workflow (after its approval node).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  plan_id:
    description: The plan to approve (C(workplan_id) from set_stats).
    type: str
    required: true
  approver:
    description: Name of the city official who approved.
    type: str
    required: true
  expected_digest:
    description: The sha256 printed on the plan the approver read; must match the plan file.
    type: str
  override_calendar:
    description: Approve although the window conflicts with the service calendar.
    type: bool
    default: false
  override_reason:
    description: Why the calendar is overridden; required with O(override_calendar).
    type: str
  tool:
    description: What recorded the approval (shown in approval.json).
    type: str
    default: ansible
  awx_approval_id:
    description:
      - Id of the AWX workflow approval that approved the plan. The record names it, and the apply
        job's guard reads it back from AWX's API (status, approver, workflow job) before it accepts
        the approval; without it (or a signature from C(jichitai-ops approve --key)) an approval is
        refused.
    type: int
  awx_username:
    description: The AWX user who approved the node (C(summary_fields.approved_or_denied_by.username)).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  platform:
    platforms: posix
    details: The action runs on the controller.
  check_mode:
    support: full
    details: Validates the plan only; writes nothing.
  diff_mode:
    support: none
    details: Returns no diff.
  action:
    support: full
    details: The action plugin of the same name does the work, on the controller; no module is sent to a host.
  async:
    support: none
  bypass_host_loop:
    support: none
    details: Runs per host like any task; the C(workplan) role sets C(run_once).
"""

EXAMPLES = r"""
- name: Record the approval given in the AWX approval node
  workplan_approve:
    plan_id: "{{ workplan_id }}"
    approver: "{{ approver_name }}"
    tool: awx
"""

RETURN = r"""
approval:
  description: The approval record (plan_id, plan_digest, approver, approved_at, override_calendar, ...).
  returned: success, not in check mode
  type: dict
"""
