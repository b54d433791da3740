# Import files for the systems without an API (§6-3(7) OPS-MOVE): SKYSEA organisation and users,
# SKYSEA manager (overtime-limit) settings, workflow approval routes, the two transfer systems'
# permissions, and the PC asset ledger with the PCs that move with their users. Pure functions:
# from the planned state after the transfers to rows; the module writes them with checksums.
from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ansible.module_utils.hr_transfer.transfer_list import NEW_ACCOUNT_KINDS, RETIRE
from ansible.module_utils.ledger.encoding import csv_bytes

ROUTE_FILES = {
    "internet_lgwan": ("transfer_internet_lgwan.csv", "無害化転送（インターネット⇔LGWAN）"),
    "lgwan_mynumber": ("transfer_lgwan_mynumber.csv", "LGWAN⇔個人番号利用事務系 転送"),
}
DEFAULT_APPROVERS = {"課長": ["課長", "室長", "局長", "所長"], "部長": ["部長", "局長", "室長"]}
DIVISION_LEVEL = ("部長", "次長", "局長")


def squash(name):
    return unicodedata.normalize("NFKC", name or "").replace(" ", "")


def render_csv(header, rows, encoding="cp932", flagged=None):
    """CP932 (or ENCODING) CSV with CRLF; a cell starting like a spreadsheet formula is written as
    text (ledger.encoding.csv_bytes, the one CSV writer of the project) and listed in FLAGGED."""
    return csv_bytes(header, rows, encoding, flagged)


