# The steps of a personnel transfer (§6-3(7) OPS-MOVE) as functions over one read of the inputs and
# the directory (run.plan_from_inputs): the AD change set of a phase, the department folders on the
# share, the import files. The modules ad_personnel, share_folders and import_files each run one of
# them; personnel_phase runs every step of a phase in one process. A step raises StepFailed with the
# message (and result fields) its module fails with.
from __future__ import annotations

import os
import re
import time

from ansible.module_utils.directory.smb import SID_ADMINISTRATORS, SID_SYSTEM, ShareClient, ShareError
from ansible.module_utils.hr_transfer import ad as hr_transfer_ad
from ansible.module_utils.hr_transfer import diff_text
from ansible.module_utils.hr_transfer import exports as hr_transfer_exports
from ansible.module_utils.hr_transfer import folders as hr_transfer_folders
from ansible.module_utils.hr_transfer import limits as hr_transfer_limits
from ansible.module_utils.hr_transfer import plan as hr_transfer_plan
from ansible.module_utils.hr_transfer.exports import describe_pc
from ansible.module_utils.hr_transfer.passwords import PasswordVault, generate_password
from ansible.module_utils.workplan.journal import ControllerGone, Journal

# Module options of the AD step (besides run.PLAN_ARGS)
AD_ARGS = {
    "password_file": {"type": "path", "no_log": False},
    "vault_id": {"type": "str", "no_log": False},
    "password_length": {"type": "int", "default": 16, "no_log": False},
}

# Module options of the share step (the directory options are run.PLAN_ARGS')
SHARE_ARGS = {
    "smb_server": {"type": "str", "required": True},
    "smb_share": {"type": "str", "required": True},
    "smb_username": {"type": "str", "required": True},
    "smb_password": {"type": "str", "required": True, "no_log": True},
    "smb_encrypt": {"type": "bool", "default": True},
    "admin_sids": {"type": "list", "elements": "str", "default": ["S-1-5-32-544", "S-1-5-18"]},
}

# Module options of the import-file step (besides run.PLAN_ARGS)
IMPORT_ARGS = {
    "output_dir": {"type": "path", "required": True},
    "ledger": {"type": "path"},
    "ledger_moving_kinds": {"type": "list", "elements": "str", "default": ["ノートPC", "2in1PC"]},
    "sites": {"type": "list", "elements": "dict", "default": []},
    "approver_titles": {"type": "dict"},
    "encoding": {"type": "str", "default": "cp932", "choices": ["cp932", "utf-8-sig"]},
    "automated_routes": {"type": "list", "elements": "str", "default": []},
}

ADMIN_NAMES = {SID_ADMINISTRATORS: "Administrators", SID_SYSTEM: "SYSTEM"}
SID = re.compile(r"^S-1-(?:[0-9]{1,13})(?:-[0-9]{1,10}){1,15}$")
SHARE_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f]')

SYSTEMS = {
    "skysea_organisation.csv": ("SKYSEA", "組織インポート（管理コンソール > 組織 > インポート）"),
    "skysea_users.csv": ("SKYSEA", "ユーザーインポート（所属・役職・状態）"),
    "skysea_managers.csv": ("SKYSEA", "管理者（残業上限・超過勤務）設定のインポート"),
    "workflow_routes.csv": ("SKYSEA ワークフロー", "承認経路のインポート"),
    "pc_assets.csv": ("資産台帳", "PC 資産台帳の差し替え（移動した PC の所属・設置場所）"),
    "plan_by_person.csv": ("人事課確認", "異動者別の計画一覧を人事課と照合（取込なし）"),
}
AUTOMATED = "取込不要（transfer_accounts が同じ作業で反映。ファイルは記録用）"


class StepFailed(Exception):
    """A step that cannot go on: the module fails with this message and these result fields."""

    def __init__(self, msg, **fields):
        super().__init__(msg)
        self.msg = msg
        self.fields = fields


# -- AD ---------------------------------------------------------------------------------------------


def person_record(person):
    return {
        "staff_no": person.staff_no,
        "name": person.name,
        "lines": person.lines,
        "kinds": person.kinds,
        "date": person.date,
        "old_dept": person.old_dept,
        "new_dept": person.new_dept,
        "title": person.title,
        "status": person.status,
        "concurrent": person.concurrent,
    }


