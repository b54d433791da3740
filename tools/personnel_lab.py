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
bench/personnel.py. Works on the lab with its own clients, never with the modules' code under test:
ldap3 for the directory, smbprotocol's smbclient package for folders and Samba's smbcacls for ACLs.

    tools/personnel_lab.py seed --roster work/personnel/roster.csv
    tools/personnel_lab.py restore
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import ssl
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import smbclient
import smbclient.shutil
import yaml
from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, SUBTREE, Connection, Server, Tls
from ldap3.protocol.formatters.formatters import format_sid

ROOT = Path(__file__).resolve().parents[1]

ORGANISATION = ROOT / "inventories" / "moriguchi" / "group_vars" / "all" / "organisation.yml"
SAMPLE_USERS = ROOT / "lab" / "samba" / "sample_users.yml"
LAB_VAULT = ROOT / "inventories" / "lab" / "group_vars" / "all" / "vault.yml"
LAB_VAULT_PASS = ROOT / "inventories" / "lab" / ".vault-pass.lab"
BASE_DN = "DC=lab,DC=jichitai,DC=test"
DEPARTMENTS_OU = f"OU=Departments,{BASE_DN}"
ROUTE_GROUPS = ("g-xfer-internet-lgwan", "g-xfer-lgwan-mynumber")
GROUP_ROLE = {"staff": "職員", "managers": "管理職"}
UAC_NORMAL, UAC_DISABLED = 512, 514
RIGHTS = {"full": 0x001F01FF, "modify": 0x001301BF, "read": 0x001200A9}
ADMIN_SIDS = ("S-1-5-32-544", "S-1-5-18")
ACE_FLAGS = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "I": 0x10, "SA": 0x40, "FA": 0x80}
ACE_TYPES = {"ALLOWED": 0, "DENIED": 1}
OICI, INHERITED = 0x03, 0x10


class LabDirectory:
    """The lab's AD over LDAPS with ldap3: paged search, values as lists of str (SIDs as S-1-...)."""

    def __init__(self, url, bind_dn, password, ca_file):
        tls = Tls(ca_certs_file=ca_file, validate=ssl.CERT_REQUIRED)
        host = url.split("://", 1)[1]
        server = Server(host.rsplit(":", 1)[0], port=int(host.rsplit(":", 1)[1]), use_ssl=True, tls=tls)
        self.conn = Connection(server, user=bind_dn, password=password, auto_bind=True, raise_exceptions=True)

    def close(self):
        self.conn.unbind()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def search(self, base, ldap_filter, attributes, scope="subtree"):
        for entry in self.conn.extend.standard.paged_search(
            base,
            ldap_filter,
            {"base": BASE, "subtree": SUBTREE}[scope],
            attributes=attributes,
            paged_size=500,
            generator=True,
        ):
            if entry.get("type") != "searchResEntry":
                continue
            attrs = {}
            for name, values in entry["raw_attributes"].items():
                if name.lower() == "objectsid":
                    attrs[name] = [format_sid(v) for v in values]
                else:
                    attrs[name] = [v.decode("utf-8") for v in values]
            yield entry["dn"], attrs

    def add(self, dn, attrs):
        self.conn.add(dn, attributes=attrs)

    def modify(self, dn, replace):
        self.conn.modify(
            dn, {k: [(MODIFY_REPLACE, v if isinstance(v, list) else [v])] for k, v in replace.items()}
        )

    def delete(self, dn):
        self.conn.delete(dn)

    def members(self, group_dn, add=(), delete=()):
        changes = {}
        if add or delete:
            changes["member"] = [(MODIFY_ADD, list(add))] if add else [(MODIFY_DELETE, list(delete))]
            self.conn.modify(group_dn, changes)

    def set_password(self, dn, password):
        self.conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [f'"{password}"'.encode("utf-16-le")])]})


def _number(text, names):
    """smbcacls prints ACE types and flags as names (ALLOWED, OI|CI) or, for others, as numbers."""
    value = 0
    for part in text.split("|"):
        value |= names[part] if part in names else int(part, 0) if part else 0
    return value


