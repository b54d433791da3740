"""Lab: values that the directory or an import file would refuse are input errors before the first
change (§6-3(7) OPS-MOVE). One transfer carries one of each - NUL, TAB and bidi characters in names,
radicals in place of kanji (課⾧), a title over 128 characters, an account name over 20, a character
CP932 cannot carry in the list and in the PC ledger, a row saved in another encoding - and the
playbook, planned and applied, refuses with every error by file, line and column; the directory,
the department folders and the import files are as they were (check -> refuse -> state equal)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import personnel_lab
import pytest

pytestmark = [pytest.mark.lab, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NEXT = ROOT / "inventories/moriguchi/transfers/2027-04/organisation.yml"
HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"
ROWS = [
    "270101,德永\x00蓮,トクナガ　レン,採用,,120100,主事,2027/04/01",
    "270102,𠮷田　太郎,ヨシダ　タロウ,採用,,120100,主事,2027/04/01",
    "270103,⾧谷川　蓮,ハセガワ　レン,採用,,120100,課⾧,2027/04/01",
    f"270104,德永　湊,トクナガ　ミナト,採用,,120100,{'係' * 129},2027/04/01",
    "270105,德永\t陽,トクナガ　ヒナタ,採用,,120100,主事,2027/04/01",
    "270106,德永\u202e葵,トクナガ　アオイ,採用,,120100,主事,2027/04/01",
    "12345678901234567890,德永　蒼,トクナガ　アオ,採用,,120100,主事,2027/04/01",
]
CP932_ROW = "270107,山﨑　花子,ヤマザキ　ハナコ,採用,,120100,主事,2027/04/01"
LEDGER = "資産番号,種別,設置場所,所属,利用者\r\nNB-1,ノートPC,本庁,総務部/総務課,𠮷田　花子\r\n"
EXPECTED = [
    "list.csv 2行目 2列目（氏名） 職員番号 270101: 3文字目: NUL（U+0000）は使えません",
    "list.csv 3行目 2列目（氏名） 職員番号 270102: 1文字目: 「𠮷」（U+20BB7）は CP932 で書けません",
    "list.csv 4行目 2列目（氏名） 職員番号 270103: 1文字目: 部首の文字「⾧」",
    "list.csv 4行目 7列目（新職名） 職員番号 270103: 2文字目: 部首の文字「⾧」",
    "list.csv 5行目 7列目（新職名） 職員番号 270104: 129 文字あります（AD の title は 128 文字まで）",
    "list.csv 6行目 2列目（氏名） 職員番号 270105: 3文字目: 改行・タブ（TAB, U+0009）",
    "list.csv 7行目 2列目（氏名） 職員番号 270106: 3文字目: 双方向制御文字 RLO（U+202E）",
    "list.csv 8行目 1列目（職員番号） 職員番号 12345678901234567890: "
    "アカウント名 u12345678901234567890 が 21 文字です",
    "list.csv 9行目 2列目（氏名）: この行だけ CP932（Shift_JIS） で保存されています（ファイルは utf-8-sig）",
    "ledger.csv 2行目 5列目（利用者）: 1文字目: "
    "「𠮷」（U+20BB7）は CP932 で書けません（pc_assets.csv・plan_by_person.csv）",
]


def transfer(project: Path) -> str:
    folder = project / "work" / "transfers" / "targets"
    folder.mkdir(parents=True)
    data = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("utf-8-sig") + (CP932_ROW + "\r\n").encode("cp932")
    (folder / "list.csv").write_bytes(data)
    (folder / "ledger.csv").write_bytes(LEDGER.encode("utf-8"))  # no BOM: its copy is written in CP932
    (folder / "organisation.yml").write_bytes(NEXT.read_bytes())
    (folder / "transfer.yml").write_text(
        "---\npersonnel_transfer_id: targets\npersonnel_transfer_effective_date: '2027-04-01'\n"
        "personnel_transfer_cutover_from: '2027-03-31T20:00'\npersonnel_transfer_hr_list: list.csv\n"
        "personnel_transfer_org_next_file: organisation.yml\npersonnel_transfer_ledger: ledger.csv\n",
        encoding="utf-8",
    )
    return str(folder)


def playbook(project: Path, run_dir: Path, vault_pass: Path, folder: str, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(project / "ansible.cfg"),
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{project / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        JICHITAI_WORKPLAN_LAB="1",
        JICHITAI_HR_VAULT_ID=f"hr2027@{vault_pass}",
        LAB_RUN=str(run_dir),
    )
    cmd = [
        str(ROOT / ".venv/bin/ansible-playbook"),
        "playbooks/personnel_transfer.yml",
        "-e",
        f"personnel_transfer_dir={folder}",
        "-e",
        "workplan_unplanned_ok=true",
        "-e",
        "workplan_unplanned_reason=試験",
        "-e",
        "workplan_now=2027-03-31T21:00",
        *args,
    ]
    out = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    return out.returncode, out.stdout + out.stderr


def test_values_a_target_refuses_are_input_errors_and_nothing_changes(lab, tmp_path):
    run_dir = Path(getattr(lab, "run_dir", ROOT / "lab" / "run"))
    access = personnel_lab.lab_access(run_dir)
    personnel_lab.restore(access)  # whatever an earlier, aborted run left behind
    before = personnel_lab.snapshot(access)
    project = personnel_lab.project_copy(tmp_path / "project", run_dir)
    vault_pass = tmp_path / "hr-vault-pass"
    vault_pass.write_text("target-checks-vault-pass\n")
    vault_pass.chmod(0o600)
    folder = transfer(project)
    for args in (("--check", "--diff"), ("--diff",)):
        rc, text = playbook(project, run_dir, vault_pass, folder, *args)
        assert rc != 0, text[-4000:]
        assert "件の誤りがあります。何も変更していません" in text, text[-4000:]
        missing = [e for e in EXPECTED if e not in text]
        assert not missing, (missing, text[-6000:])
        assert "Traceback" not in text
    assert personnel_lab.snapshot(access) == before
    assert not (project / "work" / "personnel" / "targets").exists()
