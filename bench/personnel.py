"""Personnel transfers: plan and apply of the 400-order April list against the lab, beside the naive way.

§6-3(7) OPS-MOVE. The naive way is one module call per user and attribute in a loop
(community.general.ldap_attrs through ansible-playbook), measured in the same run.

    python -m bench.personnel [--naive-calls 60] [--keep]

Steps: restore the lab directory to its seeded state and seed the staff of the roster
(tools/personnel_lab.py); time the check run of playbooks/personnel_transfer.yml (the work plan); time
the naive loop on a sample of the same changes; time the apply runs (prepare, then cutover); restore
(the directory, the share and the transfer stand-ins' accounts, as they were before the run).
The naive way is measured on a sample and extrapolated to the whole list (it would take long): its
per-call cost times the number of calls the list needs (one per changed attribute, group membership,
move and created entry; community.general has no module for an OU move, so a move is counted at the
same per-call cost).

The floor, measured in the same run after the cutover: a raw ldap3 script (tools/personnel_lab.py's
client, not the modules' code) doing the apply's writes over one connection - per kind of write
(OU, group, disabled user with its initial password, OU move, attribute modify, one member batch
per group) ten writes of the same shape on scratch objects, scaled to the apply's counts, at
Samba's commit time - plus the directory read the plan needs (the same three paged searches), plus
the REST transfer system's requests by hand over one kept HTTPS connection (its accounts read, one
user PUT per change the apply made, each a real change to a user the system already holds, the
read-back; the stand-in writes its whole store after each change, and these requests meet the store
as the cutover left it where the cutover's met it growing, so the floor counts the lesser of their time
and the cutover's own transfer step), plus one bare ansible-playbook start-up per run (a play without
tasks; the apply is two runs). The SMB folder work, the import files and the CSV
transfer system's batch are left out of the floor (a few dozen requests and files).
Goals (issue 24): plan <= 5 s; apply <= 2x its floor; at least 10x faster than the naive way.
Needs the lab (make lab-up) and python-ldap for community.general.ldap_attrs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
# `python -m bench` runs from the repository root, where tools/ is importable as a namespace
from bench import _table  # noqa: E402
from tools import personnel_lab  # noqa: E402 - the lab helper, independent of the modules' code

PLAYBOOK = "playbooks/personnel_transfer.yml"
TRANSFER = "inventories/moriguchi/transfers/2027-04"  # the April list the benchmark plans and applies
GOALS = {"plan": 5.0, "apply_floor": 2.0, "speedup": 10.0}


def env(vault_pass: Path) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("JICHITAI_", "ANSIBLE_"))}
    out.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_CALLBACKS_ENABLED="workplan",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_VAULT_IDENTITY_LIST=f"lab@{ROOT / 'inventories/lab/.vault-pass.lab'}",
        JICHITAI_WORKPLAN_LAB="1",
        JICHITAI_WORKPLAN_DIR=str(vault_pass.parent / "plans"),
        JICHITAI_HR_VAULT_ID=f"bench@{vault_pass}",
    )
    return out


def playbook(environment, *args, output_root, ca_file, stdout_callback=None):
    cmd = [
        str(ROOT / ".venv/bin/ansible-playbook"),
        PLAYBOOK,
        "-e",
        f"personnel_transfer_dir={TRANSFER}",
        "-e",
        "workplan_unplanned_ok=true",
        "-e",
        f"jichitai_ldap_ca_file={ca_file}",
        "-e",
        "workplan_unplanned_reason=benchmark",
        "-e",
        f"personnel_transfer_output_root={output_root}",
        *args,
    ]
    if stdout_callback:
        environment = environment | {"ANSIBLE_STDOUT_CALLBACK": stdout_callback}
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(
            f"bench: {' '.join(args)} failed (rc {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return seconds, (tasks(proc.stdout) if not stdout_callback else {})


def tasks(stdout):
    """{task name: result of the AD host} from the json callback."""
    report = json.JSONDecoder().raw_decode(stdout[stdout.index("{") :])[0]
    out = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            for result in task["hosts"].values():
                out[task["task"]["name"]] = result
    return out


def module_time(results, *names):
    parts = []
    for name, result in results.items():
        if any(n in name for n in names) and "timings" in result:
            parts.append(result["timings"])
    return parts


PREPARE, CUTOVER = "Prepare - ", "Cut over AD"  # the names of the two phase tasks begin so
NOT_AD = ("ファイル ", "異動者 ", "手作業の取込", "PC 資産台帳")  # headers of the import-file step's diff
TEXT_ENTRIES = ("組織（", "要確認（")  # the AD step's lists as lines of text (organisation changes, doubts)


def form(text):
    """An account's or a folder's state from the diff's YAML text; None when the entry is not a mapping."""
    try:
        data = yaml.safe_load(text) if isinstance(text, str) else text
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def ad_entries(result):
    """The AD step's entries of a phase task's diff (the folders, files and transfer systems left out),
    with their before and after as data."""
    out = []
    for e in result.get("diff", []):
        if "after_header" in e or str(e.get("before_header", "")).startswith(NOT_AD):
            continue  # a transfer system's user, group or route; an import file or a mover's systems
        # a line of a list may read as a mapping ("...: 200005"): only an account's or folder's state is one
        after = None if str(e.get("before_header", "")).startswith(TEXT_ENTRIES) else form(e.get("after"))
        if after is not None and "フォルダ" in after:
            continue  # a folder
        shown = after if after is not None else e.get("after")
        out.append({**e, "before": form(e.get("before")) or {}, "after": shown})
    return out


