# Department folders on the file share (§6-3(7) OPS-MOVE): rights follow the department groups,
# so staff moves need no ACL edits; a reorganisation creates, renames or archives (read-only)
# folders. Pure planning from the organisation masters and the folders' current state.
from __future__ import annotations

from dataclasses import dataclass, field

from ansible.module_utils.directory.smb import RIGHTS, SID_ADMINISTRATORS, SID_SYSTEM, Ace, Dacl

PREPARE = "prepare"
CUTOVER = "cutover"


@dataclass
class FolderOp:
    phase: str
    kind: str  # create, rename, set_acl
    path: str
    new_path: str = ""
    dacl: object = None
    missing_groups: list = field(default_factory=list)
    reason: str = ""
    rights: list = field(default_factory=list)

    def describe(self, admin_names):
        """The ACL as the plan shows it: by group name, the same before and after the groups exist."""
        return sorted(
            [f"allow {name} full" for name in admin_names] + [f"allow {g} {r}" for g, r in self.rights]
        )


def wanted_dacl(group_rights, sids, admin_sids):
    """(Dacl, missing group names) for [(group, right)]; unknown groups are left out and reported."""
    aces = [Ace(sid, RIGHTS["full"]) for sid in admin_sids]
    missing = []
    for group, right in group_rights:
        if group in sids:
            aces.append(Ace(sids[group], RIGHTS[right]))
        else:
            missing.append(group)
    return Dacl(tuple(aces)), missing


def department_rights(dept):
    return [(dept.groups[role], right) for role, right in dept.folder_rights.items()]


def archive_rights(dept, successor):
    """Read-only for the department's own groups and for its successor's."""
    rights = [(group, "read") for group in dept.groups.values()]
    if successor is not None:
        rights += [(group, "read") for group in successor.groups.values()]
    return rights


def folders_of_interest(current, nxt, org_diff):
    paths = {d.share_folder for d in nxt.departments.values()}
    paths |= {old.share_folder for old, _new in org_diff.renamed}
    paths |= {d.share_folder for d, _s in org_diff.abolished}
    return sorted(paths)


def plan(current, nxt, org_diff, state, sids, admin_sids=(SID_ADMINISTRATORS, SID_SYSTEM)):
    """state: {path: Dacl or None when the folder is missing}. Returns ([FolderOp], [problems])."""
    ops, problems = [], []
    created = {d.code for d in org_diff.created}
    renamed = {new.code: old for old, new in org_diff.renamed if old.share_folder != new.share_folder}
    for code, dept in sorted(nxt.departments.items()):
        phase = PREPARE if code in created else CUTOVER
        rights = department_rights(dept)
        dacl, missing = wanted_dacl(rights, sids, admin_sids)
        path = dept.share_folder
        exists = state.get(path) is not None
        if code in renamed:
            old_path = renamed[code].share_folder
            old_exists = state.get(old_path) is not None
            if old_exists and exists:
                problems.append(
                    f"{dept.code}: 旧フォルダ {old_path} と新フォルダ {path} が両方あります"
                    "（手で統合してください）"
                )
                continue
            if old_exists:
                ops.append(
                    FolderOp(CUTOVER, "rename", old_path, new_path=path, reason=f"{dept.summary()} 名称変更")
                )
                current_dacl = state.get(old_path)
                if not current_dacl.same_as(dacl) or missing:
                    ops.append(
                        FolderOp(
                            CUTOVER,
                            "set_acl",
                            path,
                            dacl=dacl,
                            missing_groups=missing,
                            reason="所属マスタの権限",
                            rights=rights,
                        )
                    )
                continue
        if not exists:
            ops.append(
                FolderOp(
                    phase,
                    "create",
                    path,
                    dacl=dacl,
                    missing_groups=missing,
                    rights=rights,
                    reason=f"{dept.summary()} {'新設' if code in created else 'フォルダなし'}",
                )
            )
        elif not state[path].same_as(dacl) or missing:
            ops.append(
                FolderOp(
                    phase,
                    "set_acl",
                    path,
                    dacl=dacl,
                    missing_groups=missing,
                    rights=rights,
                    reason="所属マスタの権限",
                )
            )
    for dept, successor in org_diff.abolished:
        path = dept.share_folder
        if state.get(path) is None:
            continue
        rights = archive_rights(dept, successor)
        dacl, missing = wanted_dacl(rights, sids, admin_sids)
        if not state[path].same_as(dacl) or missing:
            succ = f"、後継 {successor.summary()} は閲覧のみ" if successor else ""
            ops.append(
                FolderOp(
                    CUTOVER,
                    "set_acl",
                    path,
                    dacl=dacl,
                    missing_groups=missing,
                    rights=rights,
                    reason=f"{dept.summary()} 廃止: 読み取り専用で保存{succ}",
                )
            )
    return ops, problems


def ops_for(ops, phase, pending_prepare=True):
    if phase == PREPARE:
        return [op for op in ops if op.phase == PREPARE]
    return list(ops) if pending_prepare else [op for op in ops if op.phase == CUTOVER]
