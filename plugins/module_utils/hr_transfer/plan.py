# Change planning for personnel transfers (§6-3(7) OPS-MOVE): from the orders, the organisation
# masters and a snapshot of the directory, every problem (with its line number) or the change
# set, per person and per phase (prepare before the effective date, cutover on it).
# Pure functions: the directory is read and written elsewhere (ldap_directory, ad_personnel).
from __future__ import annotations

from dataclasses import dataclass, field

from ansible.module_utils.hr_transfer import checks as hr_transfer_checks
from ansible.module_utils.hr_transfer.transfer_list import (
    CONCURRENT,
    HIRE,
    KINDS,
    LEAVE,
    NEW_ACCOUNT_KINDS,
    PROMOTION,
    REASSIGN,
    RETIRE,
    RETURN,
    TRANSFER_IN,
    Issue,
)

PREPARE = "prepare"
CUTOVER = "cutover"
UAC_DISABLED = 0x2
UAC_NORMAL = 0x200
GLOBAL_SECURITY_GROUP = -2147483646
MARKER = "OPS-MOVE"
# kinds that name the person's (new) primary department
PRIMARY_KINDS = (HIRE, TRANSFER_IN, REASSIGN, PROMOTION, RETURN)
NEEDS_NEW_DEPT = (HIRE, TRANSFER_IN, REASSIGN, CONCURRENT)
OLD_DEPT_IS_EXTERNAL = (HIRE, TRANSFER_IN)


@dataclass
class Account:
    """A staff account as read from the directory (employeeID = 職員番号)."""

    dn: str
    staff_no: str
    name: str = ""
    kana: str = ""
    title: str = ""
    department: str = ""
    uac: int = UAC_NORMAL
    groups: set = field(default_factory=set)  # names of the organisation's groups only
    info: str = ""

    @property
    def enabled(self):
        return not self.uac & UAC_DISABLED

    @property
    def parent(self):
        return self.dn.split(",", 1)[1]

    @property
    def rdn(self):
        return self.dn.split(",", 1)[0]


@dataclass
class Snapshot:
    accounts: dict  # staff_no -> Account
    groups: dict  # name -> {"dn", "members": {lower-case DN: DN}, "description"}
    ous: dict  # lower-case DN -> {"dn", "description"}