def naive_changes(results):
    """(dn, attribute, value, state) of every single change the naive way would make, read from the
    per-person diff of the plan, and the number of calls it needs that cannot be run here."""
    changes, counted = [], 0
    for result in [r for n, r in results.items() if CUTOVER in n]:
        for entry in ad_entries(result):
            before, after = entry.get("before"), entry.get("after")
            if not isinstance(after, dict) or "DN" not in after:
                counted += len(after) if isinstance(after, list) else 1  # organisation changes
                continue
            dn = before.get("DN") or after["DN"]
            if before.get("DN") and before["DN"] != after["DN"]:
                counted += 1  # the move (no community.general module: counted, not run)
            if before.get("職名") != after.get("職名"):
                changes.append((dn, "title", after.get("職名"), "exact"))
            if before.get("所属") != after.get("所属") and after.get("所属") != "退職":
                changes.append((dn, "department", after["所属"].split(" ", 1)[1], "exact"))
            if before.get("状態") != after.get("状態"):
                changes.append(
                    (dn, "userAccountControl", "512" if after["状態"] == "有効" else "514", "exact")
                )
            for group in sorted(set(after.get("グループ", [])) - set(before.get("グループ", []))):
                changes.append((group, "member", dn, "present"))
            for group in sorted(set(before.get("グループ", [])) - set(after.get("グループ", []))):
                changes.append((group, "member", dn, "absent"))
    for result in [r for n, r in results.items() if PREPARE in n]:
        counted += sum(9 for e in ad_entries(result) if isinstance(e["after"], dict) and not e["before"])
    return changes, counted


def has_python_ldap():
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", "import ldap"], capture_output=True, check=False
    )
    return proc.returncode == 0


