"""Change planning for personnel transfers (hr_transfer_plan.py) and applying it (hr_transfer_ad.apply)
against an in-memory directory that behaves like AD where it matters here: adds fail when the entry
exists, member adds fail when the member is there, a move keeps group links. No server needed; the
lab tests (tests/integration/test_personnel_*.py) do the same against Samba AD."""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.directory.ldap import ConnectionLost, DirectoryError
from ansible.module_utils.hr_transfer import ad as hr_transfer_ad
from ansible.module_utils.hr_transfer import org as hr_transfer_org
from ansible.module_utils.hr_transfer import plan as hr_transfer_plan
from ansible.module_utils.hr_transfer import transfer_list as hr_transfer_list
from ansible.module_utils.hr_transfer.plan import Account, Snapshot

BASE = "DC=lab,DC=jichitai,DC=test"
DEPT_OU = f"OU=Departments,{BASE}"
TRANSFER = ROOT / "inventories/moriguchi/transfers/2027-04"
LIVE = yaml.safe_load(
    (ROOT / "inventories/moriguchi/group_vars/all/organisation.yml").read_text(encoding="utf-8")
)
NEXT = yaml.safe_load((TRANSFER / "organisation.yml").read_text(encoding="utf-8"))
OPTIONS = {
    "effective_date": "2027-04-01",
    "route_groups": {"internet_lgwan": "g-xfer-internet-lgwan", "lgwan_mynumber": "g-xfer-lgwan-mynumber"},
    "route_groups_ou": f"CN=Users,{BASE}",
    "upn_suffix": "lab.jichitai.test",
    "account_prefix": "u",
}
HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"


class FakeDirectory:
    """Just enough of LdapDirectory for hr_transfer_ad.apply, over a dict of entries."""

    def __init__(self, fail_after=None):
        self.entries = {}
        self.writes = 0
        self.fail_after = fail_after

    def _write(self):
        if self.fail_after is not None and self.writes >= self.fail_after:
            raise ConnectionLost(f"connection lost after {self.writes} changes", self.writes)
        self.writes += 1

    def add(self, dn, attrs):
        if dn.lower() in self.entries:
            raise DirectoryError(f"add {dn}: entryAlreadyExists")
        parent = dn.split(",", 1)[1].lower()
        if parent not in self.entries and parent != BASE.lower() and parent != f"cn=users,{BASE}".lower():
            raise DirectoryError(f"add {dn}: noSuchObject (parent)")
        self._write()
        entry = {k: v for k, v in attrs.items() if k != "unicodePwd"}
        entry["dn"] = dn
        entry.setdefault("member", [])
        entry["has_password"] = "unicodePwd" in attrs
        self.entries[dn.lower()] = entry

    def move(self, dn, new_parent):
        self._write()
        entry = self.entries.pop(dn.lower())
        new_dn = f"{dn.split(',', 1)[0]},{new_parent}"
        entry["dn"] = new_dn
        self.entries[new_dn.lower()] = entry
        for other in self.entries.values():  # linked attribute: group members follow the move
            other["member"] = [new_dn if m.lower() == dn.lower() else m for m in other.get("member", [])]
        return new_dn

    def modify(self, dn, replace):
        self._write()
        self.entries[dn.lower()].update(replace)

    def members(self, group_dn, add=(), delete=()):
        self._write()
        entry = self.entries[group_dn.lower()]
        have = {m.lower() for m in entry["member"]}
        for m in add:
            if m.lower() in have:
                raise DirectoryError(f"members of {group_dn}: attributeOrValueExists {m}")
        for m in delete:
            if m.lower() not in have:
                raise DirectoryError(f"members of {group_dn}: noSuchAttribute {m}")
        gone = {m.lower() for m in delete}
        entry["member"] = [m for m in entry["member"] if m.lower() not in gone] + list(add)

    def snapshot(self):
        ous, groups, accounts = {}, {}, {}
        for key, e in self.entries.items():
            classes = e.get("objectClass", [])
            if "organizationalUnit" in classes:
                ous[key] = {"dn": e["dn"], "description": e.get("description", "")}
            elif "group" in classes:
                groups[e["sAMAccountName"]] = {
                    "dn": e["dn"],
                    "members": {m.lower(): m for m in e["member"]},
                    "description": e.get("description", ""),
                }
        for key, e in self.entries.items():
            if "user" in e.get("objectClass", []):
                accounts[e["employeeID"]] = Account(
                    dn=e["dn"],
                    staff_no=e["employeeID"],
                    name=e.get("displayName", ""),
                    kana=e.get("msDS-PhoneticDisplayName", ""),
                    title=e.get("title", ""),
                    department=e.get("department", ""),
                    uac=int(e.get("userAccountControl", 512)),
                    groups={n for n, g in groups.items() if key in g["members"]},
                    info=e.get("info", ""),
                )
        return Snapshot(accounts=accounts, groups=groups, ous=ous)