def formula_warning(name, flagged, limit=20):
    """The plan's warning for the cells of file NAME written as text instead of a formula."""

    def show(value):
        return "'" + value.replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n") + "'"

    shown = "; ".join(f"{line}行目 {column} {show(value)}" for line, column, value in flagged[:limit])
    more = f" ほか {len(flagged) - limit} 件" if len(flagged) > limit else ""
    return (
        f"取込ファイル {name}: 数式として実行されうる値（先頭が = + - @ タブ・改行）を"
        f"先頭に ' を付けて文字列にしました（{len(flagged)} 件、元の入力を確認）: {shown}{more}"
    )


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Exports:
    def __init__(self, current, nxt, org_diff, final, people, account_prefix, approvers=None):
        self.current = current
        self.nxt = nxt
        self.diff = org_diff
        self.final = final
        self.people = people
        self.prefix = account_prefix
        self.approvers = approvers or DEFAULT_APPROVERS
        self.warnings = []
        self._approver_maps = {}
        self._indexes = {}
        self._approvers = {}
        self._roles = {}

    def user_id(self, staff_no):
        return f"{self.prefix}{staff_no}"

    def change_kind(self, staff_no):
        person = self.people.get(staff_no)
        if person is None:
            return "変更なし"
        return "・".join(dict.fromkeys(person.kinds))

    # ---- SKYSEA -------------------------------------------------------------------------------
    def skysea_organisation(self):
        created = {d.code for d in self.diff.created}
        renamed = {new.code for _old, new in self.diff.renamed}
        rows = []
        for code, dept in sorted(self.nxt.departments.items()):
            state = "新設" if code in created else "名称変更" if code in renamed else "継続"
            rows.append([code, dept.name, dept.division, dept.skysea_group, state])
        for dept, successor in self.diff.abolished:
            rows.append(
                [
                    dept.code,
                    dept.name,
                    dept.division,
                    dept.skysea_group,
                    f"廃止（後継 {successor.code}）" if successor else "廃止",
                ]
            )
        return ["組織コード", "組織名", "部局", "組織パス", "区分"], sorted(rows)

    def skysea_users(self):
        rows = []
        for staff_no, rec in sorted(self.final.items()):
            dept = self.nxt.departments[rec["dept"]]
            rows.append(
                [
                    self.user_id(staff_no),
                    staff_no,
                    rec["name"],
                    rec["kana"],
                    dept.code,
                    dept.skysea_group,
                    rec["title"],
                    rec["status"],
                    self.change_kind(staff_no),
                ]
            )
        for staff_no, person in sorted(self.people.items()):
            if RETIRE in person.kinds:
                old = self.current.departments.get(person.old_dept)
                rows.append(
                    [
                        self.user_id(staff_no),
                        staff_no,
                        person.name,
                        person.kana,
                        person.old_dept,
                        old.skysea_group if old else "",
                        "",
                        "退職",
                        RETIRE,
                    ]
                )
        header = [
            "ユーザーID",
            "職員番号",
            "氏名",
            "氏名カナ",
            "組織コード",
            "組織パス",
            "役職",
            "状態",
            "異動区分",
        ]
        return header, rows

    def skysea_managers(self):
        rows = []
        roles = self._group_roles(self.nxt)
        for staff_no, rec in sorted(self.final.items()):
            if rec["status"] != "在職":
                continue
            for group in dict.fromkeys(rec["groups"]):
                for dept, role in roles.get(group, []):
                    if role != "managers":
                        continue
                    post = "本務" if dept.code == rec["dept"] else "兼務"
                    rows.append(
                        [
                            dept.code,
                            dept.skysea_group,
                            self.user_id(staff_no),
                            rec["name"],
                            rec["title"],
                            post,
                        ]
                    )
        return ["組織コード", "組織パス", "管理者ユーザーID", "氏名", "役職", "区分"], sorted(rows)

    # ---- workflow -----------------------------------------------------------------------------
    def _index(self, records, org):
        """Serving staff by (department, title) and by (division, title), each list in staff-number
        order, built once per set of records: an approver look-up is then a few dict reads, not a
        scan of all staff (which made the import files grow with the square of the staff)."""
        key = (id(records), id(org))
        index = self._indexes.get(key)
        if index is None:
            by_dept, by_division = {}, {}
            for no, r in sorted(records.items()):
                if r["status"] != "在職":
                    continue
                by_dept.setdefault((r["dept"], r["title"]), []).append((no, r))
                dept = org.departments.get(r["dept"])
                if dept is not None:
                    by_division.setdefault((dept.division, r["title"]), []).append((no, r))
            index = self._indexes[key] = (by_dept, by_division)
        return index

    def _holders(self, dept, step, records=None, org=None):
        records = self.final if records is None else records
        org = org or self.nxt
        titles = self.approvers.get(step, [step])
        by_dept, by_division = self._index(records, org)
        found = sorted(h for t in dict.fromkeys(titles) for h in by_dept.get((dept.code, t), []))
        if not found and step in DIVISION_LEVEL:
            found = sorted(h for t in dict.fromkeys(titles) for h in by_division.get((dept.division, t), []))
        return found

    def approver(self, dept, step, records=None, org=None):
        records = self.final if records is None else records
        org = org or self.nxt
        key = (id(records), id(org), dept.code, step)
        if key not in self._approvers:
            found = self._holders(dept, step, records, org)
            self._approvers[key] = found[0] if found else (None, None)
        return self._approvers[key]

    def _approver_map(self, records, org):
        """{staff number: [the approval steps they fill]} for RECORDS in ORG."""
        key = (id(records), id(org))
        if key not in self._approver_maps:
            steps = {}
            for d in org.departments.values():
                for n, step in enumerate(d.approval_route, 1):
                    holder = self.approver(d, step, records, org)[0]
                    if holder is not None:
                        steps.setdefault(holder, []).append(f"{d.code} {d.name} 第{n}段階 {step}")
            self._approver_maps[key] = steps
        return self._approver_maps[key]

    def _group_roles(self, org):
        """{group: [(department, role)]} of ORG."""
        key = id(org)
        if key not in self._roles:
            roles = {}
            for d in org.departments.values():
                for role, group in d.groups.items():
                    roles.setdefault(group, []).append((d, role))
            self._roles[key] = roles
        return self._roles[key]

    # ---- one person across the systems (the plan's per-person view) ---------------------------
    def person_view(self, staff_no, records, org, pcs):
        rec = records.get(staff_no)
        if rec is None:
            return {"状態": "アカウントなし" if org is self.current else "退職（無効・退職者 OU）", "PC": pcs}
        other = self.nxt if org is self.current else self.current
        dept = org.departments.get(rec["dept"]) or other.departments.get(rec["dept"])
        if dept is None:
            return {"状態": rec["status"], "PC": pcs}
        folders, managed = [], []
        roles = self._group_roles(org)
        for group in dict.fromkeys(rec["groups"]):
            for d, role in roles.get(group, []):
                if role in d.folder_rights:
                    folders.append(f"{d.share_folder}（{d.folder_rights[role]}）")
                if role == "managers":
                    managed.append(d.skysea_group)
        approves = self._approver_map(records, org).get(staff_no, [])
        return {
            "共有フォルダ": sorted(folders),
            "SKYSEA": f"{dept.skysea_group} / {rec['title']} / {rec['status']}",
            "SKYSEA 管理者設定": sorted(managed),
            "ワークフロー承認者": approves,
            "転送システム": [ROUTE_FILES[r][1] for r in dept.transfer_routes if rec["status"] == "在職"],
            "PC": pcs,
        }

    def workflow_routes(self):
        rows = []
        for code, dept in sorted(self.nxt.departments.items()):
            for n, step in enumerate(dept.approval_route, 1):
                staff_no, rec = self.approver(dept, step)
                if staff_no is None:
                    self.warnings.append(
                        f"承認経路: {dept.summary()} 第{n}段階 {step} が空席です"
                        "（ワークフローで代決者を設定）"
                    )
                    rows.append([code, dept.name, n, step, "", "（空席）"])
                else:
                    rows.append([code, dept.name, n, step, self.user_id(staff_no), rec["name"]])
        return ["組織コード", "組織名", "段階", "承認者役職", "承認者ユーザーID", "承認者氏名"], rows

    # ---- transfer systems ---------------------------------------------------------------------
    def transfer_users(self, route, group):
        rows = []
        for staff_no, rec in sorted(self.final.items()):
            dept = self.nxt.departments[rec["dept"]]
            if route not in dept.transfer_routes or rec["status"] != "在職":
                continue
            approver, _rec = (
                self.approver(dept, dept.approval_route[0]) if dept.approval_route else (None, None)
            )
            rows.append(
                [
                    self.user_id(staff_no),
                    staff_no,
                    rec["name"],
                    dept.code,
                    dept.name,
                    group,
                    self.user_id(approver) if approver else "",
                ]
            )
        header = ["ユーザーID", "職員番号", "氏名", "組織コード", "組織名", "ADグループ", "承認者ユーザーID"]
        return header, rows

    # ---- PC asset ledger ----------------------------------------------------------------------
    def ledger(self, header, rows, moving_kinds, site_names):
        """(new rows, [(asset, before, after)]): PCs follow their users; renamed and abolished
        departments' PCs take the new organisation path."""
        renamed = {old.skysea_group: new.skysea_group for old, new in self.diff.renamed}
        successor = {d.skysea_group: s.skysea_group for d, s in self.diff.abolished if s is not None}
        where = {}
        for row in rows:
            where.setdefault(row.get("所属", ""), Counter())[row.get("設置場所", "")] += 1
        moves = {}
        for staff_no, person in self.people.items():
            old = self.current.departments.get(person.old_dept)
            if old is None or person.kinds and set(person.kinds) <= set(NEW_ACCOUNT_KINDS):
                continue
            if RETIRE in person.kinds:
                moves[(squash(person.name), old.skysea_group)] = (staff_no, None)
            elif person.new_dept and person.new_dept != person.old_dept:
                moves[(squash(person.name), old.skysea_group)] = (
                    staff_no,
                    self.nxt.departments[person.new_dept],
                )
        owners = Counter(
            (squash(r.get("利用者", "")), r.get("所属", "")) for r in rows if r.get("種別") in moving_kinds
        )
        out, changes = [], []
        for row in rows:
            new = dict(row)
            key = (squash(row.get("利用者", "")), row.get("所属", ""))
            if row.get("種別") in moving_kinds and key in moves:
                if owners[key] > 1:
                    self.warnings.append(
                        f"PC {row.get('資産番号')}: 利用者 {row.get('利用者')} が"
                        "同じ所属に複数いるため移動しません"
                    )
                else:
                    _staff_no, dept = moves[key]
                    if dept is None:
                        new["利用者"] = "未割当"
                    else:
                        new["所属"] = dept.skysea_group
                        new["設置場所"] = self._location(dept, where, site_names) or row.get("設置場所", "")
            elif new.get("所属") in renamed:
                new["所属"] = renamed[new["所属"]]
            elif new.get("所属") in successor:
                new["所属"] = successor[new["所属"]]
            if new != row:
                changes.append((row.get("資産番号", ""), row, new))
            out.append(new)
        return out, changes

    def _location(self, dept, where, site_names):
        """Where a department's PCs usually stand: its own rows, else its predecessors', else its site."""
        groups = [dept.skysea_group]
        old = self.current.departments.get(dept.code)
        if old is not None:
            groups.append(old.skysea_group)
        groups += [
            self.current.departments[p].skysea_group
            for p in dept.predecessors
            if p in self.current.departments
        ]
        for group in groups:
            if group in where:
                return where[group].most_common(1)[0][0]
        return site_names.get(dept.site, "")