def naive_task(access, workdir):
    """One task, looped once per user and attribute: community.general.ldap_attrs when python-ldap is
    there, else ldapmodify through ansible.builtin.command (the same one call per change)."""
    if has_python_ldap():
        return "community.general.ldap_attrs", {
            "name": "Set one attribute of one entry",
            "community.general.ldap_attrs": {
                "server_uri": access.url,
                "bind_dn": access.bind_dn,
                "bind_pw": access.password,
                "ca_path": access.ca_file,
                "dn": "{{ item.dn }}",
                "attributes": "{{ item.attributes }}",
                "state": "{{ item.state }}",
            },
        }
    secret = workdir / "bind-pass"
    secret.write_text(access.password)
    secret.chmod(0o600)
    ldif = (
        "dn: {{ item.dn }}\nchangetype: modify\n"
        "{{ 'replace' if item.state == 'exact' else ('add' if item.state == 'present' else 'delete') }}: "
        "{{ item.attributes | list | first }}\n"
        "{{ item.attributes | list | first }}: {{ item.attributes.values() | list | first }}\n"
    )
    return "ldapmodify (ansible.builtin.command)", {
        "name": "Set one attribute of one entry",
        "ansible.builtin.command": {
            "argv": ["ldapmodify", "-H", access.url, "-x", "-D", access.bind_dn, "-y", str(secret)],
            "stdin": ldif,
        },
        "environment": {"LDAPTLS_CACERT": access.ca_file, "LDAPTLS_REQCERT": "demand"},
        "changed_when": True,
    }


def naive_run(environment, access, sample, group_dns, workdir):
    items = []
    for dn, attr, value, state in sample:
        items.append({"dn": group_dns.get(dn, dn), "attributes": {attr: value}, "state": state})
    how, task = naive_task(access, workdir)
    task.update(loop=items, no_log=True)
    play = [
        {
            "name": "Naive way: one module call per user and attribute",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": str(ROOT / ".venv/bin/python")},
            "tasks": [task],
        }
    ]
    path = workdir / "naive.yml"
    path.write_text(json.dumps(play, ensure_ascii=False))
    naive_env = {k: v for k, v in environment.items() if k != "ANSIBLE_CALLBACKS_ENABLED"}
    naive_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.minimal"
    started = time.monotonic()
    proc = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", "localhost,", str(path)],
        cwd=workdir,
        env=naive_env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: the naive loop failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return seconds, how


def startup_seconds(environment, workdir):
    """ansible-playbook of a play without tasks on localhost, the project's settings, no callback."""
    play = [
        {
            "name": "Start-up only",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [],
        }
    ]
    path = workdir / "empty.yml"
    path.write_text(json.dumps(play))
    bare = {k: v for k, v in environment.items() if k != "ANSIBLE_CALLBACKS_ENABLED"}
    settings = (ROOT / "ansible.cfg").read_text().splitlines()
    cfg = workdir / "plain.cfg"
    cfg.write_text("\n".join(x for x in settings if not x.startswith("callbacks_enabled")) + "\n")
    bare["ANSIBLE_CONFIG"] = str(cfg)
    started = time.monotonic()
    subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", "localhost,", str(path)],
        cwd=ROOT,
        env=bare,
        capture_output=True,
        check=True,
        timeout=300,
    )
    return time.monotonic() - started


SAMPLE = 10  # raw writes timed per kind of write


def applied_counts(*results):
    """Writes per kind the AD steps of the runs made (their `applied`): add_ou, add_group, add_user, move,
    modify, group (one member batch per group) and member_changes."""
    counts = {}
    for result in results:
        for kind, n in (result.get("applied") or {}).items():
            counts[kind] = counts.get(kind, 0) + n
    return counts


