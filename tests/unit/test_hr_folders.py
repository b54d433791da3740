"""Department folders planned from the organisation masters (hr_transfer_folders.py) and the security
descriptor packing of smb_acl.py. No server needed; tests/integration/test_personnel_transfer.py
proves the same against the lab's share."""

from __future__ import annotations

from ansible.module_utils.directory import smb as smb_acl
from ansible.module_utils.hr_transfer import folders as hf  # noqa: E402
from test_hr_plan import orgs  # noqa: E402


def sids_for(*orgs_):
    out = {}
    n = 1100
    for org in orgs_:
        for dept in org.departments.values():
            for group in dept.groups.values():
                if group not in out:
                    n += 1
                    out[group] = f"S-1-5-21-1-2-3-{n}"
    return out


def state_as_seeded(current, sids):
    return {
        d.share_folder: hf.wanted_dacl(
            hf.department_rights(d), sids, (smb_acl.SID_ADMINISTRATORS, smb_acl.SID_SYSTEM)
        )[0]
        for d in current.departments.values()
    }


def test_reorganisation_creates_renames_and_archives():
    current, nxt, diff = orgs()
    sids = sids_for(current)  # the new departments' groups do not exist yet
    ops, problems = hf.plan(current, nxt, diff, state_as_seeded(current, sids), sids)
    assert problems == []
    got = {(op.phase, op.kind, op.path, op.new_path) for op in ops}
    assert got == {
        ("prepare", "create", "こども部/こども家庭センター", ""),
        ("prepare", "create", "水道局/水道課", ""),
        ("cutover", "rename", "企画財政部/デジタル戦略課", "企画財政部/DX推進課"),
        ("cutover", "set_acl", "水道局/水道総務課", ""),
        ("cutover", "set_acl", "水道局/水道工務課", ""),
    }
    create = next(op for op in ops if op.path == "水道局/水道課")
    assert create.missing_groups == ["g-190300-staff", "g-190300-managers"]
    # the plan names groups, not SIDs, so it reads the same before and after the groups exist
    assert create.describe(["Administrators", "SYSTEM"]) == [
        "allow Administrators full",
        "allow SYSTEM full",
        "allow g-190300-managers full",
        "allow g-190300-staff modify",
    ]
    archive = next(op for op in ops if op.path == "水道局/水道総務課")
    assert sorted(archive.rights) == sorted(
        [
            ("g-190100-staff", "read"),
            ("g-190100-managers", "read"),
            ("g-190300-staff", "read"),
            ("g-190300-managers", "read"),
        ]
    )
    assert [op.kind for op in hf.ops_for(ops, "prepare")] == ["create", "create"]
    assert len(hf.ops_for(ops, "cutover", pending_prepare=False)) == 3


def test_converged_share_needs_nothing_and_drift_is_corrected():
    current, _nxt, _diff = orgs(None)
    diff = orgs(None)[2]
    sids = sids_for(current)
    state = state_as_seeded(current, sids)
    assert hf.plan(current, current, diff, state, sids) == ([], [])
    state["総務部/人事課"] = smb_acl.folder_dacl([(sids["g-120200-staff"], "full")])
    ops, _ = hf.plan(current, current, diff, state, sids)
    assert [(op.kind, op.path) for op in ops] == [("set_acl", "総務部/人事課")]
    state["総務部/人事課"] = None
    ops, _ = hf.plan(current, current, diff, state, sids)
    assert [(op.kind, op.path, op.reason) for op in ops] == [
        ("create", "総務部/人事課", "120200 人事課 フォルダなし")
    ]


def test_a_rename_that_finds_both_folders_stops():
    current, nxt, diff = orgs()
    sids = sids_for(current, nxt)
    state = state_as_seeded(current, sids)
    state["企画財政部/DX推進課"] = state["企画財政部/デジタル戦略課"]
    _ops, problems = hf.plan(current, nxt, diff, state, sids)
    assert problems == [
        "130300: 旧フォルダ 企画財政部/デジタル戦略課 と新フォルダ 企画財政部/DX推進課 が両方あります"
        "（手で統合してください）"
    ]


def test_security_descriptor_round_trip():
    dacl = smb_acl.Dacl(
        (
            smb_acl.Ace(smb_acl.SID_ADMINISTRATORS, smb_acl.RIGHTS["full"]),
            smb_acl.Ace("S-1-5-21-3136906453-3692384034-2622737221-1109", smb_acl.RIGHTS["modify"]),
            smb_acl.Ace("S-1-5-21-1-2-3-4", smb_acl.RIGHTS["read"], flags=0, type=smb_acl.ACE_DENIED),
        )
    )
    data = smb_acl.pack_sd(dacl)
    assert smb_acl.unpack_sd(data) == dacl
    reordered = smb_acl.Dacl(tuple(reversed(dacl.aces)))
    assert reordered.same_as(dacl) and not smb_acl.Dacl(dacl.aces, protected=False).same_as(dacl)
    inherited = smb_acl.Dacl(dacl.aces + (smb_acl.Ace("S-1-1-0", 1, flags=smb_acl.INHERITED),))
    assert inherited.same_as(dacl)  # inherited entries are the parent's business
    assert smb_acl.sid_from_bytes(smb_acl.sid_to_bytes("S-1-5-32-544")) == "S-1-5-32-544"
