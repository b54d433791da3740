"""The software catalogue (filters endpoint_catalogue, endpoint_software_for, endpoint_catalogue_select):
the estate's own catalogue is valid, every kind of mistake in an entry is named with the entry's index
and id in one error, defaults are filled, and a host gets the entries of its segment, department and
name in install order - antivirus, SKYSEA agent, workflow client, then the applications by id."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
sys.path.insert(0, str(REPO / "plugins" / "module_utils"))
from endpoint import catalogue  # noqa: E402
from endpoint_catalogue import (  # noqa: E402
    FilterModule,
    endpoint_catalogue,
    endpoint_catalogue_select,
    endpoint_software_for,
    endpoint_software_outcome,
)

ESTATE = yaml.safe_load((REPO / "group_vars/all/software_catalogue.yml").read_text())[
    "jichitai_software_catalogue"
]
SEGMENTS = yaml.safe_load((REPO / "group_vars/all/segments.yml").read_text())["jichitai_segments"]
ORG = yaml.safe_load((REPO / "inventories/moriguchi/group_vars/all/organisation.yml").read_text())[
    "jichitai_departments"
]
GUID = "{0D2E853A-B6F5-420E-B234-8F17FD5EC590}"
SHA = "a" * 64


def entry(ident, kind="application", **over):
    base = {
        "id": ident,
        "name": f"製品 {ident}",
        "kind": kind,
        "version": "1.0.0",
        "installer": f"x/{ident}.msi",
        "sha256": SHA,
        "product_id": GUID,
        "install_on": {"all": True},
        "segments": ["lgwan"],
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def base(*extra):
    return [entry("av", "antivirus"), entry("agent", "asset_agent"), entry("wf", "workflow_client"), *extra]


def problems(cat, **kw):
    with pytest.raises(catalogue.CatalogueError) as err:
        catalogue.normalise(cat, **kw)
    return err.value.problems


def test_the_estate_catalogue_is_valid_against_the_estate_segments_and_organisation():
    entries = endpoint_catalogue(ESTATE, segments=SEGMENTS, departments=ORG)
    kinds = {e["kind"] for e in entries}
    assert {"antivirus", "asset_agent", "workflow_client"} <= kinds
    assert {e["id"] for e in entries if e["kind"] == "asset_agent"} == {"skysea_agent"}
    for e in entries:
        assert e["sha256"] == e["sha256"].lower() and len(e["sha256"]) == 64
        if e["installer_type"] == "msi":
            assert catalogue.GUID_RE.match(e["product_id"]) and 3010 in e["return_codes"]


def test_the_lab_organisation_knows_the_estate_catalogue_departments_too():
    lab = yaml.safe_load((REPO / "inventories/lab/group_vars/all/organisation.yml").read_text())
    endpoint_catalogue(ESTATE, departments=lab["jichitai_departments"])


def test_defaults_are_filled_and_values_normalised():
    cat = base(entry("app", product_id=GUID.lower(), sha256="A" * 64, arguments="  A=1   B=2 "))
    app = catalogue.normalise(cat)[3]
    assert app["return_codes"] == [0, 3010]
    assert app["product_id"] == GUID
    assert app["sha256"] == "a" * 64
    assert app["arguments"] == "A=1   B=2"  # stripped only: an exe's quoting is its own
    assert app["uninstall_arguments"] == ""
    assert app["installer_type"] == "msi"
    assert app["licence"] is None and app["notes"] == ""
    assert app["kind_ja"] == "アプリケーション"
    assert app["install_on"] == {"all": True, "departments": [], "hosts": []}
    assert catalogue.normalise(base())[0]["arguments"] == ""


def test_an_exe_takes_its_uninstall_key_name_and_any_return_codes():
    exe = entry("tool", installer="x/setup.EXE", product_id="Tool 5 Pro", return_codes=[0, 1641],
                arguments="/S /v\"/qn\"")  # fmt: skip
    got = catalogue.normalise(base(exe))[3]
    assert got["installer_type"] == "exe" and got["product_id"] == "Tool 5 Pro"
    assert got["return_codes"] == [0, 1641]
    assert got["arguments"] == '/S /v"/qn"'


def test_one_error_names_every_bad_entry_by_index_and_id():
    cat = base(
        entry("bad_sha", sha256="1234"),
        entry("bad_guid", product_id="{not-a-guid}"),
        entry("bad_kind", kind="driver"),
        entry("bad_seg", segments=["lgwan", "dmz"]),
        entry("no_3010", return_codes=[0]),
        entry("no_sha", sha256=None),
    )
    with pytest.raises(catalogue.CatalogueError) as err:
        catalogue.normalise(cat)
    text = str(err.value)
    assert text.startswith("ソフトウェアカタログに誤りがあります")
    lines = err.value.problems
    assert any(line.startswith("[3] bad_sha: sha256") for line in lines), lines
    assert any(line.startswith("[4] bad_guid: product_id") for line in lines), lines
    assert any(line.startswith("[5] bad_kind: kind") for line in lines), lines
    assert any(line.startswith("[6] bad_seg: segments: dmz") for line in lines), lines
    assert any(line.startswith("[7] no_3010: return_codes") and "3010" in line for line in lines), lines
    assert any(line.startswith("[8] no_sha: sha256: ありません") for line in lines), lines
    assert not any(line.startswith(("[0]", "[1]", "[2]")) for line in lines)


def test_a_duplicate_id_names_both_indexes():
    lines = problems(base(entry("av", "application")))
    assert lines == ["[3] av: id: [0] と重複しています"]


@pytest.mark.parametrize(
    ("over", "expect"),
    [
        ({"id": "Bad-Id"}, "id: 英小文字"),
        ({"id": None}, "(id なし): id: ありません"),
        ({"name": ""}, "name: 文字列が必要です"),
        ({"version": 19.2}, "version: 引用符で囲んだ文字列"),
        ({"version": "19 2"}, "version: 版数"),
        ({"installer": "/srv/x.msi"}, "installer: 配布共有からの相対パス"),
        ({"installer": "x\\y.msi"}, "installer: 配布共有からの相対パス"),
        ({"installer": "../y.msi"}, "installer: 配布共有からの相対パス"),
        ({"installer": "C:/y.msi"}, "installer: 配布共有からの相対パス"),
        ({"installer": "x/y.zip"}, "installer: .msi か .exe"),
        ({"sha256": "g" * 64}, "sha256: sha256 は 16 進 64 桁"),
        ({"product_id": "Some Product"}, "product_id: MSI は ProductCode の GUID"),
        ({"installer": "x/y.exe", "product_id": "a\\b"}, "product_id: アンインストールキー名"),
        ({"arguments": "/qn /norestart"}, "arguments: MSI には /qn /norestart を書かないで"),
        ({"arguments": "/L*v c:\\log.txt"}, "arguments: MSI には /L*v"),
        ({"arguments": ["A=1"]}, "arguments: 文字列に"),
        ({"uninstall_arguments": "/norestart"}, "uninstall_arguments: MSI には /norestart を書かないで"),
        ({"uninstall_arguments": 1}, "uninstall_arguments: 文字列に"),
        ({"return_codes": [3010]}, "return_codes: 0（成功）がありません"),
        ({"return_codes": "0"}, "return_codes: 整数の一覧"),
        ({"return_codes": [0, True]}, "return_codes: 整数の一覧"),
        ({"return_codes": [0, 3010, 0]}, "return_codes: 重複"),
        ({"install_on": {}}, "install_on: all・departments・hosts"),
        ({"install_on": {"all": False}}, "install_on: どの端末にも入りません"),
        ({"install_on": {"all": "yes"}}, "install_on.all: true か false"),
        ({"install_on": {"sites": ["x"]}}, "install_on.sites: 知らないキー"),
        ({"install_on": {"hosts": []}}, "install_on.hosts: 空でない文字列の一覧"),
        ({"install_on": {"departments": ["1", "1"]}}, "install_on.departments: 重複"),
        ({"segments": []}, "segments: 空でない文字列の一覧"),
        ({"segments": "lgwan"}, "segments: 空でない文字列の一覧"),
        ({"licence": {"register": "29"}}, "licence.register: 表2の項番"),
        ({"licence": {"register": "#29", "count": 5}}, "licence: {register"),
        ({"notes": 5}, "notes: 文字列"),
        ({"colour": "red"}, "colour: 知らないキー"),
        ({"kind": None}, "kind: ありません"),
    ],
)
def test_each_mistake_in_an_entry_is_named(over, expect):
    lines = problems(base(entry("app", **over)))
    assert any(expect in line and line.startswith("[3] ") for line in lines), lines


def test_an_entry_that_is_not_a_dict_and_a_catalogue_that_is_not_a_list():
    assert problems(base("just a string")) == ["[3] (id なし): 辞書にしてください（str）"]
    assert "一覧にしてください" in problems({"id": "x"})[0]


@pytest.mark.parametrize("kind", ["antivirus", "asset_agent", "workflow_client"])
def test_the_three_onboarding_products_must_be_entries(kind):
    cat = [e for e in base() if e["kind"] != kind] + [entry("app")]
    lines = problems(cat)
    assert len(lines) == 1 and lines[0].startswith(kind) and "新規端末" in lines[0]


def test_a_segment_has_one_antivirus_for_every_device():
    lines = problems(base(entry("av2", "antivirus", segments=["lgwan", "internet"])))
    assert lines == ["lgwan: antivirus が複数あります（av, av2）: 1 台に 1 つです"]
    # one per segment, or a second one only for some departments, is fine
    catalogue.normalise(base(entry("av2", "antivirus", segments=["internet"])))
    catalogue.normalise(base(entry("av2", "antivirus", install_on={"departments": ["120100"]})))


def test_segments_are_checked_against_the_estate_segment_keys():
    cat = base(entry("app", segments=["lgwan", "lab_only"]))
    assert any("lab_only は知らない接続系" in p for p in problems(cat, segments=SEGMENTS))
    catalogue.normalise(cat, segments=[*SEGMENTS, "lab_only"])


def test_departments_are_checked_against_the_organisation_and_turned_into_codes():
    cat = base(entry("app", install_on={"departments": ["課税課", "130300", "市長公室/秘書課"]}))
    got = catalogue.normalise(cat, departments=ORG)[3]
    assert got["install_on"]["departments"] == ["110100", "130300", "140100"]
    bad = base(entry("app", install_on={"departments": ["宇宙開発課"]}))
    assert any("宇宙開発課 は所属マスタにありません" in p for p in problems(bad, departments=ORG))
    shared = [{"code": "1", "name": "総務課"}, {"code": "2", "name": "総務課"}]
    bad = base(entry("app", install_on={"departments": ["総務課"]}))
    assert any("複数の所属に当たります" in p for p in problems(bad, departments=shared))


def host(segment="lgwan", department=None, name="lgnb0001"):
    return {"jichitai_segment": segment, "jichitai_department": department, "inventory_hostname": name}


def test_software_for_orders_antivirus_agent_workflow_then_applications_by_id():
    cat = [entry("zeta"), entry("wf", "workflow_client"), entry("alpha"), entry("agent", "asset_agent"),
           entry("av", "antivirus")]  # fmt: skip
    got = [e["id"] for e in endpoint_software_for(cat, host())]
    assert got == ["av", "agent", "wf", "alpha", "zeta"]


def test_software_for_selects_by_segment_department_and_host_as_a_union():
    cat = base(
        entry("inet_only", segments=["internet"]),
        entry("for_dept", install_on={"departments": ["140100"]}),
        entry("for_host", install_on={"hosts": ["LGNB0001"]}),
        entry("either", install_on={"departments": ["999999"], "hosts": ["lgnb0002"]}),
        entry("dept_but_inet", segments=["internet"], install_on={"departments": ["140100"]}),
    )
    ids = lambda hv: [e["id"] for e in endpoint_software_for(cat, hv)]  # noqa: E731
    assert ids(host(department="140100")) == ["av", "agent", "wf", "for_dept", "for_host"]
    assert ids(host(department="140100", name="lgnb0009")) == ["av", "agent", "wf", "for_dept"]
    assert ids(host(department="999999", name="lgnb0002")) == ["av", "agent", "wf", "either"]
    assert ids(host(segment="internet", department="140100", name="x")) == ["dept_but_inet", "inet_only"]
    assert ids(host(segment="mynumber")) == []


def test_software_for_a_department_code_read_as_a_number():
    cat = base(entry("for_dept", install_on={"departments": ["140100"]}))
    assert "for_dept" in [e["id"] for e in endpoint_software_for(cat, host(department=140100))]


def test_software_for_only_the_kinds_asked_for_keeps_the_onboarding_order():
    cat = base(entry("app"))
    got = endpoint_software_for(cat, host(), ["workflow_client", "antivirus", "asset_agent"])
    assert [e["kind"] for e in got] == ["antivirus", "asset_agent", "workflow_client"]
    assert [e["id"] for e in endpoint_software_for(cat, host(), "application")] == ["app"]


def test_software_for_on_the_estate_catalogue():
    ids = [e["id"] for e in endpoint_software_for(ESTATE, host(department="130300"), segments=SEGMENTS)]
    assert ids == ["apex_one_agent", "skysea_agent", "skysea_workflow", "acrobat_pro"]
    inet = [e["id"] for e in endpoint_software_for(ESTATE, host(segment="internet"))]
    assert inet == ["apex_one_agent", "skysea_agent"]


def test_software_for_refuses_a_host_without_segment_and_unknown_kinds():
    with pytest.raises(AnsibleFilterError, match="lgnb0001: jichitai_segment がありません"):
        endpoint_software_for(base(), {"inventory_hostname": "lgnb0001"})
    with pytest.raises(AnsibleFilterError, match="知らない種別です: driver"):
        endpoint_software_for(base(), host(), ["driver"])


def test_software_for_validates_the_catalogue_first():
    with pytest.raises(AnsibleFilterError, match=r"\[3\] app: sha256"):
        endpoint_software_for(base(entry("app", sha256="x")), host())


def test_select_by_ids_in_install_order_and_refuses_unknown_ids():
    cat = base(entry("app"))
    got = endpoint_catalogue_select(cat, ["app", "wf", "av", "app"])
    assert [e["id"] for e in got] == ["av", "wf", "app"]
    assert [e["id"] for e in endpoint_catalogue_select(cat, "agent")] == ["agent"]
    with pytest.raises(AnsibleFilterError, match="カタログにない id です: nope, gone"):
        endpoint_catalogue_select(cat, ["nope", "av", "gone"])
    with pytest.raises(AnsibleFilterError, match="1 つ以上"):
        endpoint_catalogue_select(cat, [])


def test_the_filter_error_names_the_filter_and_every_problem():
    with pytest.raises(AnsibleFilterError) as err:
        endpoint_catalogue(base(entry("a", sha256="1"), entry("b", product_id="x")))
    text = str(err.value)
    assert text.startswith("endpoint_catalogue:")
    assert "[3] a: sha256" in text and "[4] b: product_id" in text


def test_the_input_is_not_changed():
    cat = base(entry("app", product_id=GUID.lower()))
    before = copy.deepcopy(cat)
    catalogue.normalise(cat)
    assert cat == before


def test_the_filters_are_exported():
    names = {"endpoint_catalogue", "endpoint_software_for", "endpoint_catalogue_select"}
    names.add("endpoint_software_outcome")
    assert set(FilterModule().filters()) == names


def test_outcome_from_loop_results_and_from_recorded_results():
    app = entry("app", installer="x/a.exe", product_id="A", return_codes=[0, 1641])
    entries = catalogue.normalise(base(app))
    loop = [{"item": {"id": "av"}, "changed": True, "rc": 3010, "reboot_required": True},
            {"item": {"id": "agent"}, "changed": False},
            {"item": {"id": "wf"}, "changed": True, "rc": 0, "reboot_required": False},
            {"item": {"id": "app"}, "changed": True, "rc": 1603, "failed": True,
             "msg": "unexpected rc"}]  # fmt: skip
    got = endpoint_software_outcome(entries, loop, "present")
    assert [(o["id"], o["action"], o["rc"], o["reboot_required"], o["ok"]) for o in got] == [
        ("av", "installed", 3010, True, True),
        ("agent", "already_installed", None, False, True),
        ("wf", "installed", 0, False, True),
        ("app", "failed", 1603, False, False),
    ]
    assert "終了コード 1603（想定 0, 1641）: unexpected rc" in got[3]["line_ja"]
    recorded = {"absent": {"av": {"changed": True, "rc": 0}, "agent": {"changed": False}, "wf": {"rc": 5}}}
    got = endpoint_software_outcome(entries, recorded, "absent")
    assert [o["action"] for o in got] == ["uninstalled", "not_installed", "failed", "failed"]
    assert got[3]["line_ja"].endswith("結果がありません")
    flat = endpoint_software_outcome(entries[:1], {"av": {"changed": True, "rc": 3010}})
    assert flat[0]["reboot_required"] is True and flat[0]["action"] == "installed"
    with pytest.raises(AnsibleFilterError, match="present か absent"):
        endpoint_software_outcome(entries, {}, "latest")
