"""Seed the lab domain with the city's organisation, idempotently, over one LDAPS and one SMB session.

From the organisation master (jichitai_departments, keyed by department code):
  OU=<code>,OU=Departments,<base>       description = department name
  g-<code>-staff, g-<code>-managers      global security groups in that OU
  <jichitai_org_retiree_ou>,<base>      retirees OU
  sample users (lab/samba/sample_users.yml) in their department OU and groups
  share folders <division>/<department> created over SMB, with a protected DACL giving each
  group the rights of folder_rights (modify = 0x1301bf, full = 0x1f01ff, read = 0x1200a9).
The lab seeds itself with its own tools, never with the code under test: ldap3 for the directory,
Samba's `smbclient` and `smbcacls` for the share, so a bug in the modules' clients cannot hide
itself by seeding the lab the way it reads it.
Existing objects are compared and corrected, never deleted. Passwords come on stdin:
line 1 the Administrator password, line 2 the sample users' password.
Exit codes: 0 done, 2 bad input, 3 the Administrator password was refused.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from ldap3 import BASE, MODIFY_ADD, MODIFY_REPLACE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPBindError, LDAPInvalidCredentialsResult

# Windows folder rights as access masks (Explorer's "Full control", "Modify", "Read & execute")
RIGHTS = {"full": 0x001F01FF, "modify": 0x001301BF, "read": 0x001200A9}
SID_ADMINISTRATORS = "S-1-5-32-544"
SID_SYSTEM = "S-1-5-18"

BASE_DN = "DC=lab,DC=jichitai,DC=test"
REALM_DNS = "lab.jichitai.test"
DEPARTMENTS_OU = f"OU=Departments,{BASE_DN}"
GLOBAL_SECURITY_GROUP = -2147483646
UAC_NORMAL = 512
GROUP_ROLES = {"staff": "職員", "managers": "管理職"}


def load_input(org_path: Path, users_path: Path) -> tuple[dict, list[dict]]:
    org = yaml.safe_load(org_path.read_text(encoding="utf-8"))
    users = yaml.safe_load(users_path.read_text(encoding="utf-8"))["lab_ad_sample_users"]
    departments = org.get("jichitai_departments") or []
    errors = []
    codes = set()
    for i, dep in enumerate(departments, 1):
        for key in ("code", "name", "groups", "share_folder", "folder_rights"):
            if key not in dep:
                errors.append(f"{org_path}: department #{i} has no {key}")
        bad = set(dep.get("folder_rights", {}).values()) - set(RIGHTS)
        if bad:
            errors.append(f"{org_path}: department {dep.get('code')} has unknown rights {sorted(bad)}")
        codes.add(dep.get("code"))
    for user in users:
        if user["department"] not in codes:
            errors.append(
                f"{users_path}: user {user['staff_no']} has unknown department {user['department']}"
            )
    if errors:
        sys.exit("seed_org: bad input:\n  " + "\n  ".join(errors))
    return org, users


class Seeder:
    def __init__(self, conn: Connection):
        self.conn = conn
        self.counts = {"created": 0, "updated": 0, "unchanged": 0}
        self.existing: dict[str, dict] = {}

    def load_existing(self) -> None:
        """Every OU, group and user of the domain, keyed by lower-case DN, in one paged search."""
        entries = self.conn.extend.standard.paged_search(
            BASE_DN,
            "(|(objectClass=organizationalUnit)(objectClass=group)(objectClass=user))",
            SUBTREE,
            attributes=["description", "member", "objectSid", "displayName", "department", "title"],
            paged_size=500,
            generator=True,
        )
        self.existing = {
            e["dn"].lower(): e["attributes"] for e in entries if e.get("type") == "searchResEntry"
        }

    def _count(self, what: str) -> None:
        self.counts[what] += 1

    def _check(self, action: str, dn: str) -> None:
        if self.conn.result["result"] != 0:
            raise RuntimeError(
                f"{action} {dn}: {self.conn.result['description']} {self.conn.result['message']}"
            )

    def ensure(self, dn: str, object_class: list[str], attrs: dict, managed: tuple[str, ...]) -> None:
        current = self.existing.get(dn.lower())
        if current is None:
            self.conn.add(dn, object_class, attrs)
            self._check("add", dn)
            self.existing[dn.lower()] = {k: attrs.get(k) for k in managed} | {"member": []}
            self._count("created")
            return
        changes = {}
        for key in managed:
            have = current.get(key)
            have = have[0] if isinstance(have, list) and have else have
            if have != attrs[key]:
                changes[key] = [(MODIFY_REPLACE, [attrs[key]])]
        if changes:
            self.conn.modify(dn, changes)
            self._check("modify", dn)
            self._count("updated")
        else:
            self._count("unchanged")

    def ensure_members(self, group_dn: str, member_dns: list[str]) -> None:
        have = {m.lower() for m in self.existing.get(group_dn.lower(), {}).get("member") or []}
        missing = [m for m in member_dns if m.lower() not in have]
        if missing:
            self.conn.modify(group_dn, {"member": [(MODIFY_ADD, missing)]})
            self._check("add members to", group_dn)
            self._count("updated")

    def group_sids(self) -> dict[str, str]:
        self.conn.search(
            DEPARTMENTS_OU, "(objectClass=group)", SUBTREE, attributes=["sAMAccountName", "objectSid"]
        )
        return {e.sAMAccountName.value: e.objectSid.value for e in self.conn.entries}

    def domain_sid(self) -> str:
        self.conn.search(BASE_DN, "(objectClass=domain)", BASE, attributes=["objectSid"])
        return self.conn.entries[0].objectSid.value


def seed_directory(seeder: Seeder, org: dict, users: list[dict], user_password: str) -> None:
    seeder.ensure(
        DEPARTMENTS_OU,
        ["top", "organizationalUnit"],
        {"description": "所属 (所属マスタの所属コード別)"},
        ("description",),
    )
    retiree_ou = f"{org.get('jichitai_org_retiree_ou', 'OU=退職者')},{BASE_DN}"
    seeder.ensure(retiree_ou, ["top", "organizationalUnit"], {"description": "退職者"}, ("description",))
    dep_by_code = {}
    for dep in org["jichitai_departments"]:
        ou = f"OU={dep['code']},{DEPARTMENTS_OU}"
        dep_by_code[dep["code"]] = (dep, ou)
        seeder.ensure(ou, ["top", "organizationalUnit"], {"description": dep["name"]}, ("description",))
        for role, name in dep["groups"].items():
            seeder.ensure(
                f"CN={name},{ou}",
                ["top", "group"],
                {
                    "sAMAccountName": name,
                    "groupType": GLOBAL_SECURITY_GROUP,
                    "description": f"{dep['name']} {GROUP_ROLES.get(role, role)}",
                },
                ("description",),
            )
    managers = set(org.get("jichitai_org_manager_titles") or [])
    members: dict[str, list[str]] = {}
    for user in users:
        dep, ou = dep_by_code[user["department"]]
        sam = f"u{user['staff_no']}"
        display = f"{user['sn']} {user['given_name']}"
        dn = f"CN={sam},{ou}"
        seeder.ensure(
            dn,
            ["top", "person", "organizationalPerson", "user"],
            {
                "sAMAccountName": sam,
                "userPrincipalName": f"{sam}@{REALM_DNS}",
                "employeeID": user["staff_no"],
                "sn": user["sn"],
                "givenName": user["given_name"],
                "displayName": display,
                "department": dep["name"],
                "title": user["title"],
                "unicodePwd": f'"{user_password}"'.encode("utf-16-le"),
                "userAccountControl": UAC_NORMAL,
            },
            ("displayName", "department", "title"),
        )
        roles = ["staff", "managers"] if user["title"] in managers else ["staff"]
        for role in roles:
            members.setdefault(f"CN={dep['groups'][role]},{ou}", []).append(dn)
    for group_dn, member_dns in members.items():
        seeder.ensure_members(group_dn, member_dns)


ACE_FLAGS = {"OI": 0x01, "CI": 0x02, "NP": 0x04, "IO": 0x08, "I": 0x10, "SA": 0x40, "FA": 0x80}
ACE_TYPES = {"ALLOWED": 0, "DENIED": 1}
INHERITED = 0x10
OICI = 0x03


def _number(text: str, names: dict) -> int:
    """smbcacls prints types and flags as names (ALLOWED, OI|CI) or, for others, as numbers."""
    value = 0
    for part in text.split("|"):
        if part in names:
            value |= names[part]
        elif part:
            value |= int(part, 0)
    return value


class SambaShare:
    """The lab share through Samba's own command-line clients (smbclient, smbcacls)."""

    def __init__(self, server: str, share: str, password: str, workdir: Path):
        self.unc = f"//{server}/{share}"
        self.auth = workdir / "smb-auth"
        self.auth.write_text(f"username = Administrator\npassword = {password}\ndomain = LAB\n")
        self.auth.chmod(0o600)

    def _run(self, tool: str, path: str, *args: str) -> subprocess.CompletedProcess:
        argv = [tool, self.unc, *([path.replace("/", "\\") or "\\"] if path is not None else [])]
        return subprocess.run(
            [*argv, "-A", str(self.auth), *args], capture_output=True, text=True, timeout=120, check=False
        )

    def acl(self, path: str) -> tuple[frozenset, bool] | None:
        """(explicit entries {(sid, type, flags, mask)}, protected) of PATH; None when it is missing."""
        done = self._run("smbcacls", path, "--numeric")
        if done.returncode != 0:
            if "NOT_FOUND" in done.stdout + done.stderr:
                return None
            sys.exit(f"seed_org: smbcacls {path}: {done.stdout}{done.stderr}")
        entries, protected = set(), False
        for line in done.stdout.splitlines():
            if line.startswith("CONTROL:"):
                control = line.split(":", 1)[1]
                protected = "PD" in control.split("|") or (
                    control.startswith("0x") and bool(int(control, 16) & 0x1000)
                )
            elif line.startswith("ACL:"):
                sid, rest = line[4:].rsplit(":", 1)
                kind, flags, mask = rest.split("/")
                flags = _number(flags, ACE_FLAGS)
                if not flags & INHERITED:  # inherited entries are the parent's
                    entries.add((sid, _number(kind, ACE_TYPES), flags, int(mask, 16)))
        return frozenset(entries), protected

    def mkdirs(self, paths: list[str]) -> None:
        commands = "; ".join(f'mkdir "{p}"' for p in paths)
        done = self._run("smbclient", None, "-m", "SMB3", "-c", commands)
        if done.returncode != 0:
            sys.exit(f"seed_org: smbclient mkdir: {done.stdout}{done.stderr}")

    def set_acl(self, path: str, aces: list[tuple[str, int, int]]) -> None:
        """A protected DACL of (sid, flags, mask) allow entries."""
        sddl = "D:P" + "".join(
            f"(A;{'OI' * bool(flags & 1)}{'CI' * bool(flags & 2)};0x{mask:08x};;;{sid})"
            for sid, flags, mask in aces
        )
        done = self._run("smbcacls", path, "--sddl", "--set", sddl)
        if done.returncode != 0:
            sys.exit(f"seed_org: smbcacls --set {path}: {done.stdout}{done.stderr}")


