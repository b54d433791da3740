#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# One phase of a personnel transfer in one process: one read of the inputs and the directory, then
# the import files, Active Directory, the department folders and the transfer systems (§6-3(7) OPS-MOVE).

DOCUMENTATION = r"""
---
module: personnel_phase
short_description: One phase of a personnel transfer (人事異動) - AD, folders, import files, transfer systems
description:
  - Does the whole work of one phase of a personnel transfer in one process. It reads the HR
    department's transfer list, the organisation masters and the directory once (three paged
    searches over one LDAPS connection), validates everything and plans every change per person,
    then works through the steps of the phase in order.
  - "I(phase=prepare): the import files for the systems without an API (when I(import_files)), then in
    AD new department OUs and groups, the transfer-system groups and new accounts (disabled, with a
    random initial password in the vault-encrypted I(password_file)), then the folders of new
    departments with their group ACLs over one SMB session."
  - "I(phase=cutover): in AD the OU moves with department and title, group swaps, enabling new and
    returning staff, disabling staff on leave and retirees (moved to the retirees OU, never deleted) and
    renamed departments; then renamed folders and abolished departments' folders archived read-only;
    then the users, approvers, group and routes of each of I(transfer_systems). Outside check mode a
    cutover also does any prepare work still missing, so that it converges on its own."
  - The steps report what the modules C(import_files), C(ad_personnel), C(share_folders) and
    C(transfer_accounts) report for the same work, and the diff is theirs, in the order of the steps.
    With I(journal) every change of every step is journalled under C(personnel_phase) as it is made
    (the target tells the directory, the share and each system apart).
  - Any problem in the inputs fails the task with every bad row and its line number, before any change.
    A step that fails stops the phase; running it again converges (every step re-plans from what it reads).
version_added: "1.1.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  phase:
    description: The phase to plan or apply.
    type: str
    choices: [prepare, cutover]
    required: true
  import_files:
    description:
      - Compare the import files with those in I(output_dir) and, outside check mode, write them when
        they differ. A check run plans them with the prepare phase only; they depend only on the
        planned state, so an apply of either phase writes the same files.
    type: bool
    default: true
  transfer_systems:
    description:
      - The transfer systems whose accounts follow the transfer in the cutover phase, one per system.
        Their users are the rows of the system's import file; every user, group and route the system
        holds that is not given is removed (C(transfer_accounts) with C(state=exact)), apart from
        I(keep_users) and I(keep_groups). Their import files are still written, as the record, and the
        checklist says they need no manual import.
      - Each system's AD groups must exist when the change is applied; a check run accepts the
        I(route_groups) the prepare phase creates.
    type: list
    elements: dict
    default: []
    suboptions:
      system:
        description: The system (route) id, C(internet_lgwan) or C(lgwan_mynumber).
        type: str
        required: true
      segments:
        description:
          - The two segments the system joins; any pair but C([internet, lgwan]) and C([lgwan, mynumber])
            is refused.
        type: list
        elements: str
        required: true
      backend:
        description: How the accounts reach the product, its account API or CSV batches through folders.
        type: str
        choices: [rest, csv]
        default: rest
      api_url:
        description: V(rest) backend - base URL of the product's account API.
        type: str
      api_key:
        description: V(rest) backend - its API key.
        type: str
      ca_path:
        description: V(rest) backend - CA certificate the API's certificate is verified against.
        type: path
      import_dir:
        description: V(csv) backend - the product's import folder.
        type: path
      export_dir:
        description: V(csv) backend - the folder the product exports its current accounts to.
        type: path
      groups:
        description: The system's groups, each C(name), C(description) and optionally C(ad_group).
        type: list
        elements: dict
        default: []
      routes:
        description:
          - The routes, each C(group), C(from), C(to) and C(approval) (V(required), the default, or V(none)).
        type: list
        elements: dict
        default: []
      default_side:
        description: The segment of the users' accounts.
        type: str
      keep_users:
        description: User ids left alone (service accounts such as the path probe's).
        type: list
        elements: str
        default: []
      keep_groups:
        description: Groups left alone, with their routes (the path probe's group).
        type: list
        elements: str
        default: []
      hosts:
        description:
          - Inventory names of the system's appliances, returned in RV(changed_hosts) when its accounts
            change.
        type: list
        elements: str
        default: []
  prepared_record:
    description:
      - A file that an applied prepare phase writes when all its steps succeeded (YAML, mode 0600),
        holding I(prepared_digest) as C(personnel_transfer_prepared); a later cutover run compares it
        with the digest of its own inputs to leave out the prepare phase that is done. Not written in
        check mode nor by a cutover.
    type: path
  prepared_digest:
    description: The digest of the inputs the prepare phase was done for, written into I(prepared_record).
    type: str
  cutover_plan_file:
    description:
      - In check mode with I(phase=prepare), also plan the cutover phase from the same read of the inputs,
        the directory and the share (as a check run with I(phase=cutover) and I(import_files=false)
        would), and write that result, or its failure, as JSON (mode 0600) to this file.
      - The module's action plugin sets it when a check run plans the prepare phase and hands the file
        to the task that plans the cutover with the same arguments, which then returns it without a
        second read. Not for direct use; ignored outside check mode and by a cutover.
    type: path
  hosts:
    description:
      - Inventory names the directory, share and file changes are attributed to (the play's AD host),
        returned in RV(changed_hosts) with the transfer systems' appliances when anything changes.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - controller_platform
  - directory_connection
  - departments_ou
  - organisation_masters
  - hr_transfer_plan
  - initial_passwords
  - department_share
  - hr_import_files
  - workplan_journal
requirements:
  - ldap3
  - smbprotocol
notes:
  - "Runs on the controller (C(delegate_to: localhost)); supports check mode and diff mode."
  - Accounts are found by C(employeeID) (the staff number); OUs and groups by the department code.
  - Initial passwords never appear in the result, the diff or a log.
  - "An action plugin of the same name (C(plugins/action/personnel_phase.py)) runs the module. In a check
    run it lets the prepare task plan the cutover too, from the same read (I(cutover_plan_file)), and the
    cutover task with the same other arguments return that plan without starting the module again: a
    check run reads the inputs, the directory and the share once. The plan of each phase is what a check
    run of that phase alone returns."
seealso:
  - module: ansible.legacy.ad_personnel
  - module: ansible.legacy.share_folders
  - module: ansible.legacy.import_files
  - module: ansible.legacy.transfer_accounts
attributes:
  check_mode:
    support: full
    details: Reads the directory, the share and the transfer systems, plans every change and changes nothing.
  diff_mode:
    support: full
    details: >-
      Per step - the import files and per person the view across systems; accounts, groups and OUs before
      and after per staff number (never a password); each folder and its ACL; each transfer-system user,
      group or route.
  action:
    support: full
    details: >-
      The action plugin of the same name runs the module; in a check run it hands the plan of the cutover
      the prepare task made to the cutover task, which then starts no module.
  async:
    support: none
  bypass_host_loop:
    support: none
"""

