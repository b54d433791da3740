# Personnel transfers in Active Directory (§6-3(7) OPS-MOVE): read the directory into a planning
# snapshot with three paged searches, and apply a planned change set over the same connection.
# Each run re-reads and re-plans, so a run cut short converges on the next one.
from __future__ import annotations

import time

from ansible.module_utils.directory.ldap import password_value
from ansible.module_utils.hr_transfer.plan import Account, Snapshot

USER_ATTRS = [
    "employeeID",
    "displayName",
    "msDS-PhoneticDisplayName",
    "title",
    "department",
    "userAccountControl",
    "memberOf",
    "info",
]
# groups first, then accounts into them: a new account can join a new group in the same run
KIND_ORDER = {"add_ou": 0, "add_group": 1, "add_user": 2}


def _one(attrs, name, default=""):
    values = attrs.get(name) or []
    return values[0] if values else default


def read_snapshot(directory, base_dn, kana_attribute="msDS-PhoneticDisplayName"):
    started = time.monotonic()
    ous = {}
    for dn, attrs in directory.search(base_dn, "(objectClass=organizationalUnit)", ["description"]):
        ous[dn.lower()] = {"dn": dn, "description": _one(attrs, "description")}
    groups = {}
    group_by_dn = {}
    for dn, attrs in directory.search(
        base_dn, "(objectClass=group)", ["sAMAccountName", "member", "description", "objectSid"]
    ):
        name = _one(attrs, "sAMAccountName")
        groups[name] = {
            "dn": dn,
            "members": {m.lower(): m for m in attrs.get("member") or []},
            "description": _one(attrs, "description"),
            "sid": _one(attrs, "objectSid"),
        }
        group_by_dn[dn.lower()] = name
    accounts = {}
    attributes = [a if a != "msDS-PhoneticDisplayName" else kana_attribute for a in USER_ATTRS]
    for dn, attrs in directory.search(
        base_dn, "(&(objectCategory=person)(objectClass=user)(employeeID=*))", attributes
    ):
        staff_no = _one(attrs, "employeeID")
        accounts[staff_no] = Account(
            dn=dn,
            staff_no=staff_no,
            name=_one(attrs, "displayName"),
            kana=_one(attrs, kana_attribute),
            title=_one(attrs, "title"),
            department=_one(attrs, "department"),
            uac=int(_one(attrs, "userAccountControl", "512")),
            groups={group_by_dn[g.lower()] for g in attrs.get("memberOf") or [] if g.lower() in group_by_dn},
            info=_one(attrs, "info"),
        )
    return Snapshot(accounts=accounts, groups=groups, ous=ous), time.monotonic() - started


def ordered(ops):
    """Creations (parents first), then per-person moves and modifies in plan order, then groups."""
    creations = sorted(
        (op for op in ops if op.kind in KIND_ORDER),
        key=lambda op: (KIND_ORDER[op.kind], op.dn.count(","), op.dn),
    )
    changes = [op for op in ops if op.kind in ("move", "modify")]
    return creations, changes, member_batches(ops)


def member_batches(ops):
    """One modify per group: {group DN: (adds, deletes)}, each member once."""
    batches = {}
    for op in ops:
        if op.kind not in ("member_add", "member_delete"):
            continue
        adds, deletes = batches.setdefault(op.group_dn, ({}, {}))
        target = adds if op.kind == "member_add" else deletes
        target[op.dn.lower()] = op.dn
    return {dn: (list(a.values()), list(d.values())) for dn, (a, d) in sorted(batches.items())}


def apply(directory, ops, passwords, progress=None):
    """Apply OPS in a safe order; PASSWORDS maps 職員番号 to the initial password of new accounts.
    Returns counts per kind. Raises DirectoryError / ConnectionLost at the first failure."""
    counts = {}

    def done(kind, n=1):
        counts[kind] = counts.get(kind, 0) + n
        if progress:
            progress(kind, counts)

    creations, changes, batches = ordered(ops)
    for op in creations:
        attrs = dict(op.attrs)
        if op.kind == "add_user":
            attrs["unicodePwd"] = password_value(passwords[op.staff_no])
        directory.add(op.dn, attrs)
        done(op.kind)
    for op in changes:
        if op.kind == "move":
            directory.move(op.dn, op.new_parent)
        else:
            directory.modify(op.dn, op.attrs)
        done(op.kind)
    for group_dn, (adds, deletes) in batches.items():
        directory.members(group_dn, add=adds, delete=deletes)
        done("group", 1)
        counts["member_changes"] = counts.get("member_changes", 0) + len(adds) + len(deletes)
    return counts