def _wanted(aces: list[tuple[str, int, int]]) -> tuple[frozenset, bool]:
    return frozenset((sid, ACE_TYPES["ALLOWED"], flags, mask) for sid, flags, mask in aces), True


def seed_share(share: SambaShare, seeder: Seeder, org: dict) -> None:
    domain_users = f"{seeder.domain_sid()}-513"
    admins = [(SID_ADMINISTRATORS, OICI, RIGHTS["full"]), (SID_SYSTEM, OICI, RIGHTS["full"])]
    sids = seeder.group_sids()
    # root: staff may list the division folders; department folders are protected below
    folders: dict[str, list | None] = {"": [*admins, (domain_users, ACE_FLAGS["CI"], RIGHTS["read"])]}
    for dep in org["jichitai_departments"]:
        parts = dep["share_folder"].split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), None)
        aces = [
            (sids[dep["groups"][role]], OICI, RIGHTS[right]) for role, right in dep["folder_rights"].items()
        ]
        folders[dep["share_folder"]] = [*admins, *aces]
    current = {path: share.acl(path) for path in folders}
    missing = [path for path in folders if current[path] is None]
    if missing:
        share.mkdirs(missing)  # parents come first: folders is in insertion order
    for path, aces in folders.items():
        changed = aces is not None and (current[path] is None or current[path] != _wanted(aces))
        if changed:
            share.set_acl(path, aces)
        seeder._count("created" if path in missing else "updated" if changed else "unchanged")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", type=Path, required=True)
    parser.add_argument("--users", type=Path, required=True)
    parser.add_argument("--ca", required=True, help="lab CA certificate for strict LDAPS verification")
    parser.add_argument("--server", default="127.0.0.1")
    parser.add_argument("--share", default="share")
    args = parser.parse_args()
    admin_password = sys.stdin.readline().rstrip("\n")
    user_password = sys.stdin.readline().rstrip("\n")
    if not admin_password or not user_password:
        sys.exit("seed_org: expected two passwords on stdin")
    org, users = load_input(args.org, args.users)

    started = time.monotonic()
    tls = Tls(ca_certs_file=args.ca, validate=2)  # ssl.CERT_REQUIRED
    server = Server(args.server, port=636, use_ssl=True, tls=tls, connect_timeout=10)
    try:
        conn = Connection(
            server,
            user=f"Administrator@{REALM_DNS}",
            password=admin_password,
            auto_bind=True,
            raise_exceptions=False,
        )
    except (LDAPBindError, LDAPInvalidCredentialsResult) as exc:
        print(f"seed_org: Administrator bind refused: {exc}", file=sys.stderr)
        return 3
    seeder = Seeder(conn)
    seeder.load_existing()
    seed_directory(seeder, org, users, user_password)
    try:
        with tempfile.TemporaryDirectory(prefix="seed-org-") as tmp:
            seed_share(SambaShare(args.server, args.share, admin_password, Path(tmp)), seeder, org)
    finally:
        conn.unbind()
    counts = ", ".join(f"{v} {k}" for k, v in seeder.counts.items())
    print(f"seed_org: {counts} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
