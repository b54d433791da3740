"""The installers of the software catalogue on a distribution share of real MSIs (built here with wixl
from tests/fixtures/msi/product.wxs, read back with msitools' msiinfo): a checksum, a ProductCode or a
ProductVersion that is not the entry's is refused, naming the entry; the distribution packages are
written once (check mode writes nothing, a second build changes nothing); and playbooks/endpoint_software.yml
stops in its first play, before any PC, on an entry whose product id is not its MSI's."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "lab" / "endpoint"))
import build_distribution  # noqa: E402
from ansible.module_utils.endpoint import catalogue, distribution, msi  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (shutil.which("wixl") and shutil.which("msiinfo")),
    reason="msitools and wixl (lab/install-deps.sh)",
)
OTHER_CODE = "{05B3992B-35F9-4BDE-9E7A-1619D1042B89}"


@pytest.fixture(scope="module")
def distribution_share(tmp_path_factory):
    """(share, raw catalogue) of a freshly built distribution share."""
    out = tmp_path_factory.mktemp("distribution")
    assert build_distribution.main(["--out", str(out)]) == 0
    data = yaml.safe_load((out / "catalogue.yml").read_text(encoding="utf-8"))
    return out / "share", data["jichitai_software_catalogue"]


def verify(share, cat):
    return distribution.verify(catalogue.normalise(cat), str(share))


def test_msiinfo_property_table_is_read():
    text = "Property\tValue\ns72\tl0\nProperty\tProperty\nProductCode\t{A}\nProductVersion\t1.2\nEmpty\t\n"
    assert msi.parse_properties(text) == {"ProductCode": "{A}", "ProductVersion": "1.2", "Empty": ""}
    with pytest.raises(msi.MsiError, match="Property 表ではありません"):
        msi.parse_properties("Name\tValue\n")


def test_a_built_msi_says_its_product_code_and_version(distribution_share):
    share, cat = distribution_share
    agent = next(e for e in cat if e["id"] == "skysea_agent")
    ident = msi.identity(msi.read_properties(str(share / agent["installer"])))
    assert ident == {"product_code": agent["product_id"], "product_version": "19.2.0.1",
                     "product_name": "skysea_agent (lab stand-in)"}  # fmt: skip


def test_the_lab_catalogue_matches_its_share(distribution_share):
    results, problems = verify(*distribution_share)
    assert problems == []
    assert all(r["ok"] for r in results) and len(results) == 5
    exe = next(r for r in results if r["id"] == "just_pdf")
    assert exe["product_code"] is None  # an exe has no Property table: its checksum is what is checked


def test_the_estate_catalogue_is_refused_on_the_lab_share_by_checksum(distribution_share):
    share, _ = distribution_share
    estate = yaml.safe_load((REPO / "group_vars/all/software_catalogue.yml").read_text())
    results, problems = verify(share, estate["jichitai_software_catalogue"])
    assert len(problems) == 5 and not any(r["ok"] for r in results)
    assert problems[0].startswith(
        "apex_one_agent（Trend Micro Apex One セキュリティエージェント）: sha256 が違います"
    )


def test_every_mismatch_is_named_with_its_entry(distribution_share, tmp_path):
    share, cat = distribution_share
    own = tmp_path / "share"
    shutil.copytree(share, own)
    cat = [dict(e) for e in cat]
    by = {e["id"]: e for e in cat}
    # an MSI built with another ProductCode under the agent's name, its checksum taken into the catalogue
    agent = own / by["skysea_agent"]["installer"]
    build_distribution.build_msi(agent.with_name("other.msi"), OTHER_CODE, "19.2.0.1", "other")
    agent.with_name("other.msi").replace(agent)
    by["skysea_agent"]["sha256"] = distribution.sha256_of(str(agent))
    by["skysea_workflow"]["version"] = "19.3.0.0"  # the MSI says 19.2.0.1
    (own / by["acrobat_pro"]["installer"]).unlink()
    outside = tmp_path / "outside.exe"
    outside.write_bytes(b"x")
    link = own / by["just_pdf"]["installer"]
    link.unlink()
    link.symlink_to(outside)
    results, problems = verify(own, cat)
    ok = {r["id"]: r["ok"] for r in results}
    assert ok == {"apex_one_agent": True, "skysea_agent": False, "skysea_workflow": False,
                  "acrobat_pro": False, "just_pdf": False}  # fmt: skip
    text = "\n".join(problems)
    code = by["skysea_agent"]["product_id"]
    agent_line = f"ProductCode が違います（カタログ {code}、MSI {OTHER_CODE}）"
    assert f"skysea_agent（SKYSEA Client View エージェント）: {agent_line}" in text
    version_line = "ProductVersion が違います（カタログ 19.3.0.0、MSI 19.2.0.1）"
    workflow = "skysea_workflow（SKYSEA Client View 申請・承認ワークフロー クライアント）"
    assert f"{workflow}: {version_line}" in text
    assert (
        "skysea_workflow" in text
        and "sha256" not in [p for p in problems if p.startswith("skysea_workflow")][0]
    )
    assert (
        "acrobat_pro（Adobe Acrobat Pro）: インストーラがありません（adobe/AcroPro_24.001.20604.msi）" in text
    )
    assert "just_pdf（JUST PDF 5 Pro）: インストーラが配布共有の外を指しています" in text


def test_a_file_that_is_not_an_msi_is_named(distribution_share, tmp_path):
    share, cat = distribution_share
    own = tmp_path / "share"
    shutil.copytree(share, own)
    cat = [dict(e) for e in cat]
    wf = next(e for e in cat if e["id"] == "skysea_workflow")
    (own / wf["installer"]).write_bytes(b"not an msi")
    wf["sha256"] = distribution.sha256_of(str(own / wf["installer"]))
    _, problems = verify(own, cat)
    assert (
        len(problems) == 1
        and problems[0].startswith("skysea_workflow（")
        and "MSI が読めません" in problems[0]
    )


def test_the_skysea_import_file(distribution_share):
    _, cat = distribution_share
    entries = catalogue.normalise(cat)
    data = distribution.skysea_csv(entries, "cp932")
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    assert rows[0] == list(distribution.SKYSEA_COLUMNS)
    agent = dict(zip(rows[0], rows[2], strict=True))
    assert agent["配布名"] == "skysea_agent_19.2.0.1"
    assert agent["実行コマンド"] == ('msiexec /i "SKYCV_Agent_19.2.msi" /qn /norestart '
                                    "MASTERSERVER=skysea01.lgwan.moriguchi.internal")  # fmt: skip
    assert agent["成功とみなす終了コード"] == "0 3010" and agent["再起動が必要な終了コード"] == "3010"
    assert agent["配布先所属コード"] == "全所属" and agent["ライセンス台帳"] == "#30"
    pdf = dict(zip(rows[0], rows[5], strict=True))
    assert pdf["実行コマンド"] == '"JUSTPDF5_setup.exe" /s /v"/qn REBOOT=ReallySuppress"'
    assert pdf["配布先所属コード"] == "140100 180100"
    bom = distribution.skysea_csv(entries, "utf-8-sig")
    assert bom.startswith(b"\xef\xbb\xbf") and bom.decode("utf-8-sig") == data.decode("cp932")
    bad = [dict(entries[0], name="𠮷野家")]
    with pytest.raises(ValueError, match="apex_one_agent: ソフトウェア名 の「𠮷」は cp932 で書けません"):
        distribution.skysea_csv(bad, "cp932")


def run_playbook(playbook: Path, plans: Path, *args: str) -> tuple[int, dict]:
    env = os.environ | {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "JICHITAI_WORKPLAN_DIR": str(plans),
        "JICHITAI_WORKPLAN_LAB": "1",
    }
    proc = subprocess.run([str(REPO / ".venv/bin/ansible-playbook"), str(playbook), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    return proc.returncode, json.loads(proc.stdout)


def tasks_of(report):
    return [(t["task"]["name"], t["hosts"]) for play in report["plays"] for t in play["tasks"]]


def test_the_module_builds_packages_once_and_check_mode_writes_nothing(distribution_share, tmp_path):
    share, cat = distribution_share
    (tmp_path / "vars.yml").write_text(yaml.safe_dump({"cat": cat}, allow_unicode=True), encoding="utf-8")
    dest = tmp_path / "packages"
    book = tmp_path / "build.yml"
    step = {
        "catalogue": "{{ cat }}",
        "share": str(share),
        "ids": ["just_pdf", "skysea_agent"],
        "dest": str(dest),
    }
    book.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False, "vars_files": [str(tmp_path / "vars.yml")],
        "tasks": [
            {"name": "verify",
             "endpoint_package": {"action": "verify", "catalogue": "{{ cat }}", "share": str(share)}},
            {"name": "build in check mode",
             "endpoint_package": {"action": "build", **step}, "check_mode": True},
            {"name": "build", "endpoint_package": {"action": "build", **step}},
            {"name": "build again", "endpoint_package": {"action": "build", **step}},
        ],
    }]), encoding="utf-8")  # fmt: skip
    rc, report = run_playbook(
        book,
        tmp_path / "plans",
        "-i",
        "localhost,",
        "-c",
        "local",
        "--diff",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
    )
    results = {name: hosts["localhost"] for name, hosts in tasks_of(report)}
    assert rc == 0, results
    assert results["verify"]["changed"] is False and len(results["verify"]["entries"]) == 5
    check = results["build in check mode"]
    assert check["changed"] is True and {f["action"] for f in check["files"]} == {"create"}
    assert len(check["files"]) == 8  # 3 files in each of 2 packages, and the report (md, html)
    assert results["build"]["changed"] is True and results["build"]["files"] == check["files"]
    assert results["build again"]["changed"] is False
    assert {f["action"] for f in results["build again"]["files"]} == {"unchanged"}
    assert [p["folder"] for p in results["build"]["packages"]] == [
        "skysea_agent-19.2.0.1",
        "just_pdf-5.0.1.0",
    ]
    copied = dest / "skysea_agent-19.2.0.1" / "SKYCV_Agent_19.2.msi"
    assert distribution.sha256_of(str(copied)) == next(e["sha256"] for e in cat if e["id"] == "skysea_agent")
    entry = json.loads((dest / "skysea_agent-19.2.0.1" / "catalogue_entry.json").read_text(encoding="utf-8"))
    assert entry["id"] == "skysea_agent" and entry["kind_ja"] == "資産管理エージェント"
    html = (dest / "endpoint_package.html").read_text(encoding="utf-8")
    assert "<h1>配布パッケージ作成報告（ソフトウェア配布）</h1>" in html and "just_pdf-5.0.1.0" in html


@pytest.mark.parametrize("mode", [["--check"], []], ids=["plan", "apply"])
def test_the_playbook_stops_in_its_first_play_on_a_wrong_checksum_or_product_id(
    distribution_share, tmp_path, mode
):
    share, cat = distribution_share
    wrong = {"acrobat_pro": {"product_id": OTHER_CODE}, "skysea_agent": {"sha256": "0" * 64}}
    cat = [dict(e, **wrong.get(e["id"], {})) for e in cat]
    extra = tmp_path / "catalogue.yml"
    extra.write_text(yaml.safe_dump({
        "jichitai_software_catalogue": cat,
        "jichitai_distribution_share": {"controller_path": str(share), "windows_path": "\\\\fs01\\dist"},
        "endpoint_software_hosts": "ad01",
        "endpoint_software_ids": ["acrobat_pro", "skysea_agent", "skysea_workflow"],
    }, allow_unicode=True), encoding="utf-8")  # fmt: skip
    book = REPO / "playbooks" / "endpoint_software.yml"
    lab_inventory = str(REPO / "inventories" / "lab")
    rc, report = run_playbook(book, tmp_path / "plans", "-i", lab_inventory, *mode, "-e", f"@{extra}",
                              "-e", "workplan_window_start=2026-12-22T18:30",
                              "-e", "workplan_window_end=2026-12-22T20:00")  # fmt: skip
    assert rc != 0
    assert len(report["plays"]) == 1, "the PCs' play must not start"
    failed = [
        (name, hosts["localhost"]) for name, hosts in tasks_of(report) if hosts["localhost"].get("failed")
    ]
    assert [name for name, _ in failed] == ["Verify the installers of the entries on the distribution share"]
    result = failed[0][1]
    agent_sha = next(e["sha256"] for e in distribution_share[1] if e["id"] == "skysea_agent")
    assert result["problems"] == [
        f"skysea_agent（SKYSEA Client View エージェント）: sha256 が違います（カタログ {'0' * 64}、"
        f"ファイル {agent_sha}）",
        f"acrobat_pro（Adobe Acrobat Pro）: ProductCode が違います（カタログ {OTHER_CODE}、"
        "MSI {F1B72D5E-44B1-44CC-AAE8-81EA500282C4}）",
    ]
    assert "端末は変更していません" in result["msg"]
    assert {e["id"]: e["ok"] for e in result["entries"]}["skysea_workflow"] is True