def orgs(nxt=NEXT):
    current = hr_transfer_org.load(LIVE, BASE, DEPT_OU, "現行")
    new = hr_transfer_org.load(nxt, BASE, DEPT_OU, "新") if nxt is not None else current
    return current, new, hr_transfer_org.diff(current, new)


def seeded(people):
    """A directory with the live organisation and PEOPLE:
    [(staff_no, name, dept, title, enabled, concurrent posts)]."""
    d = FakeDirectory()
    current, _n, _d = orgs(None)
    d.add(f"OU=Departments,{BASE}", {"objectClass": ["organizationalUnit"]})
    d.add(current.retiree_ou, {"objectClass": ["organizationalUnit"], "description": "退職者"})
    for dept in current.departments.values():
        d.add(dept.ou, {"objectClass": ["organizationalUnit"], "description": dept.name})
        for role, group in dept.groups.items():
            label = "職員" if role == "staff" else "管理職"
            d.add(
                f"CN={group},{dept.ou}",
                {"objectClass": ["group"], "sAMAccountName": group, "description": f"{dept.name} {label}"},
            )
    for staff_no, name, code, title, enabled, concurrent in people:
        dept = current.departments[code]
        dn = f"CN=u{staff_no},{dept.ou}"
        d.add(
            dn,
            {
                "objectClass": ["user"],
                "employeeID": staff_no,
                "displayName": name,
                "title": title,
                "department": dept.name,
                "userAccountControl": 512 if enabled else 514,
            },
        )
        groups = [dept.groups["staff"]] + ([dept.groups["managers"]] if current.is_manager(title) else [])
        groups += [current.departments[c].groups["staff"] for c in concurrent]
        for group in groups:
            gdn = next(e["dn"] for e in d.entries.values() if e.get("sAMAccountName") == group)
            d.members(gdn, add=[dn])
    d.writes = 0
    return d


def run(text, directory, nxt=NEXT):
    data = (HEADER + "\r\n" + text.strip() + "\r\n").encode("cp932")
    orders, issues, _enc = hr_transfer_list.parse(data)
    current, new, diff = orgs(nxt)
    return hr_transfer_plan.plan(orders, issues, current, new, directory.snapshot(), diff, OPTIONS)


def apply(result, directory, phase="cutover"):
    passwords = {op.staff_no: "Init-Pass-123!" for op in result.ops if op.kind == "add_user"}
    return hr_transfer_ad.apply(directory, result.ops_for(phase), passwords)


STAFF = [
    ("200001", "山田　太郎", "110100", "課長", True, []),
    ("200002", "佐藤　花子", "110100", "主事", True, []),
    ("200003", "鈴木　一郎", "120200", "主査", True, ["120300"]),
    ("200004", "髙橋　美咲", "190100", "主任", True, []),
    ("200005", "山﨑　直子", "190200", "主事", False, []),  # on leave
    ("200006", "田中　健", "130300", "係長", True, []),
]
ALL_KINDS = """
200001,山田　太郎,ヤマダ　タロウ,退職,110100,,,2027/03/31
270001,德永　蓮,トクナガ　レン,採用,,160400,主事,2027/04/01
279001,濵田　湊,ハマダ　ミナト,転入,大阪府,120200,主査,2027/04/01
200002,佐藤　花子,サトウ　ハナコ,昇任,110100,110100,課長,2027/04/01
200003,鈴木　一郎,スズキ　イチロウ,配置換,120200,140100,主査,2027/04/01
200003,鈴木　一郎,スズキ　イチロウ,兼務,120200,130100,主査（兼務）,2027/04/01
200004,髙橋　美咲,タカハシ　ミサキ,配置換,190100,190300,主任,2027/04/01
200005,山﨑　直子,ヤマザキ　ナオコ,復職,190200,190300,,2027/04/01
200006,田中　健,タナカ　ケン,休職,130300,,,2027/04/01
"""


def account(directory, staff_no):
    return directory.snapshot().accounts[staff_no]


