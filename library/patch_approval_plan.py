#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: patch_approval_plan
short_description: Decide which WSUS updates to approve or decline, per ring, from the estate's patch policy
description:
  - Reads the WSUS catalogue as the UpdateServices cmdlets give it through C(ConvertTo-Json)
    (C(Get-WsusUpdate) objects, with the target groups' approvals and counts and the superseding
    updates that the role's read script adds) and decides, for every update and ring (pilot, servers,
    clients), whether to approve it, decline it, wait (until which day), hold it or leave it as not
    applicable, each with its reason in Japanese (REQUIREMENTS MNT-PATCH, §2-2(11), §5-3(11)).
  - Returns the changes against the approvals in place (approve for a target group, withdraw an
    approval of a KB on the deny list, decline a superseded update on the whole server) for the apply
    step (C(Approve-WsusUpdate), C(Deny-WsusUpdate)), and their table in Japanese as the diff.
  - A pure decision on the controller; it connects to nothing and changes nothing.
  - The whole policy and every row of the catalogue are validated first; every problem is named at
    once (the policy's key, the catalogue's row and update id), and nothing is decided. A KB on the
    allow list that the catalogue does not hold is such a problem.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  catalogue:
    description:
      - The catalogue as JSON text or as data - a list of updates, one update alone (Windows PowerShell
        5.1 writes a list of one as the object), or the read script's document with C(Updates).
      - Exactly one of O(catalogue) and O(catalogue_file).
    type: raw
  catalogue_file:
    description:
      - A recorded catalogue on the controller (UTF-8, or UTF-16 with its byte-order mark as C(Out-File)
        writes it).
    type: path
  policy:
    description:
      - The patch policy, normally C(jichitai_patch_policy) (group_vars/all/patch_policy.yml) - C(rings)
        (C(pilot), C(servers), C(clients), each with C(target_groups) and C(deferral_days)),
        C(classifications), C(products), C(decline_superseded), C(hold_on_pilot_failures),
        C(deferral_basis), C(allow_kbs), C(deny_kbs), C(office).
    type: dict
    required: true
  as_of:
    description:
      - The day the decision is made for (YYYY-MM-DD); deferrals count up to it. Default today in Japan.
      - Give the plan's day again when applying, so the apply carries out what was approved.
    type: str
  server:
    description: Name of the WSUS server, for the table.
    type: str
    default: WSUS
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Why a module and not a filter - the decision has to refuse with every problem named, return a
    structured result that the work plan records and a Japanese diff, and state its check-mode
    behaviour; a filter can do none of those.
  - Dates C(/Date(ms)/) (Windows PowerShell 5.1) and ISO 8601 (PowerShell 7, ansible.windows) are read
    as the calendar day in Japan.
seealso:
  - module: ansible.windows.win_powershell
attributes:
  platform:
    platforms: posix
    details: Runs on the controller (delegate to localhost); it reads only its inputs.
  check_mode:
    support: full
    details: The module changes nothing; a check run decides as a normal run.
  diff_mode:
    support: full
    details: The diff is the Japanese table of the changes and of the updates still waiting.
"""

EXAMPLES = r"""
- name: Decide the approvals from the catalogue read on the WSUS server
  patch_approval_plan:
    catalogue: "{{ catalogue_read.result }}"
    policy: "{{ jichitai_patch_policy }}"
    as_of: "2026-12-16"
    server: wsus01
  delegate_to: localhost
  register: approval_plan

- name: Decide from a recorded catalogue
  patch_approval_plan:
    catalogue_file: tests/fixtures/wsus/catalogue_ps51.json
    policy: "{{ jichitai_patch_policy }}"
"""

RETURN = r"""
decisions:
  description: One entry per update, with the decision of each ring.
  returned: success
  type: list
  elements: dict
  sample:
    - update_id: 6a2f0c9e-1b7d-4c55-9a61-0d1f3e2b7c41
      kb: KB5034441
      title: 2024-01 Windows 10 Version 22H2 の累積更新プログラム (x64 ベース システム用)
      classification: Security Updates
      products: [Windows 10, version 1903 and later]
      release_date: "2024-01-10"
      superseded: false
      rings:
        - {ring: pilot, ring_ja: 先行適用, decision: approve, decision_ja: 承認, until: null,
           reason_ja: 公開 2024-01-10 から 6 日経過（猶予 0 日）, current: {LGWAN-Pilot: NotApproved}}
        - {ring: clients, ring_ja: 端末, decision: wait, decision_ja: 猶予中, until: "2024-01-24",
           reason_ja: 公開 2024-01-10 から 14 日の猶予中（2024-01-24 以降に承認）,
           current: {LGWAN-Clients: NotApproved}}