# ---- the files, as import_files writes them ---------------------------------------------------------
def describe_pc(row):
    return " ".join(row.get(k, "") for k in ("資産番号", "種別", "所属", "設置場所", "利用者"))


def person_views(exports, plan, rows, new_rows):
    """{"職員番号 氏名": (before, after)} across SKYSEA, workflow, transfer systems, share folders and PCs."""
    by_user = {}
    for row in rows:
        key = (squash(row.get("利用者", "")), row.get("所属", ""))
        by_user.setdefault(key, []).append(row)
    new_by_asset = {row.get("資産番号"): row for row in new_rows}
    views = {}
    for staff_no, person in sorted(plan.people.items()):
        old = exports.current.departments.get(person.old_dept)
        mine = by_user.get((squash(person.name), old.skysea_group), []) if old else []
        # a new account's systems start empty, whether or not prepare has created the account yet
        before = (
            {"状態": "新規（各システム未登録）"}
            if person.new_account
            else exports.person_view(staff_no, plan.before, exports.current, [describe_pc(r) for r in mine])
        )
        orders = zip(person.lines, person.kinds, strict=True)
        after = {"発令": [f"{line}行目 {kind}" for line, kind in orders]}
        after.update(
            exports.person_view(
                staff_no,
                plan.final,
                exports.nxt,
                [describe_pc(new_by_asset.get(r.get("資産番号"), r)) for r in mine],
            )
        )
        views[f"{staff_no} {person.name}"] = (before, after)
    return views