EXAMPLES = r"""
- name: Plan or apply the cutover of the April transfers in one process
  personnel_phase:
    phase: cutover
    hr_list: inventories/moriguchi/transfers/2027-04/hr_transfer_list.csv
    organisation: "{{ {'jichitai_departments': jichitai_departments,
                       'jichitai_org_manager_titles': jichitai_org_manager_titles,
                       'jichitai_org_retiree_ou': jichitai_org_retiree_ou} }}"
    organisation_next: "{{ lookup('ansible.builtin.file', transfer_dir ~ '/organisation.yml') | from_yaml }}"
    effective_date: "2027-04-01"
    output_dir: work/personnel/2027-04/import
    password_file: work/personnel/2027-04/initial_passwords.vault.yml
    vault_id: "hr2027@/root/.vault-pass-hr"
    ldap_url: "{{ jichitai_ldap_url }}"
    ldap_bind_dn: "{{ jichitai_ldap_bind_dn }}"
    ldap_bind_password: "{{ jichitai_ldap_bind_password }}"
    ldap_ca_file: "{{ jichitai_ldap_ca_file }}"
    ldap_base_dn: "{{ jichitai_ldap_base_dn }}"
    smb_server: "{{ jichitai_smb_server }}"
    smb_share: "{{ jichitai_smb_share }}"
    smb_username: Administrator
    smb_password: "{{ jichitai_ldap_bind_password }}"
    transfer_systems:
      - system: internet_lgwan
        segments: [internet, lgwan]
        api_url: "{{ hostvars['xfer01'].jichitai_transfer_api_url }}"
        api_key: "{{ hostvars['xfer01'].jichitai_transfer_api_key }}"
        groups: [{name: g-xfer-internet-lgwan, description: 無害化転送システム 利用者}]
        routes: [{group: g-xfer-internet-lgwan, from: internet, to: lgwan, approval: none}]
        default_side: lgwan
        hosts: [xfer01]
    hosts: [ad01]
  delegate_to: localhost
"""

