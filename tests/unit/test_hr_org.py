"""Organisation master loading and the reorganisation diff (plugins/module_utils/hr_transfer/org.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.hr_transfer import org as ho  # noqa: E402

BASE = "DC=lab,DC=jichitai,DC=test"
DEPT_OU = f"OU=Departments,{BASE}"
LIVE = yaml.safe_load(
    (ROOT / "inventories/moriguchi/group_vars/all/organisation.yml").read_text(encoding="utf-8")
)
NEXT = yaml.safe_load(
    (ROOT / "inventories/moriguchi/transfers/2027-04/organisation.yml").read_text(encoding="utf-8")
)


def load(data, label="test"):
    return ho.load(data, BASE, DEPT_OU, label=label)


def test_live_master_loads_with_ous_by_code():
    org = load(LIVE)
    dept = org.departments["120200"]
    assert dept.ou == f"OU=120200,{DEPT_OU}" and dept.groups["staff"] == "g-120200-staff"
    assert org.retiree_ou == f"OU=退職者,{BASE}" and org.is_manager("課長") and not org.is_manager("主事")
    assert (
        org.resolve("１２０２００") is dept
        and org.resolve("人事課") is dept
        and org.resolve("人事係") is None
    )


def test_reorganisation_diff():
    current, nxt = load(LIVE, "現行"), load(NEXT, "新")
    diff = ho.diff(current, nxt)
    assert sorted(d.code for d in diff.created) == ["160400", "190300"]
    assert sorted((d.code, s.code) for d, s in diff.abolished) == [("190100", "190300"), ("190200", "190300")]
    assert [(o.name, n.name) for o, n in diff.renamed] == [("デジタル戦略課", "DX推進課")]
    assert ho.diff(current, current).empty


def test_every_problem_of_a_bad_master_at_once():
    bad = copy.deepcopy(LIVE)
    depts = bad["jichitai_departments"]
    depts[1]["code"] = depts[0]["code"]  # duplicate code
    depts[2]["groups"] = {"staff": "g-x"}  # no managers group
    depts[3]["folder_rights"] = {"staff": "write"}  # unknown right
    depts[4]["transfer_routes"] = ["internet_mynumber"]  # forbidden route
    depts[5]["groups"] = dict(depts[6]["groups"])  # a group used twice
    del depts[7]["share_folder"]
    depts[8]["code"] = "12A"
    with pytest.raises(ho.OrgError) as err:
        load(bad)
    text = "\n".join(err.value.problems)
    for expected in (
        "所属コード 110100 が重複",
        "groups に staff と managers が必要",
        "write は使えません",
        "internet_mynumber は使えません",
        "グループ g-130200-staff が 130100 と 130200 で重複",
        "share_folder がありません",
        "'12A' は 6 桁の数字ではありません",
    ):
        assert expected in text, text


def test_a_code_keeps_its_ou_and_groups():
    nxt = copy.deepcopy(LIVE)
    nxt["jichitai_departments"][0]["groups"] = {"staff": "g-hisho-staff", "managers": "g-hisho-managers"}
    with pytest.raises(ho.OrgError, match="OU またはグループ名が変わっています"):
        ho.diff(load(LIVE), load(nxt))


def test_predecessors_must_exist_and_have_one_successor():
    nxt = copy.deepcopy(NEXT)
    extra = copy.deepcopy(next(d for d in nxt["jichitai_departments"] if d["code"] == "190300"))
    extra.update(
        code="190400",
        name="水道第二課",
        share_folder="水道局/水道第二課",
        skysea_group="水道局/水道第二課",
        groups={"staff": "g-190400-staff", "managers": "g-190400-managers"},
        predecessors=["190100", "999999"],
    )
    nxt["jichitai_departments"].append(extra)
    with pytest.raises(ho.OrgError) as err:
        ho.diff(load(LIVE), load(nxt))
    text = "\n".join(err.value.problems)
    assert "predecessors 999999 は現行の所属マスタにありません" in text
    assert "所属 190100 の後継が 190300 と 190400 の 2 つあります" in text
