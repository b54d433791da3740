"""A dirty HR list against the lab's Samba AD (§6-3(7) OPS-MOVE): one row naming another person than
the directory holds under its staff number, one order of another date, a concurrent post ordered
twice, one new hire under two staff numbers, and a move within its department. A check run of
playbooks/personnel_transfer.yml reports every error in ONE pass, with file, line, column and both
values, lists the doubtful row to check, writes no import file, and the directory and the share
are the same before and after.

The list names the lab's own sample users (lab/samba/sample_users.yml, displayName with an ASCII
space, no kana), so no roster has to be seeded and nothing has to be restored."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
import personnel_lab

pytestmark = [pytest.mark.lab]

HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"
ROWS = [
    # 2: identity - 100002 is 佐藤 花子 in the directory; 山田 太郎 is 100001
    "100002,山田　太郎,,配置換,110100,120100,主事,2027/04/01",
    # 3: date - an order of last year's transfer
    "100005,田中　健,,配置換,130300,130100,係長,2026/04/01",
    # 4-5: a concurrent post ordered twice (by code and by name)
    "100003,鈴木　一郎,,兼務,120200,130100,課長（兼務）,2027/04/01",
    "100003,鈴木　一郎,,兼務,120200,企画課,課長（兼務）,2027/04/01",
    # 6-7: one new hire under two staff numbers
    "399001,中村　蒼,ナカムラ　アオイ,採用,,120100,主事,2027/04/01",
    "399002,中村　蒼,ﾅｶﾑﾗ ｱｵｲ,採用,,総務課,主事,2027/04/01",
    # 8: a move that stays in its department (a doubt, not an error)
    "100004,髙橋　美咲,,配置換,120200,120200,主任,2027/04/01",
]
EXPECTED_ERRORS = [
    "dirty.csv 2行目 2列目（氏名） 職員番号 100002: 氏名が AD の職員番号 100002 の氏名と違います"
    "（リスト: 山田　太郎、AD: 佐藤 花子）。別の職員の番号ではありませんか。"
    "リストの氏名は AD では職員番号 100001 です",
    "dirty.csv 3行目 8列目（発令日） 職員番号 100005: 発令日 2026/04/01（2026-04-01）がこの異動の発令日"
    "（2027-04-01）ではありません。別の異動の発令ではありませんか",
    "dirty.csv 4行目 6列目（新所属） 職員番号 100003: "
    "同じ兼務先 130100 企画課 への兼務が重複しています（5行目）",
    "dirty.csv 5行目 6列目（新所属） 職員番号 100003: "
    "同じ兼務先 130100 企画課 への兼務が重複しています（4行目）",
    "dirty.csv 6行目 2列目（氏名） 職員番号 399001: 同じ氏名・氏名カナの採用が別の職員番号にもあります"
    "（7行目 職員番号 399002）。同じ人を二重に採用していませんか",
    "dirty.csv 7行目 2列目（氏名） 職員番号 399002: 同じ氏名・氏名カナの採用が別の職員番号にもあります"
    "（6行目 職員番号 399001）。同じ人を二重に採用していませんか",
]
EXPECTED_DOUBT = (
    "8行目 6列目（新所属） 職員番号 100004: 配置換ですが旧所属と新所属が同じです（120200 人事課）。"
    "課内の異動なら AD の所属は変わりません。新所属の誤りでないか確認してください"
)


@pytest.fixture(scope="module")
def project(lab, tmp_path_factory):
    base = tmp_path_factory.mktemp("dirty")
    run_dir = Path(getattr(lab, "run_dir", ROOT / "lab" / "run"))
    copy = personnel_lab.project_copy(base / "project", run_dir)
    folder = copy / "work" / "transfers" / "dirty"
    folder.mkdir(parents=True)
    (folder / "dirty.csv").write_bytes(("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp932"))
    (folder / "transfer.yml").write_text(
        "---\npersonnel_transfer_id: dirty\npersonnel_transfer_effective_date: '2027-04-01'\n"
        "personnel_transfer_cutover_from: '2027-03-31T20:00'\npersonnel_transfer_hr_list: dirty.csv\n",
        encoding="utf-8",
    )
    return copy, folder, run_dir


def test_a_dirty_list_is_refused_whole_in_one_pass_and_nothing_changes(project):
    copy, folder, run_dir = project
    access = personnel_lab.lab_access(run_dir)
    before = personnel_lab.snapshot(access)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(copy / "ansible.cfg"),
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{copy / 'inventories/lab/.vault-pass.lab'}",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        JICHITAI_WORKPLAN_LAB="1",
        LAB_RUN=str(run_dir),
    )
    out = subprocess.run(
        [
            str(ROOT / ".venv/bin/ansible-playbook"),
            "playbooks/personnel_transfer.yml",
            "--check",
            "--diff",
            "-e",
            f"personnel_transfer_dir={folder}",
            "-e",
            "workplan_window_start=2027-03-25T18:00",
            "-e",
            "workplan_window_end=2027-04-01T08:00",
            "-e",
            "workplan_now=2027-03-15T10:00",
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    text = out.stdout + out.stderr
    assert out.returncode != 0, text[-4000:]
    # one failed task - the first that reads the list - with every error of every class in it
    assert text.count("fatal: ") == 1 and "failed=1" in text, text[-6000:]
    lines = text.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("[ERROR]: Task failed: Module failed: ")
    )
    assert lines[start] == (
        f"[ERROR]: Task failed: Module failed: 人事異動リスト {folder / 'dirty.csv'}（cp932）に"
        f" {len(EXPECTED_ERRORS)} 件の誤りがあります。何も変更していません:"
    )
    reported = lines[start + 1 : next(i for i in range(start, len(lines)) if lines[i].startswith("Origin: "))]
    assert reported == [*EXPECTED_ERRORS, "要確認（誤りではありません）:", EXPECTED_DOUBT], text[-6000:]
    assert personnel_lab.snapshot(access) == before, "the directory or the share changed"
    assert not (copy / "work" / "personnel" / "dirty").exists(), "import files were written"