RETURN = r"""
summary:
  description: Orders, people and AD changes by kind for this phase (as C(ad_personnel)).
  returned: always
  type: dict
  sample: {"orders": 400, "people": 380, "changes": 1210, "prepare_changes": 130, "cutover_changes": 1080}
people:
  description: Per person of the list, the orders, old and new department, title and status (no secrets).
  returned: always
  type: list
  elements: dict
errors:
  description: Every problem found in the inputs, each with its line number; nothing was changed.
  returned: on failure
  type: list
  elements: str
warnings_list:
  description:
    - Things the plan does but that the city may want to check (doubtful rows, vacant approvers,
      formula-like cells).
  returned: always
  type: list
  elements: str
applied:
  description: Counts of AD changes made per kind (empty in check mode).
  returned: always
  type: dict
password_file:
  description: Path of the vault-encrypted initial-password file (only when accounts were created).
  returned: when accounts are created
  type: str
files:
  description: Each import file - name, path, rows, sha256 and the system that imports it.
  returned: when I(import_files)
  type: list
  elements: dict
checklist:
  description: One line per manual import, for the work plan.
  returned: when I(import_files)
  type: list
  elements: str
output_dir:
  description: I(output_dir).
  returned: always
  type: str
folders:
  description: The folder operations of the phase (path, new_path, op, phase, reason).
  returned: always
  type: list
  elements: dict
missing_groups:
  description: Groups the folders' ACLs name that are not in AD yet (a check run before the prepare phase).
  returned: always
  type: list
  elements: str
transfer:
  description: Per transfer system, what C(transfer_accounts) returns (changes, counts, changed_hosts, batch).
  returned: always
  type: dict
changed_hosts:
  description:
    - I(hosts) when the directory, the share or the files change, and each system's appliances whose
      accounts change.
  returned: always
  type: list
  elements: str
prepared_record:
  description: I(prepared_record), when an applied prepare phase wrote it.
  returned: when written
  type: str
timings:
  description: Seconds spent reading, planning, applying and per step, and the number of LDAP writes.
  returned: always
  type: dict
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.directory.ldap import HAS_LDAP3, DirectoryError
from ansible.module_utils.directory.smb import HAS_SMBPROTOCOL
from ansible.module_utils.hr_transfer import specs, steps
from ansible.module_utils.hr_transfer.passwords import VaultFileError
from ansible.module_utils.hr_transfer.run import InputProblems, plan_from_inputs
from ansible.module_utils.transfer import accounts_step
from ansible.module_utils.transfer.accounts_step import SystemFailed
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone, Journal

# The module name the changes of every step are journalled under: the task's own, by which the report of
# a killed run finds the changes of the task that was running (targets tell the steps apart).
JOURNAL_AS = "personnel_phase"

# transfer_accounts' options that a personnel transfer always sets the same way
SYSTEM_FIXED = {
    "state": "exact",
    "allow_empty": False,
    "timeout": 15.0,
    "validate_certs": True,
    "wait_import": 60.0,
}


def argument_spec():
    system = {
        k: v for k, v in accounts_step.system_options().items() if k not in SYSTEM_FIXED and k != "users"
    }
    return {
        **specs.plan_spec(),
        **specs.INITIAL_PASSWORDS,
        **specs.DEPARTMENT_SHARE,
        **specs.HR_IMPORT_FILES,
        "phase": {"type": "str", "required": True, "choices": ["prepare", "cutover"]},
        "import_files": {"type": "bool", "default": True},
        "transfer_systems": {"type": "list", "elements": "dict", "default": [], "options": system},
        "hosts": {"type": "list", "elements": "str", "default": []},
        "prepared_record": {"type": "path"},
        "prepared_digest": {"type": "str"},
        "cutover_plan_file": {"type": "path"},
        **JOURNAL_ARGUMENT_SPEC,
    }


def system_params(module, item, users):
    """One system's parameters as transfer_accounts takes them."""
    return {**item, **SYSTEM_FIXED, "users": users, "journal": module.params.get("journal")}


def bad_arguments(problems):
    """The failure of arguments refused before the directory, the share or a system is contacted."""
    refused = "引数に誤りがあります。何も変更していません / bad arguments, nothing changed: "
    return {"msg": refused + "; ".join(problems), "errors": problems}