def initial_passwords(params, run_command, ops, people, date):
    """Passwords for the accounts this run creates, written to the vault file before any account
    exists; passwords already in the file (an earlier, interrupted run) are kept."""
    new = [op for op in ops if op.kind == "add_user"]
    if not new:
        return {}
    vault = PasswordVault(params["password_file"], params["vault_id"], run_command)
    stored = vault.read()
    changed = False
    for op in new:
        entry = stored.get(op.staff_no)
        if not entry or not entry.get("password"):
            stored[op.staff_no] = {
                "account": op.attrs["sAMAccountName"],
                "name": people[op.staff_no].name if op.staff_no in people else "",
                "password": generate_password(params["password_length"]),
            }
            changed = True
    if changed:
        vault.write(
            stored, f"人事異動 初期パスワード（{date} 発令、§6-3(7)）。本人への交付後は破棄すること。"
        )
    return {staff_no: entry["password"] for staff_no, entry in stored.items()}


def ad_ops(ctx, phase, check_mode):
    """The AD ops a run of PHASE applies (an applying cutover also carries prepare work still missing)."""
    return ctx.result.ops_for(phase, pending_prepare=not check_mode)


def needs_vault(params, ops, check_mode):
    creates = any(op.kind == "add_user" for op in ops)
    if creates and not check_mode and not (params.get("password_file") and params.get("vault_id")):
        raise StepFailed(
            "新規アカウントの初期パスワードを渡すため password_file と vault_id が必要です。"
            "何も変更していません"
        )


def ad_step(module, ctx, phase, ops, journal_as="ad_personnel"):
    """Plan (and outside check mode apply) the AD change set OPS of PHASE. Returns the result fields;
    DirectoryError, VaultFileError and ControllerGone go to the caller (ad_failure). Changes are
    journalled under JOURNAL_AS, the module of the task (a killed run's report finds them by it)."""
    params = module.params
    result = ctx.result
    output = {
        "summary": hr_transfer_plan.summary(result, ops),
        "people": [person_record(p) for _staff_no, p in sorted(result.people.items())],
        "warnings_list": result.warnings,
        "applied": {},
    }
    if module._diff:
        output["diff"] = diff_text.entries_as_text(hr_transfer_plan.render_diff(result, phase, ops))
    if ops and not module.check_mode:
        passwords = initial_passwords(params, module.run_command, ops, result.people, ctx.effective_date)
        applied_at = time.monotonic()
        ctx.directory.journal = Journal.from_module(module, journal_as)
        output["applied"] = hr_transfer_ad.apply(ctx.directory, ops, passwords)
        ctx.timings["apply"] = time.monotonic() - applied_at
        if passwords:
            output["password_file"] = params["password_file"]
    return output


def ad_failure(ctx, exc):
    """StepFailed for an exception of ad_step (or of the read before it, when CTX is None)."""
    if isinstance(exc, ControllerGone):
        writes = ctx.directory.writes
        return StepFailed(
            f"ansible-playbook が終了したため、AD への {writes} 件目の変更の後で止めました"
            f"（変更は作業計画の記録に残っています） / stopped after {writes} changes: {exc}",
            writes_done=writes,
            changed=writes > 0,
        )
    if ctx is None:
        return StepFailed(f"AD を読めません。何も変更していません: {exc}", changed=False)
    writes = ctx.directory.writes
    return StepFailed(
        f"AD への適用が {writes} 件目の変更の後で止まりました。もう一度実行すると残りが適用されます: {exc}",
        writes_done=writes,
        changed=writes > 0,
    )


# -- department folders on the share --------------------------------------------------------------------


def sid_problem(value):
    """Why value is not a SID in its string form (S-1-5-32-544), or None."""
    text = str(value)
    if not SID.match(text) or any(int(part) > 0xFFFFFFFF for part in text.split("-")[3:]):
        return f"admin_sids: {text[:80]!r} is not a SID such as S-1-5-32-544"
    return None


def share_argument_problems(params):
    """Arguments that can never be right, found before the directory or the share is contacted.
    Folder names and group names of the masters are checked with them (org.load)."""
    problems = [p for p in (sid_problem(v) for v in params["admin_sids"]) if p]
    if not params["admin_sids"]:
        problems.append("admin_sids is empty: every folder would lose its administrators")
    share = params["smb_share"]
    if not share.strip() or len(share) > 80 or SHARE_BAD.search(share):
        problems.append(
            f'smb_share {share[:80]!r} is not a share name (1-80 characters, no \\ / : * ? " < > |)'
        )
    return problems


