"""Personnel transfers end to end against the lab's Samba AD and file share (§6-3(7) OPS-MOVE).

The April list of 400 orders (inventories/moriguchi/transfers/2027-04, with a reorganisation that
merges 水道総務課 and 水道工務課 into 水道課 and creates こども家庭センター) goes plan -> approve ->
apply through playbooks/personnel_transfer.yml and the work-plan guard, in a committed copy of the
project so that nobody's edits can invalidate the plan. The tests run in order on one rehearsal:

  bad input            every bad row reported with its line, nothing changed
  plan                 check run: a work plan with every person and system, nothing changed
  prepare              approved apply before the cutover time: new OUs, groups, folders, disabled
                       accounts; initial passwords only in the vault-encrypted file
  cutover, cut short   the lab's Samba is stopped (lab/components/20-samba.sh down) while the
                       cutover writes to AD: the run fails clearly
  rerun                Samba back up, the same approved plan again: every order lands, nothing
                       lost or doubled
  access               users log in over LDAPS and SMB: access follows the new department and is
                       gone from the old one; archived folders are read-only; a retiree cannot bind
  second run           a check run and an apply change nothing

The lab's staff come from tools/generate_transfer_list.py --roster and are seeded with
tools/personnel_lab.py; at the end the directory and share are restored to the lab's seeded state
and compared with a snapshot taken before.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import transfer_helpers
from conftest import lab_approver_args

ROOT = Path(__file__).resolve().parents[2]
import personnel_lab
from ansible.module_utils.directory.ldap import LdapDirectory, user_can_bind
from ansible.module_utils.directory.smb import AccessDenied, ShareClient, ShareError
from ansible.module_utils.hr_transfer.transfer_list import parse

pytestmark = [pytest.mark.lab, pytest.mark.slow]

PLAYBOOK = "playbooks/personnel_transfer.yml"
TRANSFER = "inventories/moriguchi/transfers/2027-04"
BASE = personnel_lab.BASE_DN
DEPT_OU = personnel_lab.DEPARTMENTS_OU
WINDOW = ("2027-03-25T18:00", "2027-04-01T08:00")
PLANNED_AT = "2027-03-15T10:00"
PREPARE_AT = "2027-03-25T19:00"
CUTOVER_AT = "2027-03-31T21:00"
USER_PASSWORD = "Lab-Transfer-2027!"  # set by the tests on the few accounts they log in as


class Rehearsal:
    def __init__(self, lab, base: Path):
        self.lab = lab
        self.run_dir = Path(getattr(lab, "run_dir", ROOT / "lab" / "run"))
        self.access = personnel_lab.lab_access(self.run_dir)
        self.base = base
        self.vault_pass = base / "hr-vault-pass"
        self.vault_pass.write_text("rehearsal-vault-pass-2027\n")
        self.vault_pass.chmod(0o600)
        self.roster = base / "roster.csv"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools/generate_transfer_list.py"),
                "--out",
                str(base / "gen"),
                "--roster",
                str(self.roster),
            ],
            check=True,
            capture_output=True,
        )
        self.project = None
        self.plan_id = None
        self.outputs = []

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
        env.update(
            ANSIBLE_CONFIG=str(self.project / "ansible.cfg"),
            ANSIBLE_CALLBACKS_ENABLED="workplan",
            ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{self.project / 'inventories/lab/.vault-pass.lab'}",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            JICHITAI_WORKPLAN_LAB="1",
            JICHITAI_HR_VAULT_ID=f"hr2027@{self.vault_pass}",
            LAB_RUN=str(self.run_dir),
        )
        return env

    def command(self, *args, transfer=TRANSFER):
        return [
            str(ROOT / ".venv/bin/ansible-playbook"),
            PLAYBOOK,
            "-e",
            f"personnel_transfer_dir={transfer}",
            *args,
        ]

    def playbook(self, *args, transfer=TRANSFER, timeout=900):
        out = subprocess.run(
            self.command(*args, transfer=transfer),
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out.text = out.stdout + out.stderr
        self.outputs.append(out.text)
        return out

    def plan(self):
        out = self.playbook(
            "--check",
            "--diff",
            "-e",
            f"workplan_window_start={WINDOW[0]}",
            "-e",
            f"workplan_window_end={WINDOW[1]}",
            "-e",
            f"workplan_now={PLANNED_AT}",
        )
        assert out.returncode == 0, out.text[-6000:]
        self.plan_id = re.search(r"work plan: (\S+)", out.text).group(1)
        self.digest = re.search(r"--digest ([0-9a-f]{64})", out.text).group(1)
        return out

    def approve(self):
        out = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "jichitai-ops"),
                "approve",
                self.plan_id,
                *lab_approver_args(self.project.parent),
                "--digest",
                self.digest,
            ],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stdout + out.stderr

    def apply(self, now, **kw):
        return self.playbook("--diff", "-e", f"workplan_id={self.plan_id}", "-e", f"workplan_now={now}", **kw)

    def unplanned(self, *args, now=CUTOVER_AT, transfer=TRANSFER):
        return self.playbook(
            "-e",
            "workplan_unplanned_ok=true",
            "-e",
            "workplan_unplanned_reason=試験",
            "-e",
            f"workplan_now={now}",
            *args,
            transfer=transfer,
        )

    def directory(self):
        return self.access.directory()

    def accounts(self):
        with self.directory() as d:
            return {
                attrs["employeeID"][0]: (dn, attrs)
                for dn, attrs in d.search(
                    BASE,
                    "(&(objectClass=user)(employeeID=*))",
                    ["employeeID", "title", "department", "userAccountControl", "memberOf"],
                )
            }

    def set_password(self, staff_no):
        dn = self.accounts()[staff_no][0]
        with self.directory() as d:
            d.set_password(dn, USER_PASSWORD)
        return dn

    def output_dir(self):
        return self.project / "work" / "personnel" / "2027-04"


@pytest.fixture(scope="module")
def rehearsal(lab, lab_vars, tmp_path_factory):
    base = tmp_path_factory.mktemp("personnel")
    r = Rehearsal(lab, base)
    r.transfer_saved = transfer_helpers.snapshot(lab_vars)
    r.lab_vars = lab_vars
    personnel_lab.restore(r.access)  # whatever an earlier, aborted run left behind
    r.baseline = personnel_lab.snapshot(r.access)
    personnel_lab.seed(r.access, r.roster)
    r.seeded = personnel_lab.digest(personnel_lab.snapshot(r.access))
    r.project = personnel_lab.project_copy(base / "project", r.run_dir)
    yield r
    for text in r.outputs:  # nothing secret in anything a run printed
        assert "unicodePwd" not in text
    personnel_lab.restore(r.access)
    transfer_helpers.restore(lab_vars, r.transfer_saved)
    assert personnel_lab.snapshot(r.access) == r.baseline, "the lab was not restored to its seeded state"


def orders():
    data = (ROOT / TRANSFER / "hr_transfer_list.csv").read_bytes()
    parsed, issues, _enc = parse(data)
    assert not issues
    return parsed


# ---- bad input -----------------------------------------------------------------------------------
BAD_ROWS = [
    # line 2: unknown department
    "200010,{n200010},,配置換,{d200010},999999,主事,2027/04/01",
    # lines 3-4: one staff number, two people
    "200011,{n200011},,配置換,{d200011},120100,主事,2027/04/01",
    "200011,別人　太郎,ベツジン　タロウ,配置換,{d200011},120100,主事,2027/04/01",
    # line 5: bad date
    "200012,{n200012},,配置換,{d200012},120100,主事,2027/04/31",
    # line 6: a retiree not in AD
    "299998,架空　次郎,カクウ　ジロウ,退職,110100,,,2027/03/31",
    # line 7: a mover not in AD
    "299999,架空　三郎,カクウ　サブロウ,配置換,110100,120100,主事,2027/04/01",
    # line 8: a new hire who already exists
    "200013,{n200013},ヤマダ,採用,,120100,主事,2027/04/01",
    # lines 9-10: one person, conflicting orders
    "200014,{n200014},,配置換,{d200014},120100,主事,2027/04/01",
    "200014,{n200014},,退職,{d200014},,,2027/03/31",
    # line 11: a new department the master does not have
    "200015,{n200015},,配置換,{d200015},160500,主事,2027/04/01",
]
HEADER = "職員番号,氏名,氏名カナ,異動区分,旧所属,新所属,新職名,発令日"


def write_transfer(project: Path, name: str, header: str, rows: list[str]) -> str:
    folder = project / "work" / "transfers" / name
    folder.mkdir(parents=True)
    (folder / "list.csv").write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp932"))
    (folder / "organisation.yml").write_bytes((ROOT / TRANSFER / "organisation.yml").read_bytes())
    (folder / "transfer.yml").write_text(
        "---\npersonnel_transfer_id: bad\npersonnel_transfer_effective_date: '2027-04-01'\n"
        "personnel_transfer_cutover_from: '2027-03-31T20:00'\npersonnel_transfer_hr_list: list.csv\n"
        "personnel_transfer_org_next_file: organisation.yml\n",
        encoding="utf-8",
    )
    return str(folder)


def test_bad_input_is_reported_all_at_once_and_changes_nothing(rehearsal):
    roster = {
        r["職員番号"]: r
        for r in csv.DictReader(io.StringIO(rehearsal.roster.read_text(encoding="utf-8-sig")))
    }
    fill = {}
    for no in ("200010", "200011", "200012", "200013", "200014", "200015"):
        fill[f"n{no}"], fill[f"d{no}"] = roster[no]["氏名"], roster[no]["所属"]
    rows = [row.format(**fill) for row in BAD_ROWS]
    bad = write_transfer(rehearsal.project, "bad", HEADER, rows)
    missing = write_transfer(
        rehearsal.project,
        "missing",
        HEADER.replace(",発令日", ""),
        [",".join(r.split(",")[:7]) for r in rows[:2]],
    )
    for args in ((), ("--check", "--diff")):
        out = rehearsal.unplanned(*args, transfer=bad)
        assert out.returncode != 0
        text = out.text
        assert "件の誤りがあります。何も変更していません" in text, text[-4000:]
        expected = {
            2: "新所属 999999 は新しい所属マスタ",
            3: "職員番号 200011 が別の氏名でも使われています（4行目 別人　太郎）",
            4: "職員番号 200011 が別の氏名でも使われています（3行目",
            5: "発令日が日付ではありません: '2027/04/31'",
            6: "AD にアカウントがありません（退職）",
            7: "AD にアカウントがありません（配置換）",
            8: "採用の職員は既に AD にアカウントがあります",
            9: "同じ職員の発令が矛盾しています: 退職と他の発令が同時にあります",
            10: "同じ職員の発令が矛盾しています: 退職と他の発令が同時にあります",
            11: "新所属 160500 は新しい所属マスタ",
        }
        for line, message in expected.items():
            column = r"(?: \d+列目（[^）]*）)?"  # the column, where the error is in one
            assert re.search(rf"{line}行目{column} 職員番号 \d+: {re.escape(message)}", text), (
                f"line {line}: {message}"
            )
        out = rehearsal.unplanned(*args, transfer=missing)
        assert out.returncode != 0 and "1行目: 必須の列がありません: 発令日" in out.text
    assert personnel_lab.digest(personnel_lab.snapshot(rehearsal.access)) == rehearsal.seeded
    assert not (rehearsal.project / "work" / "personnel" / "bad").exists()


# ---- plan, approve, prepare -------------------------------------------------------------------------
def test_plan_lists_every_person_and_system_and_changes_nothing(rehearsal):
    out = rehearsal.plan()
    # Ansible's default output prints every diff entry (text or a mapping, never a list)
    assert "Callback dispatch" not in out.text, out.text[-3000:]
    assert "before: 手作業の取込（チェックリスト）" in out.stdout, out.stdout[-3000:]
    plan_dir = rehearsal.project / "work" / "plans" / rehearsal.plan_id
    text = (plan_dir / "plan.md").read_text(encoding="utf-8")
    assert "§6-3(7) OPS-MOVE" in text
    for expected in (
        "270001 ",
        "[準備] アカウント作成（無効",
        "[切替] OU 移動 → OU=190300",
        "g-190300-staff",
        "異動者 ",
        "SKYSEA",
        "ワークフロー承認者",
        "転送システム",
        "skysea_users.csv",
        "□ SKYSEA",
        "水道局/水道課",
        "廃止: 読み取り専用で保存",
        "企画財政部/DX推進課",
        # the transfer systems change in the same plan, one diff entry per user, group or route
        "ファイル転送システムの切替（利用者・承認者・送信経路）",
        "internet_lgwan users u",
        "lgwan_mynumber users u",
        "取込不要（transfer_accounts が同じ作業で反映。ファイルは記録用）",
    ):
        assert expected in text, expected
    people = {o.staff_no for o in orders()}
    assert all(f"{no} " in text for no in people), "a person of the list is missing from the plan"
    assert (plan_dir / "plan.xlsx").stat().st_size > 0
    assert personnel_lab.digest(personnel_lab.snapshot(rehearsal.access)) == rehearsal.seeded
    assert transfer_helpers.snapshot(rehearsal.lab_vars) == rehearsal.transfer_saved
    assert not rehearsal.output_dir().exists()


def test_prepare_creates_disabled_accounts_and_vaults_their_passwords(rehearsal):
    rehearsal.approve()
    out = rehearsal.apply(PREPARE_AT)
    assert out.returncode == 0, out.text[-6000:]
    assert "計画外 0 件" in out.text and "相違 0 件" in out.text
    # the prepare work is recorded as done, so that the cutover runs do not repeat it
    assert "personnel_transfer_prepared:" in (rehearsal.output_dir() / "prepared.yml").read_text(
        encoding="utf-8"
    )
    accounts = rehearsal.accounts()
    hires = [o for o in orders() if o.kind in ("採用", "転入")]
    for order in hires:
        dn, attrs = accounts[order.staff_no]
        assert int(attrs["userAccountControl"][0]) & 2, f"{order.staff_no} must be created disabled"
        assert dn.endswith(f"OU={order.new_dept},{DEPT_OU}")
    assert accounts["200001"][0].endswith(f"OU=150600,{DEPT_OU}")  # prepare moves nobody
    vault = rehearsal.output_dir() / "initial_passwords.vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;hr2027")
    plain = subprocess.run(
        [
            str(ROOT / ".venv/bin/ansible-vault"),
            "view",
            "--vault-id",
            f"hr2027@{rehearsal.vault_pass}",
            str(vault),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import yaml

    passwords = yaml.safe_load(plain)["personnel_transfer_initial_passwords"]
    assert sorted(passwords) == sorted(o.staff_no for o in hires)
    for staff_no, entry in passwords.items():
        assert len(entry["password"]) == 16
        for place in [
            *rehearsal.outputs,
            *(
                p.read_text(errors="ignore")
                for p in (rehearsal.project / "work").rglob("*")
                if p.is_file() and p != vault
            ),
        ]:
            assert entry["password"] not in place, f"the initial password of {staff_no} leaked"
    with ShareClient("127.0.0.1", "share", "Administrator", rehearsal.access.password) as share:
        assert share.exists("水道局/水道課") and share.exists("こども部/こども家庭センター")
        assert share.exists("企画財政部/デジタル戦略課")  # renamed at cutover, not before


# ---- cutover, cut short, and the rerun ---------------------------------------------------------------
def samba(rehearsal, action):
    env = os.environ | {"LAB_RUN": str(rehearsal.run_dir), "LAB_COMPONENT": "20-samba"}
    return subprocess.run(
        ["bash", str(ROOT / "lab/components/20-samba.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def moved_into(rehearsal, ou):
    try:
        with LdapDirectory(
            rehearsal.access.url,
            rehearsal.access.bind_dn,
            rehearsal.access.password,
            rehearsal.access.ca_file,
            BASE,
            timeout=5,
        ) as d:
            return sum(1 for _ in d.search(f"{ou},{DEPT_OU}", "(objectClass=user)", ["cn"], scope="subtree"))
    except Exception:  # noqa: BLE001 - the server may be busy with the apply; ask again
        return 0


def run_processes(marker: str) -> list[int]:
    """Live processes whose command line carries MARKER (an argument unique to one run)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in args and state != "Z":
            found.append(int(entry.name))
    return found


