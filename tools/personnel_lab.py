#!/usr/bin/env python3
"""Put the lab directory into its "before April" state for a transfer rehearsal, and take it out again.

  seed     create the staff of a roster (tools/generate_transfer_list.py --roster) in the lab's
           Samba AD: accounts in their department OUs, staff/managers groups, concurrent posts,
           staff on leave disabled. Accounts get no password (the lab accepts that); tests set
           the passwords of the users they log in as.
  restore  return the directory and the share to the lab's seeded state: remove every account the
           rehearsal created or seeded (everything with an employeeID except the lab's sample users),
           the OUs and groups of departments that are not in the live organisation master, the
           transfer-route groups, folders of unknown departments; rename folders back; reset the
           department folders' ACLs and the OU and group descriptions to the live master.
  snapshot print a digest of the directory and share state (to prove restore is complete)

Lab only: credentials come from the lab vault. Used by tests/integration/test_personnel_*.py and
bench/personnel.py.

    tools/personnel_lab.py seed --roster work/personnel/roster.csv
    tools/personnel_lab.py restore
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import ansible.module_utils  # noqa: E402

ansible.module_utils.__path__.append(str(ROOT / "plugins" / "module_utils"))
from ansible.module_utils.directory.ldap import LdapDirectory  # noqa: E402
from ansible.module_utils.directory.smb import ShareClient, folder_dacl  # noqa: E402

ORGANISATION = ROOT / "inventories" / "moriguchi" / "group_vars" / "all" / "organisation.yml"
SAMPLE_USERS = ROOT / "lab" / "samba" / "sample_users.yml"
LAB_VAULT = ROOT / "inventories" / "lab" / "group_vars" / "all" / "vault.yml"
LAB_VAULT_PASS = ROOT / "inventories" / "lab" / ".vault-pass.lab"
BASE_DN = "DC=lab,DC=jichitai,DC=test"
DEPARTMENTS_OU = f"OU=Departments,{BASE_DN}"
ROUTE_GROUPS = ("g-xfer-internet-lgwan", "g-xfer-lgwan-mynumber")
GROUP_ROLE = {"staff": "職員", "managers": "管理職"}
UAC_NORMAL, UAC_DISABLED = 512, 514


@dataclass
class LabAccess:
    url: str
    bind_dn: str
    password: str
    ca_file: str
    base_dn: str
    smb_server: str
    smb_share: str
    smb_user: str

    def directory(self):
        return LdapDirectory(self.url, self.bind_dn, self.password, self.ca_file, self.base_dn).connect()

    def share(self):
        return ShareClient(self.smb_server, self.smb_share, self.smb_user, self.password)


def lab_secret(name):
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(LAB_VAULT_PASS.read_bytes().strip())
    plain = VaultLib([("lab", secret)]).decrypt(LAB_VAULT.read_bytes())
    return yaml.safe_load(plain)[name]


def lab_access(run_dir=None):
    run_dir = run_dir or os.environ.get("LAB_RUN") or ROOT / "lab" / "run"
    return LabAccess(
        url="ldaps://127.0.0.1:636",
        bind_dn=f"CN=Administrator,CN=Users,{BASE_DN}",
        password=lab_secret("vault_lab_ad_admin_password"),
        ca_file=str(Path(run_dir) / "ca" / "ca.crt"),
        base_dn=BASE_DN,
        smb_server="127.0.0.1",
        smb_share="share",
        smb_user="LAB\\Administrator",
    )


def live_organisation():
    return yaml.safe_load(ORGANISATION.read_text(encoding="utf-8"))


def read_roster(path):
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _groups(directory):
    return {
        attrs["sAMAccountName"][0]: (dn, {m.lower() for m in attrs.get("member") or []})
        for dn, attrs in directory.search(BASE_DN, "(objectClass=group)", ["sAMAccountName", "member"])
    }


def seed(access, roster_path):
    """Create the roster's accounts (skipping those that exist) and their group memberships."""
    org = live_organisation()
    depts = {d["code"]: d for d in org["jichitai_departments"]}
    managers = set(org["jichitai_org_manager_titles"])
    started = time.monotonic()
    directory = access.directory()
    existing = {
        attrs["employeeID"][0]
        for _dn, attrs in directory.search(BASE_DN, "(&(objectClass=user)(employeeID=*))", ["employeeID"])
    }
    groups = _groups(directory)
    members = {}
    created = 0
    for row in read_roster(roster_path):
        code = row["所属"]
        sam = f"u{row['職員番号']}"
        dn = f"CN={sam},OU={code},{DEPARTMENTS_OU}"
        surname, _, given = row["氏名"].partition("\u3000")
        if row["職員番号"] not in existing:
            attrs = {
                "objectClass": ["top", "person", "organizationalPerson", "user"],
                "sAMAccountName": sam,
                "userPrincipalName": f"{sam}@lab.jichitai.test",
                "employeeID": row["職員番号"],
                "displayName": row["氏名"],
                "sn": surname,
                "department": depts[code]["name"],
                "title": row["職名"],
                "userAccountControl": UAC_DISABLED if row["状態"] == "休職" else UAC_NORMAL,
            }
            if given:
                attrs["givenName"] = given
            if row["氏名カナ"]:
                attrs["msDS-PhoneticDisplayName"] = row["氏名カナ"]
            directory.add(dn, attrs)
            created += 1
        roles = ["staff", "managers"] if row["職名"] in managers else ["staff"]
        for role in roles:
            members.setdefault(depts[code]["groups"][role], []).append(dn)
        for post in filter(None, row["兼務"].split(";")):
            members.setdefault(depts[post]["groups"]["staff"], []).append(dn)
    for group, dns in members.items():
        group_dn, have = groups[group]
        directory.members(group_dn, add=[d for d in dns if d.lower() not in have])
    directory.close()
    return {"created": created, "seconds": round(time.monotonic() - started, 2)}


