#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation of the workplan_guard action (plugins/action/workplan_guard.py): ansible-doc and the
action-plugin-docs sanity test read it here. The action plugin does the work; this file has no code."""

from __future__ import annotations

DOCUMENTATION = r"""
module: workplan_guard
short_description: Plan in check mode; refuse an apply that is unapproved, changed or out of its window
description:
  - Runs on the controller, once per play, as the first pre_task (role C(workplan)). Refusals
    happen before anything is changed, with every reason in Japanese and English.
  - B(Check mode) (plan) records the play's work-plan metadata, the window, what the plan is made
    from (repository commit and uncommitted changes, inventory files, declared input files, run
    options), the affected hosts, segments, sites and departments, the lead time (MNT-WORKPLAN) and the
    service-calendar findings (REQUIREMENTS §2, spec §4-3(3), §9-2(6)). It never blocks planning, it
    flags. The C(workplan) callback writes the plan when the run ends. The plan id is handed on with
    set_stats (C(workplan_id), C(workplan_basis_digest)) for AWX workflows.
  - B(Apply) (no check mode, C(plan_id) given) refuses when there is no approval, the approval is for
    another plan digest, the approval is not proven (not signed by an approver of the inventory's
    committed C(approvers/allowed_signers), its signature does not verify, or - for an AWX approval -
    AWX's API does not confirm it), plan.json was altered, the repository commit, uncommitted changes,
    inventory, an input file or the run options (limit, tags, strategy, extra vars) differ from the
    plan, a target host is not in the plan, the current time is outside the approved window, or the
    window conflicts with the service calendar and the approval does not override it.
  - Plan and apply are refused under any play strategy but C(linear) (or C(debug)); under C(free) or
    C(host_pinned) a C(run_once) task runs once per host, concurrently.
  - An apply without C(plan_id) is refused, except in the lab (controller environment
    C(JICHITAI_WORKPLAN_LAB=1)) with O(unplanned_ok) and O(unplanned_reason); that run is reported as
    an unplanned run, every change flagged as unplanned.
  - Reads the estate's masters from the inventory - the service calendar C(jichitai_service_calendar), the
    organisation C(jichitai_departments), the segments C(jichitai_segments) and the sites C(jichitai_sites)
    (top-level C(group_vars/all), loaded by the C(estate_policy) vars plugin) - to evaluate the calendar
    and to name departments, segments and sites in the plan.
  - Needs the C(workplan) callback enabled (C(callbacks_enabled = workplan)); refuses otherwise.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  title:
    description: 作業名 (work title).
    type: str
    required: true
  clause:
    description: Contract clause and operation id, e.g. C(§6-3(4)④ OPS-IPAM).
    type: str
    required: true
  kind:
    description: Kind of work; sets the lead time (operations 7 days, maintenance 3, emergency 1).
    type: str
    required: true
    choices: [operations, maintenance, emergency]
  disruptive:
    description: Whether the work stops a system or the network (spec §9-2(6)).
    type: bool
    required: true
  description:
    description: 作業概要 (summary for the city).
    type: str
    default: ""
  rollback:
    description: Rollback steps (切り戻し手順).
    type: list
    elements: str
    required: true
  contingency:
    description: Contingency plan (コンティンジェンシープラン).
    type: list
    elements: str
    required: true
  inputs:
    description: Input files or directories the work reads; relative to the project root.
    type: list
    elements: str
    default: []
  services:
    description: Services affected (業務・サービス).
    type: list
    elements: str
    default: []
  departments:
    description:
      - Department codes whose off-hours services the work affects, or C(all).
      - When none of I(departments), I(systems) and I(sites) is given, the services come from the play's
        hosts in the inventory - a host's C(jichitai_business_systems), the site of a host whose
        C(jichitai_service_scope) is C(site), and every service for any other host (the safe side).
    type: list
    elements: str
    default: []
  systems:
    description:
      - Business systems the work touches, as the service calendar names them (C(収納消込), C(住民記録), ...),
        or C(all). Every department's off-hours slot on those systems applies; when given, C(all) in
        I(departments) gives way, and departments named explicitly still add their slots.
    type: list
    elements: str
    default: []
  sites:
    description:
      - Sites (ids of the sites master) whose services the work touches, e.g. a change to one site's
        network or DHCP scope. Every off-hours slot given at those sites applies; when given, C(all) in
        I(departments) gives way. C(all) selects every slot.
    type: list
    elements: str
    default: []
  task_minutes:
    description: Estimated minutes per task with a change.
    type: float
    default: 2
  duration_minutes:
    description: The engineer's own estimate of the whole work; replaces the computed one.
    type: float
  window_start:
    description: Start of the work window (ISO 8601, Asia/Tokyo when no offset).
    type: str
  window_end:
    description: End of the work window.
    type: str
  plan_id:
    description: The approved plan to apply (C(workplan_id)).
    type: str
  unplanned_ok:
    description: Lab only - run without a plan; reported as unplanned.
    type: bool
    default: false
  unplanned_reason:
    description: Why the lab run has no plan.
    type: str
  now:
    description:
      - Lab only (C(JICHITAI_WORKPLAN_LAB=1)) - the current time to use, for deterministic tests.
    type: str
  support_desk:
    description: Support-desk hours (C(jichitai_sla.support_desk)).
    type: dict
    default: {}
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  platform:
    platforms: posix
    details: The action runs on the controller.
  check_mode:
    support: full
    details: >-
      A check run (C(--check --diff)) is how a work plan is made; the guard records it and changes
      nothing.
  diff_mode:
    support: none
    details:
      - Returns no diff of its own, but the run needs C(--diff) - a plan is made of the other tasks' diffs.
      - A plan made without C(--diff) carries a blocking flag; an apply without C(--diff) is refused.
  action:
    support: full
    details: The action plugin of the same name does the work, on the controller; no module is sent to a host.
  async:
    support: none
  bypass_host_loop:
    support: none
    details: Runs per host like any task; the C(workplan) role sets C(run_once).
notes:
  - Use through the C(workplan) role in pre_tasks; it sets C(run_once) and C(any_errors_fatal) so a
    refusal stops every host before the first change. It opens no connection to any host.
"""

EXAMPLES = r"""
- name: Work plan guard
  workplan_guard:
    title: DHCP 予約の同期
    clause: §6-3(4)④ OPS-IPAM
    kind: operations
    disruptive: false
    rollback: [前回の予約一覧を再投入する]
    contingency: [DHCP 待機系で払い出しを継続する]
    window_start: "{{ workplan_window_start | default(omit) }}"
    window_end: "{{ workplan_window_end | default(omit) }}"
    plan_id: "{{ workplan_id | default(omit) }}"
  run_once: true
  any_errors_fatal: true
"""

RETURN = r"""
workplan_guard:
  description: What the guard found (mode plan, apply or unplanned; plan id; basis; calendar; reasons).
  returned: always
  type: dict
ansible_facts:
  description: Facts for every host of the play.
  returned: when the apply is allowed (mode apply or unplanned)
  type: dict
  contains:
    workplan_journal:
      description:
        - Where the state-changing modules journal each change of this run, and the controller process they
          watch; pass it to their C(journal) option. The report of a killed run is made from it
          (C(jichitai-ops report <plan id>)).
      type: dict
      sample:
        path: work/plans/20261216T183000-1a2b3c4d/journal/9f8e7d6c5b4a3921.changes.jsonl
        controller_pid: 41234
        controller_start: "1234567"
        run: 9f8e7d6c5b4a3921
ansible_stats:
  description: set_stats data for AWX/Semaphore (workplan_id, workplan_basis_digest, workplan_mode).
  returned: always
  type: dict
"""