def test_every_kind_of_order_lands_where_it_should_and_a_second_plan_is_empty():
    d = seeded(STAFF)
    result = run(ALL_KINDS, d)
    assert result.issues == []
    apply(result, d, "prepare")
    hire = account(d, "270001")
    assert hire.dn == f"CN=u270001,OU=160400,{DEPT_OU}" and not hire.enabled  # created disabled
    assert d.entries[hire.dn.lower()]["has_password"] and hire.info == "OPS-MOVE 2027-04-01 採用"
    assert account(d, "200003").parent == f"OU=120200,{DEPT_OU}"  # prepare moves nobody
    apply(run(ALL_KINDS, d), d, "cutover")
    a = {
        no: account(d, no)
        for no in ("200001", "270001", "279001", "200002", "200003", "200004", "200005", "200006")
    }
    assert (
        a["200001"].parent == f"OU=退職者,{BASE}" and not a["200001"].enabled and a["200001"].groups == set()
    )
    assert a["270001"].enabled and a["270001"].groups == {"g-160400-staff"}
    assert a["279001"].enabled and a["279001"].title == "主査" and a["279001"].department == "人事課"
    assert a["200002"].title == "課長" and a["200002"].groups == {"g-110100-staff", "g-110100-managers"}
    assert a["200003"].parent == f"OU=140100,{DEPT_OU}" and a["200003"].department == "課税課"
    # group swap: old department out, new in; the old concurrent post stays, the new one adds
    assert a["200003"].groups == {"g-140100-staff", "g-120300-staff", "g-130100-staff"}
    assert a["200004"].groups == {"g-190300-staff"} and a["200004"].department == "水道課"
    assert a["200005"].enabled and a["200005"].parent == f"OU=190300,{DEPT_OU}"
    assert not a["200006"].enabled and a["200006"].department == "DX推進課"
    again = run(ALL_KINDS, d)
    assert again.issues == [] and again.ops == []


def test_reorganisation_creates_renames_abolishes_and_nests_route_groups():
    d = seeded(STAFF)
    result = run(ALL_KINDS, d)
    kinds = {(op.kind, op.phase) for op in result.ops if not op.staff_no}
    assert ("add_ou", "prepare") in kinds and ("add_group", "prepare") in kinds
    apply(result, d)
    snap = d.snapshot()
    assert snap.ous[f"ou=190300,{DEPT_OU}".lower()]["description"] == "水道課"
    assert snap.ous[f"ou=130300,{DEPT_OU}".lower()]["description"] == "DX推進課"
    assert snap.ous[f"ou=190100,{DEPT_OU}".lower()]["description"].startswith(
        "廃止（2027-04-01 機構改革、後継 190300"
    )
    route = snap.groups["g-xfer-lgwan-mynumber"]["members"]
    assert f"cn=g-160400-staff,ou=160400,{DEPT_OU}".lower() in route  # the new department's route
    assert f"cn=g-110100-staff,ou=110100,{DEPT_OU}".lower() not in route  # 秘書課 has internet_lgwan only


def test_an_interrupted_apply_converges_without_doubles():
    reference = seeded(STAFF)
    apply(run(ALL_KINDS, reference), reference)
    expected = reference.snapshot()
    assert reference.writes > 20
    for cut in range(1, reference.writes):
        d = seeded(STAFF)
        d.fail_after = cut
        with pytest.raises(ConnectionLost):
            apply(run(ALL_KINDS, d), d)
        d.fail_after = None
        apply(run(ALL_KINDS, d), d)  # re-plan from what is there, apply the rest
        got = d.snapshot()
        assert got.accounts == expected.accounts, f"cut after {cut}"
        assert {k: g["members"] for k, g in got.groups.items()} == {
            k: g["members"] for k, g in expected.groups.items()
        }
        assert run(ALL_KINDS, d).ops == []


def test_bad_input_is_reported_all_at_once_with_line_numbers():
    d = seeded(STAFF)
    text = """
200002,佐藤　花子,サトウ　ハナコ,配置換,110100,999999,主事,2027/04/01
200003,鈴木　一郎,スズキ　イチロウ,配置換,120200,140100,主査,2027/04/01
200003,鈴木　二郎,スズキ　ジロウ,昇任,120200,120200,係長,2027/04/01
200006,田中　健,タナカ　ケン,配置換,130300,140100,係長,2027/4/31
299999,存在　しない,ソンザイ　シナイ,退職,110100,,,2027/03/31
200001,山田　太郎,ヤマダ　タロウ,採用,,110100,主事,2027/04/01
200004,髙橋　美咲,タカハシ　ミサキ,配置換,190100,120100,主任,2027/04/01
200004,髙橋　美咲,タカハシ　ミサキ,退職,190100,,,2027/03/31
200005,山﨑　直子,ヤマザキ　ナオコ,配置換,190200,160500,主事,2027/04/01
200005,山﨑　直子,ヤマザキ　ナオコ,兼務,190200,190100,主事,2027/04/01
"""
    before = copy.deepcopy(d.entries)
    result = run(text, d)
    by_line = {}
    for issue in result.issues:
        by_line.setdefault(issue.line, []).append(issue.message)
    assert "新所属 999999 は新しい所属マスタ（新）にありません" in by_line[2]
    assert any("別の氏名でも使われています" in m for m in by_line[3]) and any(
        "別の氏名" in m for m in by_line[4]
    )
    assert any("発令日が日付ではありません" in m for m in by_line[5])
    assert "AD にアカウントがありません（退職）" in by_line[6]
    assert any("既に AD にアカウントがあります" in m for m in by_line[7])
    assert all(any("発令が矛盾" in m for m in by_line[n]) for n in (8, 9))
    assert "新所属 160500 は新しい所属マスタ（新）にありません" in by_line[10]
    assert "新所属 190100 は機構改革で廃止される所属です" in by_line[11]
    assert result.ops == [] and d.entries == before
    rendered = [i.render() for i in result.issues]
    assert rendered[0].startswith("2行目 職員番号 200002:")


