"""playbooks/patch_mynumber_bundle.yml on the lab: the lab's Debian packages (lab/aptrepo) cross from
the LGWAN side to mnxfer01 through the lgwan_mynumber transfer stand-in (70-transfer), are verified on
mnxfer01 and installed there. Check mode lists and changes nothing; a byte flipped after the bundle
crossed, and a file missing, are refused naming the file with nothing installed (that a second apply
changes nothing is the role's molecule scenario's idempotence step, molecule/patch_mynumber_bundle).
mnxfer01 is put back as it was (packages, bundle folders, reboot flag, drop)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import LAB_INVENTORY, REPO, VENV_BIN, _adhoc

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PLAYBOOK = REPO / "playbooks" / "patch_mynumber_bundle.yml"
HOST = "mnxfer01"
STAGING = "/var/lib/jichitai-ops/patch-bundle"
PACKAGES = [
    {"name": "jichitai-lab-agent", "version": "1.1.0-1"},
    {"name": "jichitai-lab-tools", "version": "1.0.1-1"},
]
APPROVAL = {
    "plan_id": "WP-LAB-PATCH-MN",
    "approver": "検証 承認者",
    "approved_at": "2026-12-14T10:05:00+09:00",
}
# the role's bundle id: the approved name=version list, sorted, hashed
BUNDLE = (
    "mynumber-"
    + hashlib.sha256(",".join(sorted(f"{p['name']}={p['version']}" for p in PACKAGES)).encode()).hexdigest()[
        :12
    ]
)
RESTORE = (
    "dpkg --purge jichitai-lab-agent jichitai-lab-tools >/dev/null; "
    f"rm -rf {STAGING}; rm -f /srv/xfer/*/inbox/mynumber-*; "
    'if [ "$(cat /run/reboot-required.pkgs 2>/dev/null)" = jichitai-lab-agent ]; then '
    "rm -f /run/reboot-required /run/reboot-required.pkgs; fi"
)


def on_host(command: str) -> str:
    result = _adhoc(HOST, "ansible.builtin.shell", command)[HOST]
    assert not result.get("failed"), result
    return result["stdout"]


def installed() -> dict:
    out = on_host(
        "dpkg-query -W -f='${Package} ${Status} ${Version}\\n' 'jichitai-lab-*' 2>/dev/null || true"
    )
    return {line.split()[0]: line.split()[-1] for line in out.splitlines() if " installed " in line}


class Runs:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.debs = Path(
            subprocess.run(["bash", str(REPO / "lab/aptrepo/build-packages.sh"), str(tmp / "debs")],
                           capture_output=True, text=True, check=True, timeout=120).stdout.strip()
        )  # fmt: skip
        self.count = 0

    def run(self, check: bool = False, **extra) -> tuple[int, dict]:
        self.count += 1
        variables = {
            "workplan_unplanned_ok": True,
            "workplan_unplanned_reason": "lab integration test",
            "patch_mynumber_bundle_packages": PACKAGES,
            "patch_mynumber_bundle_source_dir": str(self.debs),
            "patch_mynumber_bundle_approval": APPROVAL,
            "patch_mynumber_bundle_build_dir": str(self.tmp / "bundles"),
            "patch_mynumber_bundle_report_dir": str(self.tmp / "runs" / str(self.count)),
            "patch_mynumber_bundle_transfer_timeout": 60,
            **extra,
        }
        path = self.tmp / f"vars-{self.count}.json"
        path.write_text(json.dumps(variables, ensure_ascii=False), encoding="utf-8")
        cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(LAB_INVENTORY), str(PLAYBOOK), "--diff",
               "-e", f"@{path}", *(["--check"] if check else [])]  # fmt: skip
        env = os.environ | {
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "JICHITAI_WORKPLAN_LAB": "1",
            "JICHITAI_WORKPLAN_DIR": str(self.tmp / "plans"),
        }
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False
        )
        start = proc.stdout.find("{")
        assert start >= 0, f"no JSON from ansible-playbook (rc {proc.returncode}): {proc.stderr[-3000:]}"
        report, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
        return proc.returncode, report

    def records(self) -> list[dict]:
        found = sorted((self.tmp / "runs" / str(self.count)).glob("*/patch_records.json"))
        assert found, f"run {self.count} wrote no patch records"
        return json.loads(found[-1].read_text(encoding="utf-8"))

    def summary(self) -> str:
        found = sorted((self.tmp / "runs" / str(self.count)).glob("*/patch_mynumber_bundle.md"))
        return found[-1].read_text(encoding="utf-8")


def task(report: dict, name: str) -> dict:
    for play in report["plays"]:
        for t in play["tasks"]:
            if t["task"]["name"].split(" : ", 1)[-1] == name:
                return t["hosts"][HOST]
    raise AssertionError(f"no task {name!r} in the run")


def changed(report: dict) -> int:
    return report["stats"][HOST]["changed"]


@pytest.fixture(scope="module")
def runs(lab, tmp_path_factory):
    on_host(RESTORE)
    state = Runs(tmp_path_factory.mktemp("patch_mynumber_bundle"))
    out = {}
    try:
        out["check"] = state.run(check=True)
        out["check_installed"] = installed()
        out["apply"] = state.run()
        out["apply_records"], out["apply_summary"] = state.records(), state.summary()
        out["apply_installed"] = installed()
        on_host(RESTORE)

        # one byte flipped after the bundle crossed, before the import
        out["tamper_send"] = state.run(patch_mynumber_bundle_stop_after="received")
        deb = f"{STAGING}/{BUNDLE}/jichitai-lab-tools_1.0.1-1_all.deb"
        flip = (
            "import sys; p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[100] ^= 1; "
            "open(p, 'wb').write(b)"
        )
        on_host(f'python3 -c "{flip}" {deb}')
        out["tamper"] = state.run()
        out["tamper_records"] = state.records()
        out["tamper_installed"] = installed()
        out["tamper_left"] = on_host(f"ls {STAGING}")

        # a file missing
        out["missing_send"] = state.run(patch_mynumber_bundle_stop_after="received")
        on_host(f"rm {STAGING}/{BUNDLE}/jichitai-lab-agent_1.1.0-1_all.deb")
        out["missing"] = state.run()
        out["missing_installed"] = installed()
    finally:
        on_host(RESTORE)
    out["restored"] = (
        installed(),
        on_host(f"ls -A {STAGING} 2>/dev/null; ls -A /srv/xfer/*/inbox | grep mynumber- || true"),
    )
    return out


def test_check_mode_lists_the_versions_and_changes_nothing(runs):
    rc, report = runs["check"]
    assert rc == 0, report["stats"]
    shown = task(report, "Show what the bundle does here (適用予定)")["msg"]
    assert shown == [
        "jichitai-lab-agent 未導入 → 1.1.0-1: 適用する",
        "jichitai-lab-tools 未導入 → 1.0.1-1: 適用する",
    ]
    assert runs["check_installed"] == {}


def test_apply_installs_the_approved_versions_from_the_verified_bundle(runs):
    rc, report = runs["apply"]
    assert rc == 0, report["stats"]
    assert runs["apply_installed"] == {"jichitai-lab-agent": "1.1.0-1", "jichitai-lab-tools": "1.0.1-1"}
    verified = task(report, "Verify the bundle against its manifest before the import (改ざん・欠落の確認)")
    assert verified["checked"] == 2 and not verified.get("failed")
    [record] = runs["apply_records"]
    assert record["host"] == HOST and record["segment"] == "mynumber"
    assert record["result"] == "pending_reboot" and record["reboot_required"] is True
    assert record["packages"]["jichitai-lab-agent"] == {
        "version": "1.1.0-1",
        "state": "installed",
        "previous": None,
    }
    assert record["manifest_sha256"] == verified["manifest_sha256"]


def test_the_record_is_one_the_patch_status_reads(runs):
    from ansible.module_utils.patch import status

    summary = status.summarise(runs["apply_records"])
    assert summary["segments"][0]["segment"] == "mynumber"
    assert summary["total"]["pending_reboot"] == 1


def test_the_summary_names_the_bundle_digest_approver_and_what_was_installed(runs):
    text = runs["apply_summary"]
    digest = runs["apply_records"][0]["manifest_sha256"]
    assert f"| マニフェストの SHA-256 | `{digest}` |" in text
    assert "| 承認者 | 検証 承認者 |" in text and "| 作業計画 | WP-LAB-PATCH-MN |" in text
    assert (
        "| jichitai-lab-agent_1.1.0-1_all.deb | 1,056 |" in text
        or "jichitai-lab-agent_1.1.0-1_all.deb |" in text
    )
    assert "| jichitai-lab-agent | 未導入 | 1.1.0-1 | 適用済 |" in text
    assert "再起動の要否 | 要" in text
    assert "### mnxfer01（個人番号利用事務系）: 再起動待ち" in text


def test_a_byte_flipped_after_the_transfer_is_refused_naming_the_file(runs):
    rc, report = runs["tamper_send"]
    assert rc == 0, report["stats"]
    rc, report = runs["tamper"]
    assert rc != 0
    failed = task(report, "Refuse the bundle, naming every problem")
    assert failed["msg"].startswith("バンドルを受け入れません（インストールしていません）")
    assert "内容が変更されています: jichitai-lab-tools_1.0.1-1_all.deb" in failed["msg"]
    assert "jichitai-lab-agent" not in failed["msg"]
    assert runs["tamper_installed"] == {}
    [record] = runs["tamper_records"]
    assert record["result"] == "failed"
    assert record["packages"]["jichitai-lab-tools"]["state"] == "missing"
    assert ".refused-" in runs["tamper_left"]


def test_a_missing_file_is_refused_naming_it(runs):
    rc, report = runs["missing_send"]
    assert rc == 0, report["stats"]
    assert changed(report) > 0  # the refused bundle was set aside, so this one crossed again
    rc, report = runs["missing"]
    assert rc != 0
    msg = task(report, "Refuse the bundle, naming every problem")["msg"]
    assert "ファイルがありません: jichitai-lab-agent_1.1.0-1_all.deb" in msg
    assert runs["missing_installed"] == {}


def test_mnxfer01_is_left_as_it_was(runs):
    packages, left = runs["restored"]
    assert packages == {}
    assert left.strip() == ""