def group_sids(directory, base):
    """sAMAccountName -> objectSid of every group, one search over DIRECTORY (connected)."""
    return {
        attrs["sAMAccountName"][0]: attrs["objectSid"][0]
        for _dn, attrs in directory.search(base, "(objectClass=group)", ["sAMAccountName", "objectSid"])
    }


def share_step(module, current, nxt, org_diff, sids, phase, journal_as="share_folders", read=None):
    """Plan (and outside check mode apply) the folders of PHASE, journalled under JOURNAL_AS.
    READ (check mode only), a dict kept between the phases of one check run, holds the share's state
    under "state" once it is read, so the second phase plans without reading the share again.
    Returns (result fields, diff entries)."""
    params = module.params
    names = {sid: name for name, sid in sids.items()}
    share = None
    ops, missing, entries = [], [], {}
    try:
        if read is not None and "state" in read and module.check_mode:
            state = read["state"]
        else:
            share = ShareClient(
                params["smb_server"],
                params["smb_share"],
                params["smb_username"],
                params["smb_password"],
                encrypt=params["smb_encrypt"],
            )
            state = {}
            for path in hr_transfer_folders.folders_of_interest(current, nxt, org_diff):
                state[path] = share.get_dacl(path) if share.exists(path) else None
            if read is not None:
                read["state"] = state
        ops, problems = hr_transfer_folders.plan(
            current, nxt, org_diff, state, sids, tuple(params["admin_sids"])
        )
        if problems:
            raise StepFailed(
                "共有フォルダを所属マスタに合わせられません。何も変更していません:\n" + "\n".join(problems),
                errors=problems,
            )
        ops = hr_transfer_folders.ops_for(ops, phase, pending_prepare=not module.check_mode)
        missing = sorted({g for op in ops for g in op.missing_groups})
        if missing and not module.check_mode:
            raise StepFailed(
                "ACL に使うグループが AD にありません"
                "（先に AD の準備を実行してください）: " + ", ".join(missing)
            )
        admin_names = [ADMIN_NAMES.get(sid, sid) for sid in params["admin_sids"]]
        names.update(ADMIN_NAMES)
        for op in ops:
            target = op.new_path or op.path
            old = state.get(op.path)
            entry = entries.setdefault(
                target,
                {
                    "before_header": target,
                    "before": {
                        "フォルダ": op.path if old is not None else "なし",
                        "ACL": old.describe(names) if old is not None else [],
                    },
                    "after": {"フォルダ": target},
                },
            )
            entry["after"]["ACL"] = op.describe(admin_names) if op.rights else entry["before"]["ACL"]
            entry["after"]["理由"] = op.reason
        if not module.check_mode:
            journal = Journal.from_module(module, journal_as)
            for op in ops:
                journal.check_controller()
                target = f"//{params['smb_server']}/{params['smb_share']}"
                after = {"path": op.new_path or op.path, "reason": op.reason}
                try:
                    if op.kind == "create":
                        share.mkdir(op.path)
                        share.set_dacl(op.path, op.dacl)
                    elif op.kind == "rename":
                        share.rename(op.path, op.new_path)
                    else:
                        share.set_dacl(op.path, op.dacl)
                except ShareError as exc:
                    journal.write(
                        op.kind, target=target, obj=op.path, after=after, ok=False, note=str(exc)[:300]
                    )
                    raise
                journal.write(op.kind, target=target, obj=op.path, after=after)
    except ShareError as exc:
        raise StepFailed(f"共有フォルダの操作に失敗しました: {exc}") from exc
    except ControllerGone as exc:
        raise StepFailed(
            f"ansible-playbook が終了したため、共有フォルダの変更を途中で止めました / stopped: {exc}",
            changed=True,
        ) from exc
    finally:
        if share is not None:
            share.close()
    result = {
        "folders": [
            {"path": op.path, "new_path": op.new_path, "op": op.kind, "phase": op.phase, "reason": op.reason}
            for op in ops
        ],
        "missing_groups": missing,
        "smb_operations": share.ops if share else 0,
    }
    return result, diff_text.entries_as_text(entries.values())


# -- import files ----------------------------------------------------------------------------------------