PERSON_HEADER = [
    "職員番号",
    "氏名",
    "発令",
    "旧所属",
    "新所属",
    "新職名",
    "共有フォルダ",
    "SKYSEA",
    "SKYSEA 管理者設定",
    "ワークフロー承認者",
    "転送システム",
    "PC",
]


def person_table(plan, views):
    rows = []
    for staff_no, person in sorted(plan.people.items()):
        _before, after = views[f"{staff_no} {person.name}"]
        rows.append(
            [
                staff_no,
                person.name,
                " / ".join(f"{ln}行目 {kind}" for ln, kind in zip(person.lines, person.kinds, strict=True)),
                person.old_dept,
                person.new_dept,
                person.title,
                "; ".join(after.get("共有フォルダ", [])),
                after.get("SKYSEA", after.get("状態", "")),
                "; ".join(after.get("SKYSEA 管理者設定", [])),
                "; ".join(after.get("ワークフロー承認者", [])),
                "; ".join(after.get("転送システム", [])),
                "; ".join(after.get("PC", [])),
            ]
        )
    return PERSON_HEADER, rows


@dataclass
class Files:
    contents: dict  # name -> (bytes, row count)
    route_systems: dict  # transfer-system file -> (system, action)
    pc_changes: list
    by_person: dict
    transfer_users: dict  # route -> [user dicts] for transfer_accounts


def build_files(exports, plan, route_groups, encoding, ledger=None, moving_kinds=(), site_names=None):
    """Every import file of a transfer from the planned state: SKYSEA, workflow, transfer systems, the
    ledger copy (LEDGER: a limits.Table, or None) and plan_by_person.csv, rendered in ENCODING."""
    tables = {
        "skysea_organisation.csv": exports.skysea_organisation(),
        "skysea_users.csv": exports.skysea_users(),
        "skysea_managers.csv": exports.skysea_managers(),
        "workflow_routes.csv": exports.workflow_routes(),
    }
    route_systems, transfer_users = {}, {}
    for route, group in sorted(route_groups.items()):
        name, label = ROUTE_FILES[route]
        tables[name] = exports.transfer_users(route, group)
        transfer_users[route] = [
            {
                "id": r[0],
                "name": r[2],
                "department": r[3],
                "department_name": r[4],
                "group": r[5],
                "approver": r[6],
            }
            for r in tables[name][1]
        ]
        route_systems[name] = (label, f"利用者・承認者のインポート（AD グループ {group} と突き合わせ）")
    contents, flagged = {}, {}

    def render(name, header, rows, file_encoding):
        flagged[name] = []
        contents[name] = (render_csv(header, rows, file_encoding, flagged[name]), len(rows))

    for name, (header, rows) in tables.items():
        render(name, header, rows, encoding)
    pc_changes, rows, new_rows = [], [], []
    if ledger is not None:
        rows = [row for _line, row in ledger.rows]
        new_rows, pc_changes = exports.ledger(ledger.header, rows, set(moving_kinds), site_names or {})
        render(
            "pc_assets.csv",
            ledger.header,
            [[r.get(h, "") for h in ledger.header] for r in new_rows],
            "utf-8-sig" if ledger.encoding == "utf-8-sig" else "cp932",
        )
    by_person = person_views(exports, plan, rows, new_rows)
    header, table = person_table(plan, by_person)
    render("plan_by_person.csv", header, table, encoding)
    for name, cells in flagged.items():
        if cells:
            exports.warnings.append(formula_warning(name, cells))
    return Files(contents, route_systems, pc_changes, by_person, transfer_users)
