"""The protocol clients of the personnel-transfer modules against the lab's Samba AD DC:
ldap_directory.py (LDAPS with strict certificate verification, paged search, batched writes) and
smb_acl.py (folders, rename, NT security descriptors over SMB). Read-mostly; whatever a test
creates it removes."""

from __future__ import annotations

import subprocess
import uuid

import personnel_lab
import pytest
from ansible.module_utils.directory.ldap import (
    ConnectionLost,
    DirectoryError,
    LdapDirectory,
    user_can_bind,
)
from ansible.module_utils.directory.smb import AccessDenied, ShareClient, folder_dacl

pytestmark = pytest.mark.lab
BASE = personnel_lab.BASE_DN


@pytest.fixture(scope="module")
def access(lab):
    return personnel_lab.lab_access(getattr(lab, "run_dir", None))


def module_directory(access):
    """The modules' LDAPS client (the code under test), not the lab tool's own."""
    return LdapDirectory(access.url, access.bind_dn, access.password, access.ca_file, BASE).connect()


def test_ldaps_verifies_the_server_certificate_strictly(access):
    with module_directory(access) as d:
        ous = [
            dn
            for dn, _a in d.search(personnel_lab.DEPARTMENTS_OU, "(objectClass=organizationalUnit)", ["ou"])
        ]
    assert f"OU=120200,{personnel_lab.DEPARTMENTS_OU}" in ous
    system_ca = "/etc/ssl/certs/ca-certificates.crt"
    with pytest.raises(DirectoryError, match="does not verify against") as err:
        LdapDirectory(access.url, access.bind_dn, access.password, system_ca, BASE).connect()
    assert not isinstance(err.value, ConnectionLost)
    with pytest.raises(DirectoryError, match="only ldaps://"):
        LdapDirectory("ldap://127.0.0.1:389", access.bind_dn, access.password, access.ca_file, BASE)
    with pytest.raises(DirectoryError, match="refused"):
        LdapDirectory(access.url, access.bind_dn, "wrong-password", access.ca_file, BASE).connect()
    with pytest.raises(ConnectionLost, match="cannot reach"):
        LdapDirectory(
            "ldaps://127.0.0.1:1", access.bind_dn, access.password, access.ca_file, BASE, timeout=3
        ).connect()


def test_paged_search_and_batched_group_writes(access):
    name = f"g-test-{uuid.uuid4().hex[:8]}"
    dn = f"CN={name},CN=Users,{BASE}"
    with module_directory(access) as d:
        d.page_size = 50  # several pages for the ~160 seeded OUs, groups and users
        entries = list(d.search(BASE, "(|(objectClass=group)(objectClass=organizationalUnit))", ["cn"]))
        assert len(entries) > 100
        members = [m for m, _a in d.search(personnel_lab.DEPARTMENTS_OU, "(employeeID=1000*)", ["cn"])]
        assert len(members) >= 3
        d.add(dn, {"objectClass": ["group"], "sAMAccountName": name, "groupType": -2147483646})
        try:
            writes = d.writes
            d.members(dn, add=members)  # one modify for every member
            assert d.writes == writes + 1
            ((_dn, attrs),) = d.search(dn, "(objectClass=*)", ["member"], scope="base")
            assert {m.lower() for m in attrs["member"]} == {m.lower() for m in members}
            with pytest.raises(DirectoryError, match="members of"):
                d.members(dn, add=members[:1])  # already there: AD refuses, nothing half-done
        finally:
            d.delete(dn)


def test_department_folder_acl_is_what_the_master_says(access):
    live = {d["code"]: d for d in personnel_lab.live_organisation()["jichitai_departments"]}
    with access.directory() as d:
        sids = {
            a["sAMAccountName"][0]: a["objectSid"][0]
            for _dn, a in d.search(BASE, "(objectClass=group)", ["sAMAccountName", "objectSid"])
        }
    dept = live["120200"]
    wanted = folder_dacl([(sids[dept["groups"][r]], right) for r, right in dept["folder_rights"].items()])
    with ShareClient("127.0.0.1", "share", "Administrator", access.password) as share:
        assert share.get_dacl(dept["share_folder"]).same_as(wanted)