changes:
  description:
    - What the apply changes on the WSUS server - C(approve) or C(unapprove) for a target group, C(decline)
      for the whole server (C(target_group) null).
  returned: success
  type: list
  elements: dict
  sample:
    - {update_id: 6a2f0c9e-1b7d-4c55-9a61-0d1f3e2b7c41, kb: KB5034441, title: 2024-01 累積更新プログラム,
       action: approve, action_ja: 承認, target_group: LGWAN-Pilot, ring: pilot, ring_ja: 先行適用,
       reason_ja: 公開 2024-01-10 から 6 日経過（猶予 0 日）, before: NotApproved, after: Install}
apply:
  description: The changes as the apply script takes them (C(UpdateId), C(Action), C(TargetGroup)).
  returned: success
  type: list
  elements: dict
  sample: [{UpdateId: 6a2f0c9e-1b7d-4c55-9a61-0d1f3e2b7c41, Action: approve, TargetGroup: LGWAN-Pilot}]
summary:
  description: The day, the number of updates, decisions per ring and changes per action.
  returned: success
  type: dict
  sample: {as_of: "2024-01-16", updates: 7, rings: {pilot: {approve: 3, decline: 1, wait: 0, hold: 1,
           not_applicable: 2}}, changes: {approve: 5, decline: 1, unapprove: 0}}
table:
  description: The Japanese table of the changes and of what still waits (also the diff).
  returned: success
  type: str
catalogue:
  description: The catalogue's header (C(Server), C(CollectedAt)) when the read script wrote one.
  returned: success
  type: dict
problems:
  description: Every problem of the policy and the catalogue, each naming its key or row.
  returned: failure
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.patch import catalogue as cat
from ansible.module_utils.patch import policy as pol
from ansible.module_utils.patch.dates import parse_day, today_in_japan
from ansible.module_utils.patch.decide import decide
from ansible.module_utils.patch.render import table


def plan(source, policy, as_of, server="WSUS"):
    """The module's result without Ansible: {problems} or {decisions, changes, apply, summary, table}."""
    normal, problems = pol.validate(policy)
    problems = [f"パッチ適用方針 {p}" for p in problems]
    header, updates, row_problems = cat.parse(source)
    problems += [f"カタログ {p}" for p in row_problems]
    try:
        day = parse_day(as_of) if as_of else today_in_japan()
    except ValueError as exc:
        problems.append(f"as_of: {exc}")
    if problems:
        return {"problems": problems}
    result = decide(updates, normal, day)
    if result["problems"]:
        return {"problems": [f"パッチ適用方針 {p}" for p in result["problems"]]}
    result.pop("problems")
    result["apply"] = [
        {"UpdateId": c["update_id"], "Action": c["action"], "TargetGroup": c["target_group"]}
        for c in result["changes"]
    ]
    result["table"] = table(result, server)
    result["catalogue"] = {k: header[k] for k in ("Server", "CollectedAt") if k in header}
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "catalogue": {"type": "raw"},
            "catalogue_file": {"type": "path"},
            "policy": {"type": "dict", "required": True},
            "as_of": {"type": "str"},
            "server": {"type": "str", "default": "WSUS"},
        },
        mutually_exclusive=[("catalogue", "catalogue_file")],
        required_one_of=[("catalogue", "catalogue_file")],
        supports_check_mode=True,
    )
    p = module.params
    source = p["catalogue"]
    if p["catalogue_file"]:
        try:
            with open(p["catalogue_file"], "rb") as handle:
                source = handle.read()
        except OSError as exc:
            module.fail_json(msg=f"カタログファイルが読めません: {exc}", problems=[str(exc)])
        try:
            source = cat.decode_text(source)
        except UnicodeDecodeError as exc:
            module.fail_json(msg=f"カタログファイルの文字コードが読めません: {exc}", problems=[str(exc)])
    result = plan(source, p["policy"], p["as_of"], p["server"])
    if "problems" in result:
        problems = result["problems"]
        module.fail_json(
            msg=f"承認を判定できません（問題 {len(problems)} 件）: " + "; ".join(problems[:20]),
            problems=problems,
        )
    module.exit_json(changed=False, diff={"prepared": result["table"]}, **result)


if __name__ == "__main__":
    main()
