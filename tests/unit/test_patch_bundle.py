"""The bundle of approved updates for the My Number segment (REQUIREMENTS MNT-PATCH): the manifest built
on the LGWAN side, and the far side's verification that refuses one changed byte, a missing or extra
file, a size that differs and a tampered manifest, each named. The module runs through Ansible on the
controller, in check mode and normally."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from ansible.module_utils.patch import bundle as b
from conftest import _adhoc

APPROVAL = {"plan_id": "WP-2026-0142", "approver": "u0123", "approved_at": "2026-12-14T10:05:00+09:00"}
KBS = ["KB5034441", "KB5034123"]


def make_updates(folder: Path) -> Path:
    (folder / "x64").mkdir(parents=True)
    (folder / "windows10.0-kb5034123-x64.msu").write_bytes(bytes(range(256)) * 4100)  # over 1 MiB
    (folder / "x64" / "windows10.0-kb5034441-x64.cab").write_bytes(b"WinRE update\n" * 1000)
    (folder / "KB一覧.txt").write_text("KB5034123\nKB5034441\n", encoding="utf-8")
    return folder


@pytest.fixture
def built(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    manifest = b.build_manifest(str(folder), KBS, APPROVAL)
    b.write(str(folder), b.manifest_bytes(manifest))
    return folder


def kinds(report):
    return sorted((f["kind"], f["path"]) for f in report["findings"])


def test_manifest_names_every_file_with_size_and_hash_and_the_approval(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kbs"] == ["KB5034123", "KB5034441"]
    assert manifest["approval"] == APPROVAL
    paths = [f["path"] for f in manifest["files"]]
    assert paths == sorted(
        ["KB一覧.txt", "windows10.0-kb5034123-x64.msu", "x64/windows10.0-kb5034441-x64.cab"]
    )
    big = next(f for f in manifest["files"] if f["path"].endswith(".msu"))
    data = (built / "windows10.0-kb5034123-x64.msu").read_bytes()
    assert big["size"] == len(data) == 256 * 4100 and big["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["total_size"] == sum(f["size"] for f in manifest["files"])


def test_digest_file_is_sha256sum_format(built):
    result = subprocess.run(
        ["sha256sum", "-c", "manifest.json.sha256"], cwd=built, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_untouched_bundle_verifies(built):
    report = b.verify(str(built))
    assert report["ok"], report["problems"]
    assert report["checked"] == 3 and report["problems"] == []


def test_one_changed_byte_is_refused_naming_the_file(built):
    target = built / "x64" / "windows10.0-kb5034441-x64.cab"
    data = bytearray(target.read_bytes())
    data[5000] ^= 0x01
    target.write_bytes(bytes(data))
    report = b.verify(str(built))
    assert not report["ok"]
    assert kinds(report) == [("changed", "x64/windows10.0-kb5034441-x64.cab")]
    assert "x64/windows10.0-kb5034441-x64.cab" in report["problems"][0]
    assert report["checked"] == 2


def test_missing_file_is_refused_naming_it(built):
    (built / "windows10.0-kb5034123-x64.msu").unlink()
    report = b.verify(str(built))
    assert kinds(report) == [("missing", "windows10.0-kb5034123-x64.msu")]
    assert "windows10.0-kb5034123-x64.msu" in report["problems"][0]


def test_extra_file_is_refused(built):
    (built / "x64" / "unexpected.exe").write_bytes(b"MZ")
    report = b.verify(str(built))
    assert kinds(report) == [("extra", "x64/unexpected.exe")]


def test_size_mismatch_is_named(built):
    with open(built / "KB一覧.txt", "ab") as handle:
        handle.write(b"KB5099999\n")
    report = b.verify(str(built))
    assert kinds(report) == [("size", "KB一覧.txt")]


def test_tampered_manifest_is_refused(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    manifest["approval"]["approver"] = "someone-else"
    (built / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    report = b.verify(str(built))
    assert ("manifest_tampered", "manifest.json") in kinds(report)
    assert not report["ok"]


def test_manifest_rewritten_with_its_digest_is_caught_by_the_recorded_digest(built):
    recorded = b.sha256_bytes((built / "manifest.json").read_bytes())
    (built / "x64" / "windows10.0-kb5034441-x64.cab").write_bytes(b"replaced")
    forged = b.build_manifest(str(built), KBS, APPROVAL)
    b.write(str(built), b.manifest_bytes(forged))
    assert b.verify(str(built))["ok"]  # consistent in itself
    report = b.verify(str(built), expected_sha256=recorded)
    assert kinds(report) == [("manifest_tampered", "manifest.json")]


def test_every_problem_is_named_at_once(built):
    (built / "windows10.0-kb5034123-x64.msu").unlink()
    (built / "x64" / "windows10.0-kb5034441-x64.cab").write_bytes(b"WinRE update\n" * 999 + b"WinRE updatX\n")
    (built / "extra.txt").write_text("x", encoding="utf-8")
    (built / "manifest.json.sha256").write_text("0" * 64 + "  manifest.json\n", encoding="ascii")
    report = b.verify(str(built))
    assert kinds(report) == [
        ("changed", "x64/windows10.0-kb5034441-x64.cab"),
        ("extra", "extra.txt"),
        ("manifest_tampered", "manifest.json"),
        ("missing", "windows10.0-kb5034123-x64.msu"),
    ]
    assert len(report["problems"]) == 4


def test_missing_manifest_and_digest_are_named(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    report = b.verify(str(folder))
    assert kinds(report) == [
        ("digest_missing", "manifest.json.sha256"),
        ("manifest_missing", "manifest.json"),
    ]


def test_manifest_path_escaping_the_folder_is_refused(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][0]["path"] = "../outside.txt"
    data = b.manifest_bytes(manifest)
    b.write(str(built), data)
    report = b.verify(str(built))
    assert ("manifest_invalid", "../outside.txt") in kinds(report)
    assert not report["ok"]


def test_bad_inputs_are_all_named_before_anything_is_written(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    with pytest.raises(b.BundleError) as err:
        b.build_manifest(
            str(folder),
            ["KB5034441", "5034123", "KB5034441"],
            {"plan_id": "", "approver": "u0123", "approved_at": "yesterday"},
        )
    problems = err.value.problems
    assert any("5034123" in p for p in problems)
    assert any("重複" in p for p in problems)
    assert any("approval.plan_id" in p for p in problems)
    assert any("approval.approved_at" in p for p in problems)
    assert not (folder / "manifest.json").exists()


# ---- the module, through Ansible on the controller ----


def run_module(args, check=False, diff=False):
    options = tuple(o for o, on in (("--check", check), ("--diff", diff)) if on)
    return _adhoc("localhost", "patch_bundle", json.dumps(args, ensure_ascii=False), options=options)[
        "localhost"
    ]


def test_module_build_check_mode_writes_nothing_then_builds_once_then_verifies(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    args = {"path": str(folder), "state": "built", "kbs": KBS, "approval": APPROVAL}

    check = run_module(args, check=True, diff=True)
    assert not check.get("failed"), check
    assert check["changed"] is True and check["files"] == 3
    assert not (folder / "manifest.json").exists() and not (folder / "manifest.json.sha256").exists()
    assert '"plan_id": "WP-2026-0142"' in check["diff"]["after"]

    first = run_module(args)
    assert not first.get("failed"), first
    assert first["changed"] is True and first["manifest_sha256"] == check["manifest_sha256"]
    assert (folder / "manifest.json.sha256").read_text(encoding="ascii").split()[0] == first[
        "manifest_sha256"
    ]

    second = run_module(args)
    assert second["changed"] is False and second["manifest_sha256"] == first["manifest_sha256"]
    assert run_module(args, check=True)["changed"] is False

    verify = {"path": str(folder), "state": "verified", "manifest_sha256": first["manifest_sha256"]}
    ok = run_module(verify, check=True)
    assert not ok.get("failed"), ok
    assert ok["changed"] is False and ok["checked"] == 3
    assert run_module(verify)["checked"] == 3


def test_module_refuses_a_changed_bundle_naming_every_problem(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    assert not run_module({"path": str(folder), "state": "built", "kbs": KBS, "approval": APPROVAL}).get(
        "failed"
    )
    target = folder / "windows10.0-kb5034123-x64.msu"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF
    target.write_bytes(bytes(data))
    (folder / "KB一覧.txt").unlink()
    before = (folder / "manifest.json").read_bytes()

    result = run_module({"path": str(folder), "state": "verified"}, check=True)
    assert result.get("failed") and result["changed"] is False
    assert "windows10.0-kb5034123-x64.msu" in result["msg"] and "KB一覧.txt" in result["msg"]
    assert sorted(f["kind"] for f in result["findings"]) == ["changed", "missing"]
    assert (folder / "manifest.json").read_bytes() == before


def test_module_build_refuses_without_approval_fields(tmp_path):
    folder = make_updates(tmp_path / "bundle")
    result = run_module(
        {"path": str(folder), "state": "built", "kbs": KBS, "approval": {"plan_id": "WP-1", "approver": "u1"}}
    )
    assert result.get("failed") and "approved_at" in result["msg"]
    assert not (folder / "manifest.json").exists()


# --- bundles of Linux packages -----------------------------------------------------------------

PACKAGES = [
    {"name": "jichitai-lab-tools", "version": "1.0.1-1", "file": "debs/jichitai-lab-tools_1.0.1-1_all.deb"},
    {"name": "jichitai-lab-agent", "version": "1:1.1.0-1", "file": "jichitai-lab-agent_1.1.0-1_all.deb"},
]


def make_packages(folder: Path) -> Path:
    (folder / "debs").mkdir(parents=True)
    (folder / "debs" / "jichitai-lab-tools_1.0.1-1_all.deb").write_bytes(b"!<arch>\ntools\n")
    (folder / "jichitai-lab-agent_1.1.0-1_all.deb").write_bytes(b"!<arch>\nagent\n" * 100)
    return folder


def test_packages_alone_need_no_kbs_and_are_listed_by_name(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    manifest = b.build_manifest(str(folder), None, APPROVAL, PACKAGES)
    assert manifest["kbs"] == []
    assert [p["name"] for p in manifest["packages"]] == ["jichitai-lab-agent", "jichitai-lab-tools"]
    assert manifest["packages"][0] == PACKAGES[1]
    b.write(str(folder), b.manifest_bytes(manifest))
    report = b.verify(str(folder))
    assert report["ok"], report["problems"]
    assert report["checked"] == 2


def test_a_kb_bundle_keeps_its_manifest_without_a_packages_key(built):
    manifest = json.loads((built / "manifest.json").read_text(encoding="utf-8"))
    assert "packages" not in manifest
    assert (
        b.manifest_bytes(b.build_manifest(str(built), KBS, APPROVAL))
        == (built / "manifest.json").read_bytes()
    )


def test_neither_kbs_nor_packages_is_refused(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    with pytest.raises(b.BundleError) as caught:
        b.build_manifest(str(folder), [], APPROVAL, [])
    assert any(p.startswith("kbs:") for p in caught.value.problems)


def test_bad_packages_are_all_named(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    bad = [
        {"name": "Bad_Name", "version": "1.0", "file": "debs/jichitai-lab-tools_1.0.1-1_all.deb"},
        {"name": "jichitai-lab-agent", "version": "", "file": "../etc/passwd"},
        {"name": "jichitai-lab-agent", "version": "1.1.0-1", "file": "not-there.deb"},
    ]
    with pytest.raises(b.BundleError) as caught:
        b.build_manifest(str(folder), None, APPROVAL, bad)
    text = "\n".join(caught.value.problems)
    assert "packages 1 件目（Bad_Name）: name" in text
    assert "packages 2 件目（jichitai-lab-agent）: version" in text
    assert "packages 2 件目（jichitai-lab-agent）: file" in text
    assert "同じパッケージが複数あります（jichitai-lab-agent）" in text
    with pytest.raises(b.BundleError) as caught:
        b.build_manifest(str(folder), None, APPROVAL, [bad[2]])
    assert caught.value.problems == [
        "packages jichitai-lab-agent: ファイルがバンドルにありません: not-there.deb"
    ]


def test_changed_package_file_is_refused_naming_it(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    b.write(str(folder), b.manifest_bytes(b.build_manifest(str(folder), None, APPROVAL, PACKAGES)))
    deb = folder / "debs" / "jichitai-lab-tools_1.0.1-1_all.deb"
    data = bytearray(deb.read_bytes())
    data[-2] ^= 0x01
    deb.write_bytes(bytes(data))
    report = b.verify(str(folder))
    assert kinds(report) == [("changed", "debs/jichitai-lab-tools_1.0.1-1_all.deb")]


def test_manifest_package_without_its_file_in_files_is_invalid(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    manifest = b.build_manifest(str(folder), None, APPROVAL, PACKAGES)
    manifest["packages"].append({"name": "evil", "version": "9.9-1", "file": "evil_9.9-1_all.deb"})
    b.write(str(folder), b.manifest_bytes(manifest))
    report = b.verify(str(folder))
    assert not report["ok"]
    assert (
        "manifest.json: パッケージのファイルが files にありません: evil_9.9-1_all.deb" in report["problems"]
    )


def test_module_builds_a_package_bundle_without_kbs_and_refuses_neither(tmp_path):
    folder = make_packages(tmp_path / "bundle")
    result = run_module({"path": str(folder), "state": "built", "packages": PACKAGES, "approval": APPROVAL})
    assert not result.get("failed"), result
    assert result["changed"] and result["manifest"]["packages"][1]["name"] == "jichitai-lab-tools"
    again = run_module({"path": str(folder), "state": "built", "packages": PACKAGES, "approval": APPROVAL})
    assert again["changed"] is False
    neither = run_module({"path": str(folder), "state": "built", "approval": APPROVAL})
    assert neither.get("failed") and "kbs, packages" in neither["msg"], neither