def restore(access):
    """Remove what a rehearsal added and put back what it changed (see the module docstring)."""
    org = live_organisation()
    live = {d["code"]: d for d in org["jichitai_departments"]}
    samples = {
        u["staff_no"] for u in yaml.safe_load(SAMPLE_USERS.read_text(encoding="utf-8"))["lab_ad_sample_users"]
    }
    directory = access.directory()
    removed = 0
    accounts = list(directory.search(BASE_DN, "(&(objectClass=user)(employeeID=*))", ["employeeID"]))
    for dn, attrs in accounts:
        if attrs["employeeID"][0] not in samples:
            directory.delete(dn)
            removed += 1
    for dn, attrs in directory.search(DEPARTMENTS_OU, "(&(objectClass=user)(employeeID=*))", ["department"]):
        code = dn.split(",")[1].split("=", 1)[1]
        if code in live and (attrs.get("department") or [""])[0] != live[code]["name"]:
            directory.modify(dn, {"department": live[code]["name"]})
    groups = _groups(directory)
    for name, (dn, _members) in sorted(groups.items()):
        code = name[2:8] if name.startswith("g-") else ""
        if name in ROUTE_GROUPS or (code.isdigit() and code not in live):
            directory.delete(dn)
    ous = {
        dn.lower(): (dn, attrs)
        for dn, attrs in directory.search(
            DEPARTMENTS_OU, "(objectClass=organizationalUnit)", ["ou", "description"]
        )
    }
    for key, (dn, attrs) in sorted(ous.items(), key=lambda kv: -kv[0].count(",")):
        code = (attrs.get("ou") or [""])[0]
        if key == DEPARTMENTS_OU.lower():
            continue
        if code not in live:
            directory.delete(dn)
        elif (attrs.get("description") or [""])[0] != live[code]["name"]:
            directory.modify(dn, {"description": live[code]["name"]})
    groups = _groups(directory)
    descriptions = {
        name: desc
        for _dn, attrs in directory.search(
            DEPARTMENTS_OU, "(objectClass=group)", ["sAMAccountName", "description"]
        )
        for name, desc in [(attrs["sAMAccountName"][0], (attrs.get("description") or [""])[0])]
    }
    sids = {
        attrs["sAMAccountName"][0]: attrs["objectSid"][0]
        for _dn, attrs in directory.search(
            DEPARTMENTS_OU, "(objectClass=group)", ["sAMAccountName", "objectSid"]
        )
    }
    for dept in live.values():
        for role, group in dept["groups"].items():
            want = f"{dept['name']} {GROUP_ROLE[role]}"
            if descriptions.get(group) != want:
                directory.modify(groups[group][0], {"description": want})
    directory.close()
    share = access.share()
    try:
        _restore_share(share, live, sids)
    finally:
        share.close()
    return {"accounts_removed": removed}