def build_exports(params, ctx):
    """The import files' contents from the planned state (StepFailed on a character the encoding lacks)."""
    exports = hr_transfer_exports.Exports(
        ctx.current,
        ctx.nxt,
        ctx.org_diff,
        ctx.result.final,
        ctx.result.people,
        params["account_prefix"],
        params.get("approver_titles"),
    )
    ledger = None
    if params.get("ledger"):
        with open(params["ledger"], "rb") as handle:
            ledger = hr_transfer_limits.read_table(handle.read(), os.path.basename(params["ledger"]))
    try:
        built = hr_transfer_exports.build_files(
            exports,
            ctx.result,
            params["route_groups"],
            params["encoding"],
            ledger=ledger,
            moving_kinds=set(params["ledger_moving_kinds"]),
            site_names={s.get("id"): s.get("name", "") for s in params["sites"]},
        )
    except UnicodeEncodeError as exc:  # the input checks name every such character first
        raise StepFailed(
            f"{params['encoding']} で書けない文字があります。何も書いていません: {exc}", changed=False
        ) from exc
    return exports, built


def import_step(params, exports, built, check_mode, diff_mode):
    """Compare the import files with those in output_dir and (outside check mode) write the changed
    set. Returns (changed, result fields, diff entries)."""
    contents, route_systems, pc_changes, by_person = (
        dict(built.contents),
        built.route_systems,
        built.pc_changes,
        built.by_person,
    )
    sums = "".join(
        f"{hr_transfer_exports.sha256(data)}  {name}\n" for name, (data, _n) in sorted(contents.items())
    )
    contents["SHA256SUMS"] = (sums.encode("ascii"), len(contents))
    automated = {
        hr_transfer_exports.ROUTE_FILES[r][0]
        for r in params["automated_routes"]
        if r in hr_transfer_exports.ROUTE_FILES
    }
    out = params["output_dir"]
    files, checklist, diff = [], [], []
    changed = False
    for name, (data, count) in sorted(contents.items()):
        path = os.path.join(out, name)
        old = None
        if os.path.exists(path):
            with open(path, "rb") as handle:
                old = hr_transfer_exports.sha256(handle.read())
        digest = hr_transfer_exports.sha256(data)
        system, action = SYSTEMS.get(name) or route_systems.get(name) or ("", "")
        if name in automated:
            action = AUTOMATED
        files.append({"name": name, "path": path, "rows": count, "sha256": digest, "system": system})
        if system:
            checklist.append(f"□ {system}: {action} — {name}（{count} 行、sha256 {digest}）")
        if old != digest:
            changed = True
            diff.append(
                {
                    "before_header": f"ファイル {name}",
                    "before": {"sha256": old or "なし"},
                    "after": {"sha256": digest, "行数": count, "取込先": system},
                }
            )
    if changed and diff_mode:
        listed = hr_transfer_plan.lines(checklist)
        diff.append({"before_header": "手作業の取込（チェックリスト）", "before": "", "after": listed})
        for key, (view_before, view_after) in by_person.items():
            if view_before != view_after:
                diff.append({"before_header": f"異動者 {key}", "before": view_before, "after": view_after})
        shown = {pc.split(" ", 1)[0] for _b, a in by_person.values() for pc in a.get("PC", [])}
        rest = [(old_row, new_row) for asset, old_row, new_row in pc_changes if asset not in shown]
        if rest:  # PCs of renamed and abolished departments (the movers' PCs are under each person)
            diff.append(
                {
                    "before_header": f"PC 資産台帳（所属名の変更・廃止による {len(rest)} 台）",
                    "before": hr_transfer_plan.lines(describe_pc(old) for old, _new in rest),
                    "after": hr_transfer_plan.lines(describe_pc(new) for _old, new in rest),
                }
            )
    if changed and not check_mode:
        os.makedirs(out, exist_ok=True)
        for name, (data, _count) in contents.items():
            tmp = os.path.join(out, f".{name}.tmp")
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, os.path.join(out, name))
    result = {
        "files": files,
        "checklist": checklist,
        "output_dir": out,
        "warnings_list": sorted(set(exports.warnings)),
        "transfer_users": built.transfer_users,
    }
    if params.get("ledger"):
        result["pcs_moved"] = len(pc_changes)
    return changed, result, (diff_text.entries_as_text(diff) if diff_mode else [])
