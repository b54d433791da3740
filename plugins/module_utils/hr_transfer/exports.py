# Import files for the systems without an API (§6-3(7) OPS-MOVE): SKYSEA organisation and users,
# SKYSEA manager (overtime-limit) settings, workflow approval routes, the two transfer systems'
# permissions, and the PC asset ledger with the PCs that move with their users. Pure functions:
# from the planned state after the transfers to rows; the module writes them with checksums.
from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections import Counter

from ansible.module_utils.hr_transfer.transfer_list import NEW_ACCOUNT_KINDS, RETIRE

ROUTE_FILES = {
    "internet_lgwan": ("transfer_internet_lgwan.csv", "無害化転送（インターネット⇔LGWAN）"),
    "lgwan_mynumber": ("transfer_lgwan_mynumber.csv", "LGWAN⇔個人番号利用事務系 転送"),
}
DEFAULT_APPROVERS = {"課長": ["課長", "室長", "局長", "所長"], "部長": ["部長", "局長", "室長"]}
DIVISION_LEVEL = ("部長", "次長", "局長")


def squash(name):
    return unicodedata.normalize("NFKC", name or "").replace(" ", "")


def render_csv(header, rows, encoding="cp932"):
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


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
        for staff_no, rec in sorted(self.final.items()):
            if rec["status"] != "在職":
                continue
            for dept in self.nxt.departments.values():
                if dept.groups["managers"] in rec["groups"]:
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
    def _holders(self, dept, step, records=None, org=None):
        records = self.final if records is None else records
        org = org or self.nxt
        titles = self.approvers.get(step, [step])
        found = [
            (no, r)
            for no, r in sorted(records.items())
            if r["dept"] == dept.code and r["status"] == "在職" and r["title"] in titles
        ]
        if not found and step in DIVISION_LEVEL:
            division = {d.code for d in org.departments.values() if d.division == dept.division}
            found = [
                (no, r)
                for no, r in sorted(records.items())
                if r["dept"] in division and r["status"] == "在職" and r["title"] in titles
            ]
        return found

    def approver(self, dept, step, records=None, org=None):
        found = self._holders(dept, step, records, org)
        return found[0] if found else (None, None)

    def _approver_map(self, records, org):
        key = id(records)
        if key not in self._approver_maps:
            self._approver_maps[key] = [
                (f"{d.code} {d.name} 第{n}段階 {step}", self.approver(d, step, records, org)[0])
                for d in org.departments.values()
                for n, step in enumerate(d.approval_route, 1)
            ]
        return self._approver_maps[key]

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
        for d in org.departments.values():
            for role, group in d.groups.items():
                if group in rec["groups"] and role in d.folder_rights:
                    folders.append(f"{d.share_folder}（{d.folder_rights[role]}）")
            if d.groups["managers"] in rec["groups"]:
                managed.append(d.skysea_group)
        approves = [label for label, holder in self._approver_map(records, org) if holder == staff_no]
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