def _restore_share(share, live, sids):
    wanted = {d["share_folder"] for d in live.values()}
    divisions = {f.split("/")[0] for f in wanted}
    next_master = ROOT / "inventories" / "moriguchi" / "transfers"
    renames = {}
    for path in next_master.glob("*/organisation.yml"):
        for dept in yaml.safe_load(path.read_text(encoding="utf-8"))["jichitai_departments"]:
            if dept["code"] in live and dept["share_folder"] != live[dept["code"]]["share_folder"]:
                renames[dept["share_folder"]] = live[dept["code"]]["share_folder"]
    for new, old in renames.items():
        if share.exists(new) and not share.exists(old):
            share.rename(new, old)
    for division, is_dir in share.listdir(""):
        if not is_dir:
            continue
        if division not in divisions:
            share.remove_tree(division)
            continue
        for name, sub_is_dir in share.listdir(division):
            path = f"{division}/{name}"
            if path not in wanted:
                share.remove_tree(path) if sub_is_dir else share._delete(path, directory=False)
    for dept in live.values():
        dacl = folder_dacl([(sids[dept["groups"][r]], right) for r, right in dept["folder_rights"].items()])
        share.mkdir(dept["share_folder"])
        if not share.get_dacl(dept["share_folder"]).same_as(dacl):
            share.set_dacl(dept["share_folder"], dacl)


def snapshot(access):
    """Everything a rehearsal may touch, as plain data: accounts, groups and members, OUs, folders, ACLs."""
    directory = access.directory()
    state = {"accounts": {}, "groups": {}, "ous": {}, "folders": {}}
    for dn, attrs in directory.search(
        BASE_DN,
        "(&(objectClass=user)(employeeID=*))",
        ["employeeID", "department", "title", "userAccountControl", "displayName"],
    ):
        state["accounts"][dn.lower()] = {k: sorted(v) for k, v in attrs.items()}
    for dn, attrs in directory.search(BASE_DN, "(objectClass=group)", ["member", "description"]):
        state["groups"][dn.lower()] = {
            "member": sorted(m.lower() for m in attrs.get("member") or []),
            "description": attrs.get("description"),
        }
    for dn, attrs in directory.search(BASE_DN, "(objectClass=organizationalUnit)", ["description"]):
        state["ous"][dn.lower()] = attrs.get("description")
    directory.close()
    share = access.share()
    try:

        def walk(path, depth):
            for name, is_dir in share.listdir(path):
                child = f"{path}/{name}" if path else name
                if is_dir:
                    state["folders"][child] = share.get_dacl(child).describe()
                    if depth < 2:
                        walk(child, depth + 1)
                else:
                    state["folders"][child] = "file"

        walk("", 0)
    finally:
        share.close()
    return state


def project_copy(dest, lab_run=None):
    """A committed copy of the project in DEST (files git tracks or would track), its lab/run pointing
    at the running lab: plan and apply run there, so edits to the working tree in between cannot
    invalidate the plan."""
    import shutil
    import subprocess

    dest = Path(dest)
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (dest / "lab").mkdir(exist_ok=True)
    (dest / "lab" / "run").symlink_to(
        Path(lab_run or os.environ.get("LAB_RUN") or ROOT / "lab" / "run").resolve()
    )
    git = ["git", "-c", "user.email=ops@example.invalid", "-c", "user.name=ops"]
    subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
    subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "rehearsal"], cwd=dest, check=True)
    return dest


def digest(state):
    return hashlib.sha256(json.dumps(state, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed_cmd = sub.add_parser("seed")
    seed_cmd.add_argument("--roster", type=Path, required=True)
    sub.add_parser("restore")
    sub.add_parser("snapshot")
    args = parser.parse_args(argv)
    access = lab_access()
    if args.command == "seed":
        print(seed(access, args.roster))
    elif args.command == "restore":
        print(restore(access))
    else:
        print(digest(snapshot(access)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