def test_a_new_department_needs_the_new_master():
    result = run("270001,德永　蓮,トクナガ　レン,採用,,160400,主事,2027/04/01", seeded(STAFF), nxt=None)
    assert result.issues[0].line == 2
    assert "新所属 160400 は所属マスタにありません（機構改革で新設される所属なら" in result.issues[0].message


def test_old_department_must_match_the_directory():
    result = run("200003,鈴木　一郎,スズキ　イチロウ,配置換,110100,140100,主査,2027/04/01", seeded(STAFF))
    assert [i.line for i in result.issues] == [2]
    assert "旧所属 110100 秘書課 が AD の所属（120200 人事課）と違います" in result.issues[0].message


def test_an_abolished_department_must_be_emptied():
    result = run("200001,山田　太郎,ヤマダ　タロウ,昇任,110100,110100,部長,2027/04/01", seeded(STAFF))
    messages = [i.message for i in result.issues]
    assert any("廃止される所属 190100 に発令のない職員が 1 名残ります: 200004" in m for m in messages)
    assert any("廃止される所属 190200 に発令のない職員が 1 名残ります: 200005" in m for m in messages)


def test_cutover_diff_of_a_new_account_is_the_same_before_and_after_prepare():
    d = seeded(STAFF)
    planned = run(ALL_KINDS, d)
    at_plan = hr_transfer_plan.render_diff(
        planned, "cutover", planned.ops_for("cutover", pending_prepare=False)
    )
    apply(planned, d, "prepare")
    later = run(ALL_KINDS, d)
    at_apply = hr_transfer_plan.render_diff(later, "cutover", later.ops_for("cutover", pending_prepare=True))
    assert at_plan == at_apply


def test_no_secret_in_the_plan():
    d = seeded(STAFF)
    result = run(ALL_KINDS, d)
    text = repr(hr_transfer_plan.render_diff(result, "prepare", result.ops_for("prepare")))
    assert "unicodePwd" not in text and "Init-Pass" not in text
    assert all("unicodePwd" not in op.attrs for op in result.ops)


def roster_snapshot():
    """The lab's staff (tools/generate_transfer_list.py --roster) as a directory, without a server."""
    import generate_transfer_list as gen

    generator = gen.Generator()
    generator.generate()
    rows = list(
        csv.DictReader(
            io.StringIO(gen.render_csv(gen.ROSTER_HEADER, generator.roster_rows(), "utf-8").decode())
        )
    )
    people = [
        (
            r["職員番号"],
            r["氏名"],
            r["所属"],
            r["職名"],
            r["状態"] == "在職",
            list(filter(None, r["兼務"].split(";"))),
        )
        for r in rows
    ]
    return seeded(people)


def test_the_april_list_plans_cleanly_against_its_roster_and_converges():
    d = roster_snapshot()
    data = (TRANSFER / "hr_transfer_list.csv").read_bytes()
    orders, issues, encoding = hr_transfer_list.parse(data)
    assert encoding == "cp932" and len(orders) == 400 and issues == []
    assert {o.kind for o in orders} == set(hr_transfer_list.KINDS)
    current, nxt, diff = orgs()
    result = hr_transfer_plan.plan(orders, issues, current, nxt, d.snapshot(), diff, OPTIONS)
    assert result.issues == []
    assert len(result.people) > 350 and sum(len(p.kinds) for p in result.people.values()) == 400
    apply(result, d, "prepare")
    apply(hr_transfer_plan.plan(orders, issues, current, nxt, d.snapshot(), diff, OPTIONS), d, "cutover")
    assert hr_transfer_plan.plan(orders, issues, current, nxt, d.snapshot(), diff, OPTIONS).ops == []
    snap = d.snapshot()
    assert not any(a.parent.startswith(("OU=190100", "OU=190200")) for a in snap.accounts.values())
    assert sum(1 for a in snap.accounts.values() if a.parent == f"OU=退職者,{BASE}") == 30