def test_folders_rename_and_acl_over_one_session(access):
    top = f"_test_{uuid.uuid4().hex[:8]}"
    with ShareClient("127.0.0.1", "share", "Administrator", access.password) as share:
        try:
            assert share.mkdir(f"{top}/課/係") is True and share.mkdir(f"{top}/課/係") is False
            dacl = folder_dacl([("S-1-5-32-545", "read")])
            share.set_dacl(f"{top}/課/係", dacl)
            share.write_file(f"{top}/課/係/メモ.txt", "髙橋".encode())
            share.rename(f"{top}/課/係", f"{top}/新課/係")
            assert share.get_dacl(f"{top}/新課/係").same_as(dacl)
            assert share.read_file(f"{top}/新課/係/メモ.txt").decode() == "髙橋"
            assert not share.exists(f"{top}/課/係")
        finally:
            share.remove_tree(top)
        assert not share.exists(top)


def test_a_staff_member_reaches_only_his_department(access):
    password = personnel_lab.lab_secret("vault_lab_ad_user_password")
    user = "u100002@lab.jichitai.test"  # 佐藤 花子, 秘書課 staff in the lab's sample users
    assert user_can_bind(access.url, access.ca_file, user, password)
    assert not user_can_bind(access.url, access.ca_file, user, password + "x")
    name = f"_access_{uuid.uuid4().hex[:8]}.txt"
    with ShareClient("127.0.0.1", "share", user, password) as share:
        share.write_file(f"市長公室/秘書課/{name}", b"ok")
        share._delete(f"市長公室/秘書課/{name}", directory=False)
        with pytest.raises(AccessDenied):
            share.write_file(f"総務部/人事課/{name}", b"no")


# ACCESS_ALLOWED_OBJECT_ACE (0x05) with an object type GUID: an ACE type smb.py does not manage.
# Samba 4.17's smbcacls sets it from SDDL ("OA"); it has no syntax for callback (conditional) ACEs,
# which tests/unit/test_directory_codecs.py covers as bytes.
OBJECT_GUID = "bf967aba-0de6-11d0-a285-00aa003049e2"
OBJECT_ACE = f"(OA;;CR;{OBJECT_GUID};;S-1-5-32-545)"


def smbcacls(access, path, *args, tmp_path):
    auth = tmp_path / "smb-auth"
    auth.write_text(f"username = Administrator\npassword = {access.password}\ndomain = LAB\n")
    auth.chmod(0o600)
    return subprocess.run(
        ["smbcacls", "//127.0.0.1/share", path, "-A", str(auth), "--sddl", "--numeric", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_object_ace_set_by_samba_survives_a_rewrite_of_the_acl(access, tmp_path):
    top = f"_test_{uuid.uuid4().hex[:8]}"
    with ShareClient("127.0.0.1", "share", "Administrator", access.password) as share:
        share.mkdir(top)
        try:
            sddl = f"D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY){OBJECT_ACE}(A;OICI;0x1200a9;;;BU)"
            done = smbcacls(access, top, "--set", sddl, tmp_path=tmp_path)
            if done.returncode != 0:
                pytest.skip(f"the lab's Samba does not store an object ACE: {done.stdout}{done.stderr}")
            before = share.get_dacl(top)
            assert [a.type for a in before.kept] == [0x05]

            # what share_folders writes: a DACL built fresh from the organisation master
            wanted = folder_dacl([("S-1-5-32-545", "modify")])
            share.set_dacl(top, wanted)
            after = share.get_dacl(top)
            assert after.same_as(wanted) and after.kept == before.kept
            shown = smbcacls(access, top, tmp_path=tmp_path)
            assert shown.returncode == 0, shown.stderr
            assert "(OA;" in shown.stdout and OBJECT_GUID in shown.stdout.lower(), shown.stdout
        finally:
            share.remove_tree(top)