def floor_directory(access, roster, counts):
    """(seconds the apply's writes take a raw ldap3 script over one connection, seconds of the plan's
    directory read). Per kind of write SAMPLE writes of the same shape are timed on scratch objects
    under OU=bench-floor (removed afterwards, untimed) and scaled to the apply's counts: OUs, groups,
    disabled users with an initial password, OU moves, attribute modifies, and one member batch per
    group of the apply's mean batch size."""
    from ldap3 import MODIFY_ADD

    base = access.base_dn
    scratch = f"OU=bench-floor,{personnel_lab.DEPARTMENTS_OU}"
    staff = {f"u{row['職員番号']}" for row in personnel_lab.read_roster(roster)}
    per_kind = {}
    with access.directory() as d:
        conn = d.conn
        members = [
            dn
            for dn, a in d.search(base, "(&(objectClass=user)(employeeID=*))", ["sAMAccountName"])
            if a["sAMAccountName"][0] in staff
        ]
        created = []

        def timed(kind, calls):
            started = time.monotonic()
            for call in calls:
                call()
            per_kind[kind] = (time.monotonic() - started) / max(1, len(calls))

        try:
            d.add(scratch, {"objectClass": ["organizationalUnit"], "description": "bench floor"})
            created.append(scratch)
            ous = [f"OU=bf-ou-{i},{scratch}" for i in range(SAMPLE)]
            groups = [f"CN=bf-g-{i},{scratch}" for i in range(SAMPLE)]
            users = [f"CN=bf-u-{i},{ous[0]}" for i in range(SAMPLE)]

            def add(dn, attrs):
                return lambda: (d.add(dn, attrs), created.append(dn))

            ou_attrs = {"objectClass": ["organizationalUnit"], "description": "課"}
            timed("add_ou", [add(dn, ou_attrs) for dn in ous])
            timed(
                "add_group",
                [
                    add(dn, {"objectClass": ["top", "group"], "sAMAccountName": dn[3:].split(",")[0],
                             "description": "bench floor"})
                    for dn in groups
                ],
            )  # fmt: skip
            timed(
                "add_user",
                [
                    add(
                        dn,
                        {
                            "objectClass": ["top", "person", "organizationalPerson", "user"],
                            "sAMAccountName": f"bf-u-{i}",
                            "userPrincipalName": f"bf-u-{i}@lab.jichitai.test",
                            "employeeID": f"BF{i:04d}",
                            "displayName": "ベンチ　太郎",
                            "title": "主事",
                            "department": "総務課",
                            "userAccountControl": personnel_lab.UAC_DISABLED,
                            "unicodePwd": f'"Bf-{i:04d}-Floor!x7"'.encode("utf-16-le"),
                        },
                    )
                    for i, dn in enumerate(users)
                ],
            )
            moved = [f"CN=bf-u-{i},{ous[1]}" for i in range(SAMPLE)]
            timed(
                "move",
                [
                    (lambda dn=dn: conn.modify_dn(dn, dn.split(",", 1)[0], new_superior=ous[1]))
                    for dn in users
                ],
            )
            created[:] = [moved[users.index(c)] if c in users else c for c in created]
            timed(
                "modify",
                [(lambda dn=dn: d.modify(dn, {"title": "主任", "department": "企画課"})) for dn in moved],
            )
            batch = max(1, round(counts.get("member_changes", 0) / max(1, counts.get("group", 0))))

            pool = members or moved  # the roster's staff when seeded, else the scratch users

            def member_batch(group, i):
                chosen = pool[i * batch % len(pool) :][:batch] or pool[:1]
                return lambda: conn.modify(group, {"member": [(MODIFY_ADD, chosen)]})

            timed("group", [member_batch(g, i) for i, g in enumerate(groups)])
        finally:
            for dn in sorted(created, key=lambda x: -x.count(",")):
                conn.delete(dn)
        started = time.monotonic()
        for ldap_filter, attrs in (
            ("(objectClass=organizationalUnit)", ["description"]),
            ("(objectClass=group)", ["sAMAccountName", "member", "description", "objectSid"]),
            (
                "(&(objectCategory=person)(objectClass=user)(employeeID=*))",
                ["employeeID", "sAMAccountName", "displayName", "title", "department", "userAccountControl",
                 "memberOf", "msDS-PhoneticDisplayName"],
            ),
        ):  # fmt: skip
            for _entry in d.search(base, ldap_filter, attrs):
                pass
        read_seconds = time.monotonic() - started
    writes = sum(per_kind[k] * counts.get(k, 0) for k in per_kind)
    return writes, read_seconds, per_kind