class LabShare:
    """The lab share: folders with smbprotocol's smbclient package, ACLs with Samba's smbcacls."""

    def __init__(self, server, share, user, password):
        self.server, self.share = server, share
        self._cache = {}
        self._session = {"username": user, "password": password, "connection_cache": self._cache}
        smbclient.register_session(server, connection_cache=self._cache, username=user, password=password)
        self._tmp = tempfile.TemporaryDirectory(prefix="personnel-lab-")
        self._auth = Path(self._tmp.name) / "smb-auth"
        domain, _, name = user.rpartition("\\")
        self._auth.write_text(f"username = {name}\npassword = {password}\ndomain = {domain or 'LAB'}\n")
        self._auth.chmod(0o600)

    def close(self):
        smbclient.reset_connection_cache(fail_on_error=False, connection_cache=self._cache)
        self._tmp.cleanup()

    def _unc(self, path):
        rel = path.strip("/").replace("/", "\\")
        return f"\\\\{self.server}\\{self.share}" + (f"\\{rel}" if rel else "")

    def exists(self, path):
        try:
            return stat.S_ISDIR(smbclient.stat(self._unc(path), **self._session).st_mode)
        except OSError:
            return False

    def mkdir(self, path):
        smbclient.makedirs(self._unc(path), exist_ok=True, **self._session)

    def rename(self, old, new):
        self.mkdir(new.rsplit("/", 1)[0])
        smbclient.rename(self._unc(old), self._unc(new), **self._session)

    def listdir(self, path=""):
        with smbclient.scandir(self._unc(path), **self._session) as entries:
            return sorted((e.name, e.is_dir()) for e in entries)

    def remove_tree(self, path):
        smbclient.shutil.rmtree(self._unc(path), **self._session)

    def remove_file(self, path):
        smbclient.remove(self._unc(path), **self._session)

    def _smbcacls(self, path, *args):
        done = subprocess.run(
            ["smbcacls", f"//{self.server}/{self.share}", path.replace("/", "\\") or "\\"]
            + ["-A", str(self._auth), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"smbcacls {path}: {done.stdout}{done.stderr}")
        return done.stdout

    def acl(self, path):
        """(explicit entries {(sid, type, flags, mask)}, protected) as Samba reports them."""
        entries, protected = set(), False
        for line in self._smbcacls(path, "--numeric").splitlines():
            if line.startswith("CONTROL:"):
                control = line.split(":", 1)[1]
                protected = "PD" in control.split("|") or (
                    control.startswith("0x") and bool(int(control, 16) & 0x1000)
                )
            elif line.startswith("ACL:"):
                sid, rest = line[4:].rsplit(":", 1)
                kind, flags, mask = rest.split("/")
                flags = _number(flags, ACE_FLAGS)
                if not flags & INHERITED:
                    entries.add((sid, _number(kind, ACE_TYPES), flags, int(mask, 16)))
        return frozenset(entries), protected

    def set_acl(self, path, entries):
        """A protected DACL of allow entries {(sid, type, flags, mask)}."""
        sddl = "D:P" + "".join(
            f"(A;{'OI' * bool(flags & 1)}{'CI' * bool(flags & 2)};0x{mask:08x};;;{sid})"
            for sid, _type, flags, mask in sorted(entries, key=lambda e: (e[0] not in ADMIN_SIDS, e))
        )
        self._smbcacls(path, "--sddl", "--set", sddl)


def folder_acl(sid_rights):
    """What the lab's department folders hold: administrators full control, then each (sid, right)."""
    entries = {(sid, 0, OICI, RIGHTS["full"]) for sid in ADMIN_SIDS}
    return frozenset(entries | {(sid, 0, OICI, RIGHTS[right]) for sid, right in sid_rights}), True


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
        return LabDirectory(self.url, self.bind_dn, self.password, self.ca_file)

    def share(self):
        return LabShare(self.smb_server, self.smb_share, self.smb_user, self.password)


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
                share.remove_tree(path) if sub_is_dir else share.remove_file(path)
    for dept in live.values():
        wanted = folder_acl([(sids[dept["groups"][r]], right) for r, right in dept["folder_rights"].items()])
        share.mkdir(dept["share_folder"])
        if share.acl(dept["share_folder"]) != wanted:
            share.set_acl(dept["share_folder"], wanted[0])


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
                    entries, protected = share.acl(child)
                    state["folders"][child] = {
                        "protected": protected,
                        "acl": sorted(
                            f"{t} {sid} {flags:#x} {mask:#010x}" for sid, t, flags, mask in entries
                        ),
                    }
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