class PhaseFailed(Exception):
    """A failure of the cutover a check run plans beside the prepare phase (handed on, not raised)."""

    def __init__(self, fields):
        super().__init__(fields["msg"])
        self.fields = fields


class Phase:
    def __init__(self, module, phase=None, import_files=None):
        self.module = module
        self.params = module.params
        self.phase = phase or module.params["phase"]
        self.import_files = module.params["import_files"] if import_files is None else import_files
        self.check = module.check_mode
        self.diff = []
        self.out = {"changed": False, "transfer": {}, "output_dir": self.params["output_dir"]}
        self.ctx = None
        self.touched = False  # the directory, the share or the files changed
        self.steps = {}
        self.share_read = {}  # the share's state, read once for both phases of a check run
        self.handing_on = False  # a cutover planned beside the prepare phase: its failure is handed on

    def fail(self, msg, **fields):
        fields.setdefault("changed", self.out["changed"])
        if self.handing_on:
            raise PhaseFailed({"failed": True, "msg": msg, **fields})
        self.module.fail_json(msg=msg, **fields)

    def timed(self, name, started):
        self.steps[name] = round(time.monotonic() - started, 3)

    def run(self):
        params = self.params
        phase = self.phase
        # a check run's prepare task plans the cutover too (cutover_plan_file): one read for both phases
        plan_cutover = self.check and phase == "prepare" and bool(params["cutover_plan_file"])
        bad, systems, systems_bad = steps.share_argument_problems(params), [], []
        for item in params["transfer_systems"] if phase == "cutover" or plan_cutover else []:
            sysp = system_params(self.module, item, [])
            systems_bad += [f"{item['system']}: {p}" for p in accounts_step.argument_problems(sysp)]
            systems.append(item)
        if phase == "cutover":
            bad += systems_bad
        if bad:  # refused before the directory, the share or a system is contacted
            self.module.fail_json(**bad_arguments(bad))
        try:
            self.ctx = plan_from_inputs(params)
        except InputProblems as exc:
            self.module.fail_json(msg=str(exc), errors=exc.problems, changed=False)
        except DirectoryError as exc:
            self.module.fail_json(msg=f"AD を読めません。何も変更していません: {exc}", changed=False)
        try:
            self.phase_steps(phase, systems if phase == "cutover" else [])
            if plan_cutover:
                self.plan_cutover(systems, systems_bad, params["cutover_plan_file"])
        finally:
            self.ctx.directory.close()

    def plan_cutover(self, systems, systems_bad, path):
        """Plan the cutover from this run's read and write its result (or its failure, as a check run of the
        cutover alone would fail) to PATH, with the values of no_log options masked as in the module's own
        result."""
        started = time.monotonic()
        cutover = Phase(self.module, phase="cutover", import_files=False)
        cutover.ctx, cutover.share_read, cutover.handing_on = self.ctx, self.share_read, True
        try:
            if systems_bad:
                raise PhaseFailed({"failed": True, "changed": False, **bad_arguments(systems_bad)})
            cutover.phase_steps("cutover", systems)
            result = cutover.result(started)
        except PhaseFailed as exc:
            result = exc.fields
        result = remove_values(result, self.module.no_log_values)
        folder = os.path.dirname(path) or "."
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
        ) as handle:
            json.dump(result, handle, ensure_ascii=False)
        self.steps["cutover_plan"] = round(time.monotonic() - started, 3)

    def phase_steps(self, phase, systems):
        params, ctx = self.params, self.ctx
        ops = steps.ad_ops(ctx, phase, self.check)
        try:
            steps.needs_vault(params, ops, self.check)
            exports, built = steps.build_exports(params, ctx)
        except steps.StepFailed as exc:
            self.fail(exc.msg, **exc.fields)
        self.out.update(encoding=ctx.encoding, effective_date=ctx.effective_date)
        warnings = list(ctx.result.warnings)
        if self.import_files:
            started = time.monotonic()
            imports = dict(params, automated_routes=[s["system"] for s in params["transfer_systems"]])
            changed, result, diff = steps.import_step(imports, exports, built, self.check, self.module._diff)
            self.diff += diff
            warnings += [w for w in result.pop("warnings_list") if w not in warnings]
            result.pop("transfer_users")
            self.out.update(result)
            self.touched |= changed
            self.out["changed"] |= changed
            self.timed("import_files", started)

        started = time.monotonic()
        try:
            ad = steps.ad_step(self.module, ctx, phase, ops, journal_as=JOURNAL_AS)
        except (ControllerGone, DirectoryError, VaultFileError) as exc:
            failed = steps.ad_failure(ctx, exc)
            self.fail(failed.msg, **failed.fields)
        self.diff += ad.pop("diff", [])
        ad["warnings_list"] = warnings
        self.out.update(ad)
        self.touched |= bool(ops)
        self.out["changed"] |= bool(ops)
        self.timed("ad", started)

        started = time.monotonic()
        base = params["ldap_base_dn"]
        groups = {name: group["sid"] for name, group in ctx.snapshot.groups.items()}
        try:
            if ops and not self.check:  # the groups this run created, with their SIDs
                groups = steps.group_sids(ctx.directory, base)
            share, entries = steps.share_step(
                self.module,
                ctx.current,
                ctx.nxt,
                ctx.org_diff,
                groups,
                phase,
                journal_as=JOURNAL_AS,
                read=self.share_read,
            )
        except DirectoryError as exc:
            self.fail(f"グループの SID を AD から読めません: {exc}")
        except steps.StepFailed as exc:
            self.fail(exc.msg, **exc.fields)
        self.diff += entries
        self.out.update(share)
        self.touched |= bool(share["folders"])
        self.out["changed"] |= bool(share["folders"])
        self.timed("share_folders", started)

        hosts = []
        for item in systems:
            started = time.monotonic()
            sysp = system_params(self.module, item, built.transfer_users.get(item["system"], []))
            wanted = accounts_step.wanted_of(sysp)
            problems = accounts_step.input_problems(sysp, wanted)
            if problems:
                self.fail(
                    f"転送システム {item['system']} の入力に誤りがあります。"
                    f"{accounts_step.NOTHING_CHANGED}:\n" + "\n".join(problems),
                    errors=problems,
                )
            planned = list(params["route_groups"].values()) if self.check else []
            missing = accounts_step.missing_ad_groups(wanted, groups, planned)
            try:
                result = accounts_step.run(
                    sysp,
                    wanted,
                    missing,
                    self.check,
                    self.module._diff,
                    lambda: Journal.from_module(self.module, JOURNAL_AS),
                )
            except SystemFailed as exc:
                self.fail(exc.msg, **exc.fields)
            self.diff += result.pop("diff", [])
            self.out["transfer"][item["system"]] = result
            hosts += result["changed_hosts"]
            self.out["changed"] |= result["changed"]
            self.timed(f"transfer_{item['system']}", started)
        self.out["changed_hosts"] = sorted(set((list(params["hosts"]) if self.touched else []) + hosts))
        if phase == "prepare" and not self.check and params["prepared_record"]:
            self.record(params["prepared_record"], params["prepared_digest"] or "")

    def record(self, path, digest):
        """The record that the prepare of these inputs is done: bookkeeping of the run, not a change."""
        folder = os.path.dirname(path) or "."
        os.makedirs(folder, exist_ok=True)
        text = (
            "---\n# 準備フェーズの実施記録（切替の実施で準備を繰り返さないため）。"
            "削除すると次の切替の前に準備をもう一度実行します\n"
            f"personnel_transfer_prepared: {json.dumps(digest)}\n"
            f"personnel_transfer_prepared_at: {json.dumps(time.strftime('%Y-%m-%dT%H:%M:%S%z'))}\n"
        )
        tmp = os.path.join(folder, ".prepared.tmp")
        with open(
            os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
        ) as handle:
            handle.write(text)
        os.replace(tmp, path)
        self.out["prepared_record"] = path

    def result(self, started):
        # a cutover planned beside the prepare phase: the read and the planning are in the prepare's timings
        timings = {} if self.handing_on else {k: round(v, 3) for k, v in self.ctx.timings.items()}
        timings.update(self.steps)
        timings["total"] = round(time.monotonic() - started, 3)
        timings["ldap_writes"] = self.ctx.directory.writes
        self.out["timings"] = timings
        if self.module._diff:
            self.out["diff"] = self.diff
        return self.out


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    if not HAS_LDAP3 or not HAS_SMBPROTOCOL:
        module.fail_json(msg="the ldap3 and smbprotocol Python libraries are required on the controller")
    started = time.monotonic()
    phase = Phase(module)
    phase.run()
    module.exit_json(**phase.result(started))


if __name__ == "__main__":
    main()