def transfer_state():
    """Save the lab transfer stand-ins' accounts (the cutover changes them too); returns the function
    that puts them back, as the lab tests do (tests/integration/transfer_helpers.py), and the REST
    system's connection (system, api_url, api_key, ca_path)."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]
    import conftest  # the lab's resolved host variables (vault values included)
    import transfer_helpers

    lab_vars = conftest.lab_vars.__wrapped__()
    saved = transfer_helpers.snapshot(lab_vars)
    return (lambda: transfer_helpers.restore(lab_vars, saved)), transfer_helpers.rest_connection(lab_vars)


class RawApi:
    """The REST transfer system's API by hand: one kept HTTPS connection, no module code."""

    def __init__(self, connection):
        parts = urlsplit(connection["api_url"])
        context = ssl.create_default_context(cafile=connection["ca_path"])
        self.conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
        self.base = parts.path.rstrip("/")
        self.headers = {"apikey": connection["api_key"], "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        self.conn.request(method, self.base + path, body=data, headers=self.headers)
        answer = self.conn.getresponse()
        text = answer.read()
        if answer.status >= 400:
            raise SystemExit(f"bench: {method} {path}: HTTP {answer.status} {text[:200]!r}")
        return text


def floor_transfer(connection, changes):
    """(seconds a raw script takes for the REST transfer system's part of the apply, seconds of its
    part of the plan). The apply's part: the accounts read, one PUT per change the apply made - each a
    real change to a user the system holds after the cutover (its name gains or loses a trailing mark),
    so the system's store stays the size the apply left it - and the read-back; the plan's part: the
    accounts read. The users are put back afterwards with the other systems' state (untimed). The CSV
    system's batch is left out (one file hand-over)."""
    api = RawApi(connection)
    try:
        started = time.monotonic()
        users = json.loads(api.call("GET", "/admin/accounts"))["users"]
        read = time.monotonic() - started
        if not users:
            raise SystemExit("bench: the REST transfer system holds no user after the cutover")
        started = time.monotonic()
        users = json.loads(api.call("GET", "/admin/accounts"))["users"]
        for number in range(len(changes)):
            user = dict(users[number % len(users)])
            user["name"] = user["name"][:-1] if user["name"].endswith("＊") else user["name"] + "＊"
            users[number % len(users)] = user
            api.call("PUT", f"/admin/users/{quote(user['id'], safe='')}", user)
        api.call("GET", "/admin/accounts")
        timed = time.monotonic() - started
    finally:
        api.conn.close()
    return timed, read


def run(naive_calls=60, keep=False):
    access = personnel_lab.lab_access()
    try:
        access.directory().close()
    except Exception as exc:  # noqa: BLE001
        raise SystemExit(
            f"bench: the lab's Samba AD does not answer ({exc}); start it with make lab-up"
        ) from exc
    figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-personnel-") as tmp:
        work = Path(tmp)
        vault_pass = work / "hr-vault-pass"
        vault_pass.write_text("bench-vault-pass\n")
        vault_pass.chmod(0o600)
        roster = work / "roster.csv"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools/generate_transfer_list.py"),
                "--out",
                str(work / "gen"),
                "--roster",
                str(roster),
            ],
            check=True,
            capture_output=True,
        )
        environment = env(vault_pass)
        put_back_transfer_systems, rest_system = transfer_state()
        started = time.monotonic()
        personnel_lab.restore(access)
        seeded = personnel_lab.seed(access, roster)
        figures["seed"] = time.monotonic() - started
        try:
            # timed as an engineer runs it (Ansible's default output); then once more with the json
            # output, untimed, for the modules' own timings and the changes (dumping every result as
            # JSON at the end costs about a second: the apply runs below pay it, so they are upper bounds)
            plan_args = ("--check", "--diff", "-e", "workplan_now=2027-03-15T10:00")
            figures["plan"], _ = playbook(
                environment,
                *plan_args,
                output_root=work / "out",
                ca_file=access.ca_file,
                stdout_callback="ansible.builtin.default",
            )
            figures["plan_json"], planned = playbook(
                environment, *plan_args, output_root=work / "out", ca_file=access.ca_file
            )
            ad_timings = module_time(planned, PREPARE, CUTOVER)
            figures["plan_ad_read"] = sum(t.get("read", 0) for t in ad_timings)
            figures["plan_ad_plan"] = sum(t.get("plan", 0) for t in ad_timings)
            changes, counted = naive_changes(planned)
            figures["naive_full_calls"] = len(changes) + counted
            with access.directory() as d:
                group_dns = {
                    a["sAMAccountName"][0]: dn
                    for dn, a in d.search(access.base_dn, "(objectClass=group)", ["sAMAccountName"])
                }
                users = {dn.lower() for dn, _a in d.search(access.base_dn, "(employeeID=*)", ["employeeID"])}
            # changes to entries that exist before prepare: the naive loop has nothing to create them with
            sample = [
                c
                for c in changes
                if c[3] != "absent" and (c[0] in group_dns and c[2].lower() in users or c[0].lower() in users)
            ][:naive_calls]
            figures["naive_sample_calls"] = len(sample)
            figures["naive_sample"], figures["naive_how"] = naive_run(
                environment, access, sample, group_dns, work
            )
            figures["naive_per_call"] = figures["naive_sample"] / max(1, len(sample))
            figures["naive_full"] = figures["naive_per_call"] * figures["naive_full_calls"]
            figures["prepare"], prep = playbook(
                environment,
                "--diff",
                "-e",
                "workplan_now=2027-03-25T19:00",
                output_root=work / "out",
                ca_file=access.ca_file,
            )
            figures["cutover"], cut = playbook(
                environment,
                "--diff",
                "-e",
                "workplan_now=2027-03-31T21:00",
                output_root=work / "out",
                ca_file=access.ca_file,
            )
            figures["apply"] = figures["prepare"] + figures["cutover"]
            # the cutover run skips the prepare step the prepare run recorded as done
            phase_timings = module_time(prep, PREPARE) + module_time(cut, PREPARE, CUTOVER)
            writes = [t.get("ldap_writes", 0) for t in phase_timings]
            applied = [t.get("apply", 0) for t in phase_timings]
            figures["ldap_writes"] = sum(writes)
            figures["steps"] = {  # where each phase module's time went (read, plan, per step)
                f"{run} {'prepare' if PREPARE in n else 'cutover'}": r["timings"]
                for run, results in (("plan", planned), ("prepare run", prep), ("cutover run", cut))
                for n, r in results.items()
                if (PREPARE in n or CUTOVER in n) and "timings" in r
            }
            figures["ad_apply"] = sum(applied)
            figures["speedup"] = figures["naive_full"] / figures["apply"]
            figures["applied"] = applied_counts(  # both runs: a cutover prepares too when nothing recorded it
                *[r for run in (prep, cut) for n, r in run.items() if PREPARE in n or CUTOVER in n]
            )
            figures["floor_writes"], figures["floor_read"], figures["floor_per_kind"] = floor_directory(
                access, roster, figures["applied"]
            )
            rest_changes = [
                change
                for run in (prep, cut)
                for n, r in run.items()
                if PREPARE in n or CUTOVER in n
                for change in (r.get("transfer") or {}).get(rest_system["system"], {}).get("changes", [])
            ]
            figures["transfer_requests"] = len(rest_changes)
            transfer_raw, transfer_read = floor_transfer(rest_system, rest_changes)
            # the stand-in writes its whole store after each change: the raw requests meet the store as
            # the cutover left it, the cutover's own met it growing to that size, so the raw ones can be
            # the slower - the floor takes whichever is less, never more than the cutover's own step
            figures["transfer_raw"] = transfer_raw
            figures["transfer_ours"] = sum(
                r["timings"].get(f"transfer_{rest_system['system']}", 0)
                for n, r in cut.items()
                if (PREPARE in n or CUTOVER in n) and "timings" in r
            )
            transfer_apply = min(transfer_raw, figures["transfer_ours"] or transfer_raw)
            figures["floor_transfer"] = transfer_apply
            figures["startup"] = startup_seconds(environment, work)
            figures["floor_plan"] = figures["floor_read"] + transfer_read + figures["startup"]
            figures["floor_apply"] = (
                figures["floor_writes"] + figures["floor_read"] + transfer_apply + 2 * figures["startup"]
            )
        finally:
            if not keep:
                personnel_lab.restore(access)
                put_back_transfer_systems()
    figures["seeded_accounts"] = seeded["created"]
    return figures