def session_processes(sid: int) -> list[str]:
    """The processes of the session SID (the run was started as its leader): pid and command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:200]
                found.append(f"{entry.name}: {command!r}")
        except (OSError, IndexError, ValueError):
            continue
    return found


def killed_run_journal(rehearsal):
    """The module journal of the runs under the plan that never ended (no end event in their task journal)."""
    folder = rehearsal.project / "work" / "plans" / rehearsal.plan_id / "journal"
    return [
        folder / tasks.name.replace(".tasks.", ".changes.")
        for tasks in sorted(folder.glob("*.tasks.jsonl"))
        if '"event": "end"' not in tasks.read_text(encoding="utf-8")
        and (folder / tasks.name.replace(".tasks.", ".changes.")).is_file()
    ]


def test_a_killed_cutover_stops_its_module_and_is_reported_from_the_journal(rehearsal, tmp_path):
    """kill -9 of ansible-playbook while the AD cutover writes: the module stops before its next write
    (it watches the controller process), and `jichitai-ops report` writes the killed run's report with
    every change the module journalled."""
    log = (tmp_path / "killed.log").open("w")
    proc = subprocess.Popen(
        rehearsal.command(
            "--diff", "-e", f"workplan_id={rehearsal.plan_id}", "-e", f"workplan_now={CUTOVER_AT}"
        ),
        cwd=rehearsal.project,
        env=rehearsal.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its workers and modules are found by session after the kill
    )
    deadline = time.monotonic() + 600
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if moved_into(rehearsal, "OU=190300") >= 3:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    proc.wait(timeout=60)
    log.close()
    rehearsal.outputs.append((tmp_path / "killed.log").read_text(errors="replace"))
    gone_by = time.monotonic() + 60
    while session_processes(proc.pid) and time.monotonic() < gone_by:
        time.sleep(0.2)
    left = session_processes(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    # Ansible's workers start sessions of their own (setsid) and wait forever on the killed parent's
    # queue: idle, but not to be left behind on the machine
    for stray in run_processes(f"workplan_id={rehearsal.plan_id}"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(stray, signal.SIGKILL)
    assert killed, "the cutover finished before it could be killed"
    assert not left, "processes of the killed run went on:\n" + "\n".join(left)
    moved = moved_into(rehearsal, "OU=190300")
    time.sleep(3)
    assert moved_into(rehearsal, "OU=190300") == moved, "AD changed after every process of the run was gone"
    assert unmet(rehearsal), "every order had landed before the kill: the drill proves nothing"

    journal = [json.loads(line) for f in killed_run_journal(rehearsal) for line in f.read_text().splitlines()]
    writes = [
        j for j in journal if j["module"] == "personnel_phase" and j["ok"] and j["action"] != "abandoned"
    ]
    assert len(writes) >= 3 and any(j["action"] == "abandoned" for j in journal), journal[-3:]

    out = subprocess.run(
        [str(ROOT / ".venv/bin/jichitai-ops"), "report", rehearsal.plan_id],
        cwd=rehearsal.project,
        env=rehearsal.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 5, out.stdout + out.stderr  # review
    assert "中断" in out.stdout and "jichitai-ops apply" in out.stdout, out.stdout
    reports = sorted((rehearsal.project / "work/plans" / rehearsal.plan_id / "reports").glob("*-interrupted"))
    assert len(reports) == 1
    report = json.loads((reports[0] / "report.json").read_text(encoding="utf-8"))
    assert report["interrupted"] and report["verdict"] == "review"
    cut = [r for r in report["rows"] if "Cut over AD" in r["task"]]
    assert cut and cut[0]["actual"] == "failed", [(r["task"], r["verdict"]) for r in report["rows"]]
    journalled = "".join(d.get("prepared", "") for d in cut[0]["actual_diffs"])
    assert sum(1 for line in journalled.splitlines() if line.startswith("+ ")) == len(writes)


def journal_writes(rehearsal, module="personnel_phase", skip=(), share=False):
    """Changes MODULE journalled under the plan, in runs other than SKIP (journal file names): those to
    the directory, or with SHARE those to the file share (target //server/share)."""
    folder = rehearsal.project / "work" / "plans" / rehearsal.plan_id / "journal"
    count = 0
    for path in folder.glob("*.changes.jsonl"):
        if path.name in skip:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # being written
                continue
            on_share = str(entry.get("target", "")).startswith("//")
            count += (
                entry.get("module") == module
                and entry.get("ok")
                and entry.get("action") != "abandoned"
                and on_share == share
            )
    return count


def test_cutover_fails_clearly_when_the_directory_stops_mid_apply(rehearsal):
    journal = rehearsal.project / "work" / "plans" / rehearsal.plan_id / "journal"
    earlier_runs = {p.name for p in journal.glob("*.changes.jsonl")}
    proc = subprocess.Popen(
        rehearsal.command(
            "--diff", "-e", f"workplan_id={rehearsal.plan_id}", "-e", f"workplan_now={CUTOVER_AT}"
        ),
        cwd=rehearsal.project,
        env=rehearsal.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 600
    stopped = False
    while time.monotonic() < deadline and proc.poll() is None:
        if journal_writes(rehearsal, skip=earlier_runs) >= 3:  # this run's own AD writes
            result = samba(rehearsal, "down")
            assert result.returncode == 0, result.stderr
            stopped = True
            break
        time.sleep(0.05)
    text = proc.communicate(timeout=600)[0]
    rehearsal.outputs.append(text)
    try:
        assert stopped, "the cutover finished before the directory could be stopped:\n" + text[-3000:]
        assert proc.returncode != 0
        assert "AD への適用が" in text and "もう一度実行すると残りが適用されます" in text, text[-4000:]
        # the cutover stopped at its AD step: no folder of the share was touched by this run
        assert journal_writes(rehearsal, skip=earlier_runs, share=True) == 0
    finally:
        result = samba(rehearsal, "up")
        assert result.returncode == 0, result.stderr[-3000:]
    assert unmet(rehearsal), "every order had landed before the stop: the interruption proves nothing"


def expected_state():
    """What the list asks for, read straight from its rows (an oracle independent of the planner)."""
    want = {}
    for o in orders():
        w = want.setdefault(o.staff_no, {"concurrent": set()})
        if o.kind == "退職":
            w["retired"] = True
        if o.kind in ("休職",):
            w["enabled"] = False
        if o.kind in ("採用", "転入", "復職"):
            w["enabled"] = True
        if o.kind == "兼務":
            w["concurrent"].add(o.new_dept)
        elif o.kind != "退職" and o.new_dept:
            w["dept"] = o.new_dept
        if o.kind != "兼務" and o.new_title:
            w["title"] = o.new_title
    return want


def unmet(rehearsal):
    """Every way the directory differs from what the list asks for."""
    accounts = rehearsal.accounts()
    roster = list(csv.DictReader(io.StringIO(rehearsal.roster.read_text(encoding="utf-8-sig"))))
    problems = []
    for staff_no, w in expected_state().items():
        if staff_no not in accounts:
            problems.append(f"{staff_no}: no account")
            continue
        dn, attrs = accounts[staff_no]
        groups = {g.split(",")[0][3:] for g in attrs.get("memberOf") or []}
        enabled = not int(attrs["userAccountControl"][0]) & 2
        if w.get("retired"):
            if not dn.endswith(f"OU=退職者,{BASE}") or enabled or groups:
                problems.append(f"{staff_no}: retiree at {dn}, enabled={enabled}, groups={groups}")
            continue
        if "dept" in w and not dn.endswith(f"OU={w['dept']},{DEPT_OU}"):
            problems.append(f"{staff_no}: at {dn}, not in {w['dept']}")
        code = dn.split(",")[1][3:]
        if f"g-{code}-staff" not in groups:
            problems.append(f"{staff_no}: not in g-{code}-staff")
        stale = {g for g in groups if g.endswith("-staff") and g[2:8] not in {code, *w["concurrent"]}}
        roster_posts = {p for r in roster if r["職員番号"] == staff_no for p in r["兼務"].split(";") if p}
        if stale - {f"g-{p}-staff" for p in roster_posts}:
            problems.append(f"{staff_no}: still in {stale}")
        if any(f"g-{c}-staff" not in groups for c in w["concurrent"]):
            problems.append(f"{staff_no}: concurrent posts {w['concurrent']} missing from {groups}")
        if "title" in w and attrs["title"][0] != w["title"]:
            problems.append(f"{staff_no}: title {attrs['title'][0]} != {w['title']}")
        if "enabled" in w and enabled != w["enabled"]:
            problems.append(f"{staff_no}: enabled={enabled}")
    return problems


def prepare_step(text):
    """What the prepare step of a run's output did: its first line after the task header."""
    found = re.search(r"^TASK \[personnel_transfer : Prepare [^\n]*\n+(\S+)", text, re.M)
    return found.group(1) if found else None


def test_rerun_after_restart_completes_with_nothing_lost_or_doubled(rehearsal):
    out = rehearsal.apply(CUTOVER_AT)
    assert out.returncode == 0, out.text[-6000:]
    assert prepare_step(out.text) == "skipping:", (
        "the cutover repeated the prepare work the record says is done"
    )
    accounts = rehearsal.accounts()
    roster = list(csv.DictReader(io.StringIO(rehearsal.roster.read_text(encoding="utf-8-sig"))))
    hires = {o.staff_no for o in orders() if o.kind in ("採用", "転入")}
    staff = {no for no in accounts if not no.startswith("1000")}  # the lab's own sample users aside
    assert staff == {r["職員番号"] for r in roster} | hires, "an account is missing or doubled"
    problems = unmet(rehearsal)
    assert not problems, "\n".join(problems[:30])
    assert "計画外 0 件" in out.text
    # the rerun's report names the killed run and judges the cutover with it, not as 計画した変更なし
    report = json.loads(
        (rehearsal.project / "work/plans" / rehearsal.plan_id / "report.json").read_text(encoding="utf-8")
    )
    assert any(h["interrupted"] and h["journal_changes"] >= 3 for h in report["history"]), report["history"]
    cut = [r for r in report["rows"] if "Cut over AD" in r["task"]]
    assert cut and cut[0]["verdict"] in ("completed_across_runs", "done_earlier", "matched"), cut[0]
    assert not report["counts"]["planned_not_changed"] and not report["counts"]["diff_differs"]
    # the transfer systems hold exactly the staff of the import files written for the record (and the probe)
    systems = transfer_helpers.snapshot(rehearsal.lab_vars)
    for key, name in (("rest", "transfer_internet_lgwan.csv"), ("csv", "transfer_lgwan_mynumber.csv")):
        data = (rehearsal.output_dir() / "import" / name).read_bytes().decode("cp932")
        rows = list(csv.reader(io.StringIO(data)))
        wanted = {row[0] for row in rows[1:]}
        assert len(wanted) > 50, name
        assert {u["id"] for u in systems[key]["users"]} - {"xfer-probe"} == wanted, name


# ---- access follows the department ---------------------------------------------------------------
def pick(kind, pred=lambda o: True):
    return next(o for o in orders() if o.kind == kind and pred(o))


def can_write(user, password, path):
    try:
        with ShareClient("127.0.0.1", "share", user, password) as share:
            share.write_file(f"{path}/_access_check_{user}.txt", b"ok")
            share._delete(f"{path}/_access_check_{user}.txt", directory=False)
        return True
    except AccessDenied:
        return False


def can_read(user, password, path):
    try:
        with ShareClient("127.0.0.1", "share", user, password) as share:
            share.listdir(path)
        return True
    except AccessDenied:
        return False


def test_access_follows_the_new_department_and_a_retiree_cannot_bind(rehearsal):
    import yaml

    org = {
        d["code"]: d
        for d in yaml.safe_load((ROOT / TRANSFER / "organisation.yml").read_text())["jichitai_departments"]
    }
    live = {d["code"]: d for d in personnel_lab.live_organisation()["jichitai_departments"]}
    ca = rehearsal.access.ca_file
    url = rehearsal.access.url
    settled = ("120300", "130300", "190100", "190200")  # concurrent posts, renamed and merged departments
    mover = pick(
        "配置換",
        lambda o: (
            o.old_dept in live
            and o.new_dept in live
            and not {o.old_dept, o.new_dept} & set(settled)
            and not any(x.staff_no == o.staff_no and x.kind != "配置換" for x in orders())
        ),
    )
    merged = pick("配置換", lambda o: o.old_dept == "190100")
    hire = pick("採用", lambda o: o.new_dept == "160400")
    retiree = pick("退職")
    on_leave = pick("休職")
    for person in (mover, merged, hire, retiree, on_leave):
        rehearsal.set_password(person.staff_no)
    user = lambda o: f"u{o.staff_no}@lab.jichitai.test"  # noqa: E731
    # the mover: new department's folder writable, old one gone
    assert user_can_bind(url, ca, user(mover), USER_PASSWORD)
    assert can_write(user(mover), USER_PASSWORD, org[mover.new_dept]["share_folder"])
    assert not can_write(user(mover), USER_PASSWORD, live[mover.old_dept]["share_folder"])
    assert not can_read(user(mover), USER_PASSWORD, live[mover.old_dept]["share_folder"])
    # the merged department: the new folder is theirs, the old one archived read-only
    assert can_write(user(merged), USER_PASSWORD, "水道局/水道課")
    assert can_read(user(merged), USER_PASSWORD, "水道局/水道総務課")
    assert not can_write(user(merged), USER_PASSWORD, "水道局/水道総務課")
    # a new hire of the new department, enabled at cutover
    assert user_can_bind(url, ca, user(hire), USER_PASSWORD)
    assert can_write(user(hire), USER_PASSWORD, "こども部/こども家庭センター")
    # the renamed department's folder moved with its name
    with ShareClient("127.0.0.1", "share", "Administrator", rehearsal.access.password) as share:
        assert share.exists("企画財政部/DX推進課") and not share.exists("企画財政部/デジタル戦略課")
    # retiree and staff on leave: disabled, no bind, no share
    assert not user_can_bind(url, ca, user(retiree), USER_PASSWORD)
    assert not user_can_bind(url, ca, user(on_leave), USER_PASSWORD)
    with pytest.raises(ShareError):
        ShareClient("127.0.0.1", "share", user(retiree), USER_PASSWORD)


# ---- nothing left to do ----------------------------------------------------------------------------
def test_a_second_run_changes_nothing(rehearsal):
    check = rehearsal.unplanned("--check", "--diff", now="2027-04-01T07:00")
    assert check.returncode == 0, check.text[-4000:]
    assert re.findall(r"^changed: ", check.text, re.M) == [], check.text[-4000:]
    again = rehearsal.apply("2027-04-01T07:30")
    assert again.returncode == 0, again.text[-4000:]
    assert prepare_step(again.text) == "skipping:"
    assert re.findall(r"^changed: ", again.text, re.M) == [], again.text[-4000:]