@dataclass
class Op:
    phase: str
    kind: str  # add_ou, add_group, add_user, move, modify, member_add, member_delete
    dn: str
    staff_no: str = ""
    attrs: dict = field(default_factory=dict)
    new_parent: str = ""
    group: str = ""
    group_dn: str = ""
    before: dict = field(default_factory=dict)

    def as_dict(self):
        out = {"phase": self.phase, "op": self.kind, "dn": self.dn}
        for key in ("staff_no", "attrs", "new_parent", "group", "group_dn", "before"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


@dataclass
class PersonPlan:
    staff_no: str
    name: str
    lines: list
    kinds: list
    date: str
    before: dict
    after: dict
    prepared: dict
    old_dept: str = ""
    new_dept: str = ""
    title: str = ""
    kana: str = ""
    enabled_after: bool = True
    new_account: bool = False
    status: str = "在職"
    concurrent: list = field(default_factory=list)


@dataclass
class Plan:
    people: dict  # staff_no -> PersonPlan
    ops: list
    issues: list
    warnings: list
    final: dict  # staff_no -> final state for downstream systems (SKYSEA, workflow, ...)
    before: dict = field(default_factory=dict)  # staff_no -> the same record as the directory has it now

    def ops_for(self, phase, pending_prepare=True):
        """Ops a run in this phase applies. An applying cutover also carries what prepare has not
        done yet (so it converges on its own); a plan lists those under prepare only."""
        if phase == PREPARE:
            return [op for op in self.ops if op.phase == PREPARE]
        if pending_prepare:
            return list(self.ops)
        return [op for op in self.ops if op.phase == CUTOVER]


@dataclass
class Intent:
    """What one person's orders ask for, merged over all of that person's rows."""

    orders: list
    dept: object = None
    title: str = ""
    status: str = ""  # "", "leave", "return", "retire", "new"
    concurrent: list = field(default_factory=list)  # (Department, title, order)


def marker(order):
    return f"{MARKER} {order.date} {order.kind}"


def _same_name(a, b):
    return hr_transfer_checks.same_name(a, b)


def _dept_label(dept):
    return f"{dept.code} {dept.name}" if dept else ""


class Planner:
    def __init__(self, orders, current, nxt, snapshot, org_diff, options):
        self.orders = orders
        self.current = current
        self.nxt = nxt
        self.snap = snapshot
        self.diff = org_diff
        self.opt = options
        self.issues = []
        self.warnings = []
        self.ops = []
        self.people = {}
        self.final = {}
        self.before = {}
        self.bad_lines = set()
        self.name_index = None
        self.ou_to_code = {}
        for org in (current, nxt):
            for dept in org.departments.values():
                self.ou_to_code.setdefault(dept.ou.lower(), dept.code)
        self.abolished = {d.code: succ for d, succ in org_diff.abolished}
        self.managed_groups = current.group_names() | nxt.group_names()

    # ---- entry point -------------------------------------------------------------------------
    def run(self, parse_issues):
        self.issues.extend(parse_issues)
        self.bad_lines = {i.line for i in parse_issues}
        intents = self._intents()
        self._check_directory(intents)
        self._check_inputs()
        if self.issues:
            return self._result()
        self._plan_org()
        self._plan_people(intents)
        self._check_abolished_emptied()
        return self._result()

    def _result(self):
        issues = sorted(set(self.issues), key=lambda i: (i.line, i.staff_no, i.message))
        return Plan(
            people=self.people,
            ops=self.ops,
            issues=issues,
            warnings=self.warnings,
            final=self.final,
            before=self.before,
        )

    def _err(self, order, message):
        self.issues.append(Issue(order.line if order else 0, message, order.staff_no if order else ""))

    # ---- the list's rows against the directory and the transfer (checks.py) ---------------------
    def _check_inputs(self):
        rows = hr_transfer_checks.usable(self.orders, self.bad_lines)
        accounts = self.snap.accounts
        self.issues.extend(hr_transfer_checks.identity(rows, accounts))
        self.issues.extend(
            hr_transfer_checks.dates(rows, self.opt.get("effective_date"), self.opt.get("effective_dates"))
        )
        issues, warnings = hr_transfer_checks.doubtful(rows, self.current, self.nxt, accounts, self._dept_of)
        self.issues.extend(issues)
        self.warnings.extend(w.render() for w in sorted(warnings, key=lambda i: (i.line, i.message)))

    # ---- orders -> intents -------------------------------------------------------------------
    def _intents(self):
        by_person = {}
        for order in self.orders:
            if order.line in self.bad_lines or order.kind not in KINDS:
                continue
            self._check_refs(order)
            by_person.setdefault(order.staff_no, []).append(order)
        intents = {}
        for staff_no, rows in by_person.items():
            intent = self._merge(staff_no, rows)
            if intent is not None:
                intents[staff_no] = intent
        return intents

    def _check_refs(self, order):
        if order.kind in NEEDS_NEW_DEPT and not order.new_dept:
            self._err(order, f"{order.kind}には新所属が必要です")
        if order.new_dept:
            dept = self.nxt.resolve(order.new_dept)
            if dept is None:
                old = self.current.resolve(order.new_dept)
                if old is not None and old.code in self.abolished:
                    self._err(order, f"新所属 {order.new_dept} は機構改革で廃止される所属です")
                elif self.nxt is self.current:
                    self._err(
                        order,
                        f"新所属 {order.new_dept} は所属マスタにありません"
                        "（機構改革で新設される所属なら、新しい所属マスタを指定してください）",
                    )
                else:
                    self._err(
                        order, f"新所属 {order.new_dept} は新しい所属マスタ（{self.nxt.label}）にありません"
                    )
        if (
            order.old_dept
            and order.kind not in OLD_DEPT_IS_EXTERNAL
            and self.current.resolve(order.old_dept) is None
        ):
            self._err(order, f"旧所属 {order.old_dept} は現行の所属マスタにありません")
        if order.kind == REASSIGN and not order.old_dept:
            self._err(order, "配置換には旧所属が必要です")

    def _merge(self, staff_no, rows):
        first = rows[0]
        ok = True
        for other in rows[1:]:
            if not _same_name(first.name, other.name):
                for row in (first, other):
                    peer = other if row is first else first
                    self._err(
                        row,
                        f"職員番号 {staff_no} が別の氏名でも使われています（{peer.line}行目 {peer.name}）",
                    )
                ok = False
        kinds = [r.kind for r in rows]
        for kind in set(kinds) - {CONCURRENT}:
            same = [r for r in rows if r.kind == kind]
            if len(same) > 1:
                for row in same:
                    others = "、".join(f"{r.line}行目" for r in same if r is not row)
                    self._err(row, f"同じ職員への{kind}が重複しています（{others}）")
                ok = False
        conflict = None
        kindset = set(kinds)
        if RETIRE in kindset and len(kindset) > 1:
            conflict = "退職と他の発令が同時にあります"
        elif kindset & set(NEW_ACCOUNT_KINDS) and kindset & {REASSIGN, PROMOTION, LEAVE, RETURN}:
            conflict = "採用・転入と在職者向けの発令が同時にあります"
        elif {LEAVE, RETURN} <= kindset:
            conflict = "休職と復職が同時にあります"
        elif HIRE in kindset and TRANSFER_IN in kindset:
            conflict = "採用と転入が同時にあります"
        intent = Intent(orders=rows)
        if conflict is None:
            targets = {}
            titles = {}
            for r in rows:
                if r.kind in PRIMARY_KINDS and r.new_dept:
                    dept = self.nxt.resolve(r.new_dept)
                    if dept is not None:
                        targets[r.line] = dept
                if r.kind in PRIMARY_KINDS and r.new_title:
                    titles[r.line] = r.new_title
            if len({d.code for d in targets.values()}) > 1:
                conflict = (
                    "新所属が行ごとに違います（"
                    + "、".join(f"{line}行目 {d.code}" for line, d in sorted(targets.items()))
                    + "）"
                )
            elif len(set(titles.values())) > 1:
                conflict = (
                    "新職名が行ごとに違います（"
                    + "、".join(f"{line}行目 {t}" for line, t in sorted(titles.items()))
                    + "）"
                )
            else:
                intent.dept = next(iter(targets.values()), None)
                intent.title = next(iter(titles.values()), "")
        if conflict is not None:
            for row in rows:
                self._err(
                    row,
                    f"同じ職員の発令が矛盾しています: {conflict}"
                    f"（{'、'.join(f'{r.line}行目 {r.kind}' for r in rows)}）",
                )
            return None
        if not ok:
            return None
        if RETIRE in kindset:
            intent.status = "retire"
        elif LEAVE in kindset:
            intent.status = "leave"
        elif RETURN in kindset:
            intent.status = "return"
        elif kindset & set(NEW_ACCOUNT_KINDS):
            intent.status = "new"
        for r in rows:
            if r.kind == CONCURRENT:
                dept = self.nxt.resolve(r.new_dept)
                if dept is None:
                    continue
                if intent.dept is not None and dept.code == intent.dept.code:
                    self._err(r, f"兼務先 {dept.code} が本務の新所属と同じです")
                    return None
                intent.concurrent.append((dept, r.new_title, r))
        return intent

    # ---- orders against the directory ----------------------------------------------------------
    def _dept_of(self, account):
        return self.ou_to_code.get(account.parent.lower())

    def _in_retirees(self, account):
        return account.parent.lower() == self.nxt.retiree_ou.lower()

    def _check_directory(self, intents):
        for staff_no, intent in intents.items():
            account = self.snap.accounts.get(staff_no)
            for order in intent.orders:
                if order.kind in NEW_ACCOUNT_KINDS:
                    if account is not None and account.info != marker(order):
                        self._err(
                            order, f"{order.kind}の職員は既に AD にアカウントがあります（{account.dn}）"
                        )
                    continue
                if account is None:
                    if order.kind != CONCURRENT or intent.status != "new":
                        hint = hr_transfer_checks.known_as(order.name, self._names())
                        self._err(order, f"AD にアカウントがありません（{order.kind}）{hint}")
                    continue
                if self._in_retirees(account) and order.kind != RETIRE:
                    self._err(order, f"既に退職者 OU にいます（{order.kind}はできません）")
                    continue
                if order.old_dept and order.kind not in OLD_DEPT_IS_EXTERNAL:
                    self._check_old_dept(order, intent, account)

    def _names(self):
        if self.name_index is None:
            self.name_index = hr_transfer_checks.name_index(self.snap.accounts)
        return self.name_index

    def _check_old_dept(self, order, intent, account):
        old = self.current.resolve(order.old_dept)
        if old is None:
            return
        where = self._dept_of(account)
        done = intent.dept is not None and where == intent.dept.code
        retired = order.kind == RETIRE and self._in_retirees(account)
        concurrent_done = order.kind == CONCURRENT and where == old.code
        if where != old.code and not (done or retired or concurrent_done):
            actual = _dept_label(self.current.departments.get(where) or self.nxt.departments.get(where))
            self._err(
                order, f"旧所属 {old.code} {old.name} が AD の所属（{actual or account.parent}）と違います"
            )

    # ---- organisation (OUs, groups, route groups) ---------------------------------------------
    def _plan_org(self):
        for dept in self.diff.created:
            if dept.ou.lower() not in self.snap.ous:
                self.ops.append(
                    Op(
                        PREPARE,
                        "add_ou",
                        dept.ou,
                        attrs={"objectClass": ["organizationalUnit"], "description": dept.name},
                    )
                )
            for role, group in dept.groups.items():
                if group not in self.snap.groups:
                    self.ops.append(
                        Op(
                            PREPARE,
                            "add_group",
                            f"CN={group},{dept.ou}",
                            group=group,
                            attrs=self._group_attrs(dept, role, group),
                        )
                    )
        for _old, new in self.diff.renamed:
            ou = self.snap.ous.get(new.ou.lower())
            if ou is not None and ou.get("description") != new.name:
                self.ops.append(
                    Op(
                        CUTOVER,
                        "modify",
                        ou["dn"],
                        attrs={"description": new.name},
                        before={"description": ou.get("description")},
                    )
                )
            for role, group in new.groups.items():
                info = self.snap.groups.get(group)
                want = self._group_attrs(new, role, group)["description"]
                if info is not None and info.get("description") != want:
                    self.ops.append(
                        Op(
                            CUTOVER,
                            "modify",
                            info["dn"],
                            group=group,
                            attrs={"description": want},
                            before={"description": info.get("description")},
                        )
                    )
        for dept, succ in self.diff.abolished:
            ou = self.snap.ous.get(dept.ou.lower())
            heir = f"、後継 {succ.summary()}" if succ else ""
            note = f"廃止（{self.opt['effective_date']} 機構改革{heir}）: {dept.name}"
            if ou is not None and ou.get("description") != note:
                self.ops.append(
                    Op(
                        CUTOVER,
                        "modify",
                        ou["dn"],
                        attrs={"description": note},
                        before={"description": ou.get("description")},
                    )
                )
        self._plan_route_groups()

    def _group_attrs(self, dept, role, group):
        label = "職員" if role == "staff" else "管理職"
        return {
            "objectClass": ["group"],
            "sAMAccountName": group,
            "groupType": GLOBAL_SECURITY_GROUP,
            "description": f"{dept.name} {label}",
        }

    def _plan_route_groups(self):
        for route, group in sorted(self.opt["route_groups"].items()):
            info = self.snap.groups.get(group)
            dn = info["dn"] if info else f"CN={group},{self.opt['route_groups_ou']}"
            if info is None:
                self.ops.append(
                    Op(
                        PREPARE,
                        "add_group",
                        dn,
                        group=group,
                        attrs={
                            "objectClass": ["group"],
                            "sAMAccountName": group,
                            "groupType": GLOBAL_SECURITY_GROUP,
                            "description": f"転送システム利用権限 {route}",
                        },
                    )
                )
            current = info["members"] if info else {}
            want = {}
            for dept in self.nxt.departments.values():
                if route in dept.transfer_routes:
                    want[self._group_dn(dept.groups["staff"], dept).lower()] = self._group_dn(
                        dept.groups["staff"], dept
                    )
            for key, member in sorted(want.items()):
                if key not in current:
                    self.ops.append(Op(CUTOVER, "member_add", member, group=group, group_dn=dn))
            managed = {
                self.snap.groups[g]["dn"].lower() for g in self.managed_groups if g in self.snap.groups
            }
            for key, member in sorted(current.items()):
                if key in managed and key not in want:
                    self.ops.append(Op(CUTOVER, "member_delete", member, group=group, group_dn=dn))

    def _group_dn(self, group, dept):
        info = self.snap.groups.get(group)
        if info:
            return info["dn"]
        return f"CN={group},{dept.ou}" if dept else f"CN={group}"

    # ---- people -----------------------------------------------------------------------------
    def _plan_people(self, intents):
        renamed = {new.code: new for _old, new in self.diff.renamed}
        for staff_no, account in sorted(self.snap.accounts.items()):
            if staff_no in intents or self._in_retirees(account):
                continue
            code = self._dept_of(account)
            if code in renamed and account.department != renamed[code].name:
                self.ops.append(
                    Op(
                        CUTOVER,
                        "modify",
                        account.dn,
                        staff_no=staff_no,
                        attrs={"department": renamed[code].name},
                        before={"department": account.department},
                    )
                )
        for staff_no, intent in sorted(intents.items()):
            self._plan_person(staff_no, intent, self.snap.accounts.get(staff_no))
        for staff_no, account in self.snap.accounts.items():
            if self._in_retirees(account):
                continue
            code = self._dept_of(account)
            self.before[staff_no] = self._final_record(
                staff_no,
                account.name,
                account.kana,
                None,
                account.title,
                account.enabled,
                sorted(account.groups),
                [],
                account.dn,
                status="在職" if account.enabled else "休職",
            )
            self.before[staff_no]["dept"] = code or ""
            if staff_no not in self.final and staff_no not in intents:
                dept = self.nxt.departments.get(code)
                if dept is not None:
                    self.final[staff_no] = self._final_record(
                        staff_no,
                        account.name,
                        account.kana,
                        dept,
                        account.title,
                        account.enabled,
                        sorted(account.groups),
                        self._concurrent_codes(account, dept),
                        account.dn,
                        status="在職" if account.enabled else "休職",
                    )

    def _concurrent_codes(self, account, primary):
        codes = []
        for dept in self.nxt.departments.values():
            if dept.code != primary.code and dept.groups["staff"] in account.groups:
                codes.append(dept.code)
        return codes

    def _final_record(
        self, staff_no, name, kana, dept, title, enabled, groups, concurrent, dn, status="在職"
    ):
        return {
            "staff_no": staff_no,
            "name": name,
            "kana": kana,
            "dept": dept.code if dept else "",
            "title": title,
            "enabled": enabled,
            "status": status,
            "groups": groups,
            "concurrent": concurrent,
            "dn": dn,
        }

    def _plan_person(self, staff_no, intent, account):
        first = intent.orders[0]
        name = next((o.name for o in intent.orders if o.name), "")
        kana = next((o.kana for o in intent.orders if o.kana), account.kana if account else "")
        date = max(o.date for o in intent.orders)
        mgr = self.nxt.is_manager
        if account is None:
            dept = intent.dept
            title = intent.title
            dn = f"CN={self.opt['account_prefix']}{staff_no},{dept.ou}"
            before = {}
            cur_groups = set()
            cur_enabled = False
            old_code = ""
        else:
            old_code = self._dept_of(account)
            dept = intent.dept or self.nxt.departments.get(old_code)
            title = intent.title or account.title
            dn = account.dn
            cur_groups = set(account.groups)
            cur_enabled = account.enabled
            before = self._view(account.dn, old_code, account.title, account.enabled, account.groups)
        retire = intent.status == "retire"
        if dept is None and not retire:
            self._err(first, f"本務の所属が決まりません（AD 上の所属 {account.parent if account else '-'}）")
            return
        target_parent = self.nxt.retiree_ou if retire else dept.ou
        # groups
        want = set()
        if not retire:
            want.add(dept.groups["staff"])
            if mgr(title):
                want.add(dept.groups["managers"])
            # the primary post being left: as AD has it, and as the orders name it (a re-run after an
            # interrupted apply finds the account already moved but still in the old groups)
            leaving = {old_code} | {
                self.current.resolve(o.old_dept).code
                for o in intent.orders
                if o.old_dept
                and o.kind not in OLD_DEPT_IS_EXTERNAL + (CONCURRENT,)
                and self.current.resolve(o.old_dept)
            }
            for g in cur_groups:
                holder = self._dept_of_group(g)
                if holder is None or holder.code in leaving or holder.code == dept.code:
                    continue
                if holder.code in self.abolished:
                    self.warnings.append(
                        f"職員番号 {staff_no}: 廃止される所属 {holder.code} の兼務グループ {g} から外します"
                    )
                    continue
                want.add(g)
            for cdept, ctitle, _row in intent.concurrent:
                want.add(cdept.groups["staff"])
                if mgr(ctitle):
                    want.add(cdept.groups["managers"])
        if intent.status in ("leave", "retire"):
            enabled = False
        elif intent.status in ("return", "new"):
            enabled = True
        else:
            enabled = cur_enabled
        new_dn = f"{dn.split(',', 1)[0]},{target_parent}"
        person_ops = []
        if account is None:
            person_ops.append(
                Op(
                    PREPARE,
                    "add_user",
                    new_dn,
                    staff_no=staff_no,
                    attrs=self._new_user_attrs(staff_no, name, kana, dept, title, first),
                )
            )
            for g in sorted(want):
                person_ops.append(
                    Op(
                        PREPARE,
                        "member_add",
                        new_dn,
                        staff_no=staff_no,
                        group=g,
                        group_dn=self._member_group_dn(g),
                    )
                )
            if enabled:
                person_ops.append(
                    Op(CUTOVER, "modify", new_dn, staff_no=staff_no, attrs={"userAccountControl": UAC_NORMAL})
                )
        else:
            changes = {}
            # an account this transfer created in an earlier run finishes its preparation first
            group_phase = PREPARE if intent.status == "new" else CUTOVER
            if retire and account.enabled:
                person_ops.append(
                    Op(
                        CUTOVER,
                        "modify",
                        dn,
                        staff_no=staff_no,
                        attrs={"userAccountControl": account.uac | UAC_DISABLED},
                    )
                )
            if account.parent.lower() != target_parent.lower():
                person_ops.append(Op(CUTOVER, "move", dn, staff_no=staff_no, new_parent=target_parent))
            if not retire:
                if account.department != dept.name:
                    changes["department"] = dept.name
                if title != account.title:
                    changes["title"] = title
                if enabled != account.enabled:
                    changes["userAccountControl"] = (
                        (account.uac & ~UAC_DISABLED) if enabled else (account.uac | UAC_DISABLED)
                    )
            if changes:
                person_ops.append(Op(CUTOVER, "modify", new_dn, staff_no=staff_no, attrs=changes))
            for g in sorted(want - cur_groups):
                person_ops.append(
                    Op(
                        group_phase,
                        "member_add",
                        new_dn,
                        staff_no=staff_no,
                        group=g,
                        group_dn=self._member_group_dn(g),
                    )
                )
            for g in sorted(cur_groups - want):
                person_ops.append(
                    Op(
                        group_phase,
                        "member_delete",
                        new_dn,
                        staff_no=staff_no,
                        group=g,
                        group_dn=self._member_group_dn(g),
                    )
                )
        self.ops.extend(person_ops)
        after = self._view(new_dn, "" if retire else dept.code, title, enabled, want, retired=retire)
        new_account = intent.status == "new"
        prepared = self._view(new_dn, dept.code, title, False, want) if account is None else before
        self.people[staff_no] = PersonPlan(
            staff_no=staff_no,
            name=name,
            lines=[o.line for o in intent.orders],
            kinds=[o.kind for o in intent.orders],
            date=date,
            before=before,
            after=after,
            prepared=prepared,
            old_dept="" if new_account else self._post_left(intent, account, old_code),
            new_dept="" if retire else dept.code,
            title=title,
            kana=kana,
            enabled_after=enabled,
            new_account=new_account,
            status={"retire": "退職", "leave": "休職"}.get(intent.status, "在職"),
            concurrent=[c.code for c, _t, _r in intent.concurrent],
        )
        if not retire:
            concurrent = sorted(
                {
                    self._dept_of_group(g).code
                    for g in want
                    if self._dept_of_group(g) and self._dept_of_group(g).code != dept.code
                }
            )
            self.final[staff_no] = self._final_record(
                staff_no,
                name,
                kana,
                dept,
                title,
                enabled,
                sorted(want),
                concurrent,
                new_dn,
                status="休職"
                if intent.status == "leave" or (not enabled and intent.status != "new")
                else "在職",
            )

    def _post_left(self, intent, account, old_code):
        """The primary department before the transfer, the same on every run: as the orders name it,
        else as AD has it (a retiree already moved keeps his department attribute)."""
        for order in intent.orders:
            if order.old_dept and order.kind not in OLD_DEPT_IS_EXTERNAL + (CONCURRENT,):
                dept = self.current.resolve(order.old_dept)
                if dept is not None:
                    return dept.code
        if old_code:
            return old_code
        dept = self.current.resolve(account.department) if account is not None else None
        return dept.code if dept else ""

    def _member_group_dn(self, group):
        return self._group_dn(group, self._dept_of_group(group))

    def _dept_of_group(self, group):
        for org in (self.nxt, self.current):
            for dept in org.departments.values():
                if group in dept.groups.values():
                    return dept
        return None

    def _new_user_attrs(self, staff_no, name, kana, dept, title, order):
        parts = name.replace("\u3000", " ").split(" ", 1)
        account = f"{self.opt['account_prefix']}{staff_no}"
        attrs = {
            "objectClass": ["top", "person", "organizationalPerson", "user"],
            "sAMAccountName": account,
            "userPrincipalName": f"{account}@{self.opt['upn_suffix']}",
            "employeeID": staff_no,
            "displayName": name,
            "sn": parts[0],
            "department": dept.name,
            "title": title,
            "info": marker(order),
            "userAccountControl": UAC_NORMAL | UAC_DISABLED,
        }
        if len(parts) > 1 and parts[1].strip():
            attrs["givenName"] = parts[1].strip()
        if kana:
            attrs[self.opt.get("kana_attribute", "msDS-PhoneticDisplayName")] = kana
        return attrs

    def _view(self, dn, code, title, enabled, groups, retired=False):
        dept = self.nxt.departments.get(code) or self.current.departments.get(code)
        return {
            "所属": "退職" if retired else _dept_label(dept),
            "職名": title,
            "状態": "有効" if enabled else "無効",
            "DN": dn,
            "グループ": sorted(groups),
        }

    def _check_abolished_emptied(self):
        left = {}
        for staff_no, account in self.snap.accounts.items():
            if staff_no in self.people or self._in_retirees(account):
                continue
            code = self._dept_of(account)
            if code in self.abolished:
                left.setdefault(code, []).append(staff_no)
        for code, staff in sorted(left.items()):
            self.issues.append(
                Issue(
                    0,
                    f"廃止される所属 {code} に発令のない職員が {len(staff)} 名残ります: "
                    f"{', '.join(sorted(staff)[:20])}" + (" ほか" if len(staff) > 20 else ""),
                )
            )


def plan(orders, parse_issues, current, nxt, snapshot, org_diff, options):
    """Validate and plan. Returns a Plan; when plan.issues is non-empty nothing may be applied."""
    return Planner(orders, current, nxt, snapshot, org_diff, options).run(parse_issues)


PHASE_LABEL = {PREPARE: "準備", CUTOVER: "切替"}
DOUBTS = "要確認（誤りではありません）"
OP_LABEL = {
    "add_ou": "OU 作成",
    "add_group": "グループ作成",
    "add_user": "アカウント作成（無効・初期パスワードは暗号化ファイルへ）",
    "move": "OU 移動",
    "modify": "属性変更",
    "member_add": "グループ追加",
    "member_delete": "グループ削除",
}


def _describe(op):
    label = f"[{PHASE_LABEL[op.phase]}] {OP_LABEL[op.kind]}"
    if op.kind in ("member_add", "member_delete"):
        return f"{label} {op.group} ← {op.dn.split(',', 1)[0][3:]}"
    if op.kind == "move":
        return f"{label} → {op.new_parent}"
    if op.kind == "modify":
        parts = []
        for attr, value in sorted(op.attrs.items()):
            old = op.before.get(attr, "") if op.before else ""
            parts.append(f"{attr}: {old} → {value}" if op.before else f"{attr}: {value}")
        return f"{label} {op.dn.split(',', 1)[0]} " + "、".join(parts)
    return f"{label} {op.dn}"


def lines(items):
    """A list shown in a diff: one line per item, as text (Ansible's callbacks print text or mappings)."""
    return "".join(f"{item}\n" for item in items)


def render_diff(result, phase, ops):
    """Ansible diff of OPS, one entry per person (the account before and after), then one for the
    organisation. A new account's cutover starts from its prepared state, whether prepare already
    ran or not, so the plan and the apply describe the same change."""
    entries = []
    by_person = {}
    for op in ops:
        if op.staff_no:
            by_person.setdefault(op.staff_no, []).append(op)
    for staff_no, person_ops in sorted(by_person.items()):
        person = result.people.get(staff_no)
        if person is None:
            after = {k: v for op in person_ops for k, v in op.attrs.items()}
            after["理由"] = "機構改革による所属名の変更"
            entries.append(
                {
                    "before_header": f"{staff_no}",
                    "before": {k: v for op in person_ops for k, v in op.before.items()},
                    "after": after,
                }
            )
            continue
        if phase == PREPARE:
            before, after = person.before, dict(person.prepared)
        else:
            before, after = (person.prepared if person.new_account else person.before), dict(person.after)
        after["発令"] = [f"{line}行目 {kind}" for line, kind in zip(person.lines, person.kinds, strict=True)]
        after["変更"] = [_describe(op) for op in person_ops]
        entries.append({"before_header": f"{staff_no} {person.name}", "before": before, "after": after})
    org = [_describe(op) for op in ops if not op.staff_no]
    if org:
        entries.append(
            {"before_header": "組織（OU・グループ・転送システム権限）", "before": "", "after": lines(org)}
        )
    if phase == PREPARE and result.warnings:  # the list's doubtful rows, once per plan
        entries.append({"before_header": DOUBTS, "before": "", "after": lines(result.warnings)})
    return entries


def summary(result, ops):
    kinds = {}
    for person in result.people.values():
        for kind in person.kinds:
            kinds[kind] = kinds.get(kind, 0) + 1
    per_op = {}
    for op in ops:
        per_op[op.kind] = per_op.get(op.kind, 0) + 1
    return {
        "orders": sum(kinds.values()),
        "people": len(result.people),
        "orders_by_kind": kinds,
        "changes": len(ops),
        "changes_by_kind": per_op,
        "prepare_changes": sum(1 for op in result.ops if op.phase == PREPARE),
        "cutover_changes": sum(1 for op in result.ops if op.phase == CUTOVER),
    }