def report(f):
    def mark(ok):
        return "ok" if ok else "MISSED"

    return [
        f"personnel: seed {f['seeded_accounts']} staff accounts in the lab: {f['seed']:.1f} s "
        "(set-up, not measured)",
        f"personnel: plan (check run, 400 orders, all systems, default output): {f['plan']:.1f} s "
        f"(with the json output {f['plan_json']:.1f} s), of which AD read "
        f"{f['plan_ad_read']:.1f} s and planning {f['plan_ad_plan']:.2f} s "
        f"[goal <= {GOALS['plan']:.0f} s: {mark(f['plan'] <= GOALS['plan'])}]",
        f"personnel: apply prepare {f['prepare']:.1f} s + cutover {f['cutover']:.1f} s = {f['apply']:.1f} s "
        f"({f['ldap_writes']} LDAP writes in {f['ad_apply']:.1f} s over one connection)",
        "personnel: raw ldap3 per write: "
        + ", ".join(
            f"{kind} {sec * 1000:.0f} ms x {f['applied'].get(kind, 0)}"
            for kind, sec in sorted(f["floor_per_kind"].items())
        ),
        f"personnel: floor: {f['ldap_writes']} raw ldap3 writes {f['floor_writes']:.1f} s + directory read "
        f"{f['floor_read']:.1f} s + {f['transfer_requests']} transfer-system requests "
        f"{f['floor_transfer']:.1f} s (raw {f['transfer_raw']:.1f} s, the cutover's own step "
        f"{f['transfer_ours']:.1f} s: the less) + bare ansible-playbook start-up {f['startup']:.1f} s "
        "per run "
        f"-> plan {f['floor_plan']:.1f} s, apply {f['floor_apply']:.1f} s; apply / floor "
        f"{f['apply'] / f['floor_apply']:.2f}x "
        f"[goal <= {GOALS['apply_floor']:g}x: {mark(f['apply'] <= GOALS['apply_floor'] * f['floor_apply'])}]",
        f"personnel: naive (one {f['naive_how']} call per user and attribute): measured "
        f"{f['naive_sample_calls']} calls in {f['naive_sample']:.1f} s = "
        f"{f['naive_per_call']:.2f} s per call; "
        f"the list needs {f['naive_full_calls']} calls -> {f['naive_full']:.0f} s extrapolated",
        f"personnel: speed-up over the naive way: {f['speedup']:.0f}x "
        f"[goal >= {GOALS['speedup']:.0f}x: {mark(f['speedup'] >= GOALS['speedup'])}]",
        *(
            f"personnel: {where} module: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items() if k != "ldap_writes")
            for where, timings in f["steps"].items()
        ),
    ]


def table_rows(f):
    _table.row(
        "personnel",
        "plan (check run, 400 orders)",
        f["plan"],
        floor=f["floor_plan"],
        floor_name="the plan's directory read (raw ldap3, three paged searches), the REST transfer"
        " system's accounts read + one bare ansible-playbook start-up",
        max_seconds=GOALS["plan"],
    )
    _table.row(
        "personnel",
        "apply (prepare + cutover)",
        f["apply"],
        anchor=f["naive_full"],
        anchor_name=f"one {f['naive_how']} call per user and attribute (sample, extrapolated)",
        floor=f["floor_apply"],
        floor_name=f"the apply's {f['ldap_writes']} writes by kind, raw ldap3 over one connection + the "
        f"directory read + the REST transfer system's {f['transfer_requests']} requests over one connection"
        " + two bare ansible-playbook start-ups",
        max_floor=GOALS["apply_floor"],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-calls", type=int, default=60, help="naive calls to measure (default 60)")
    parser.add_argument("--keep", action="store_true", help="leave the transferred staff in the lab")
    args = parser.parse_args(argv)
    figures = run(args.naive_calls, args.keep)
    for line in report(figures):
        print(line)
    table_rows(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
