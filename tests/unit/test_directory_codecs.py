"""Byte-level codecs of the directory clients: NT security descriptors (smb.py) and SIDs / LDAP
filters (ldap.py). The descriptors are built here by hand with struct from [MS-DTYP] 2.4, not with
the code under test, so a round trip proves what the module writes back, byte for byte.
tests/integration/test_personnel_clients.py repeats the ACL round trip against the lab's Samba share."""

from __future__ import annotations

import struct
import uuid

import pytest
from ansible.module_utils.directory import ldap as ldap_dir
from ansible.module_utils.directory import smb

SID_USERS = "S-1-5-32-545"
SID_GROUP = "S-1-5-21-3136906453-3692384034-2622737221-1109"


def sid_bytes(sid):
    parts = sid.split("-")
    subs = [int(p) for p in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def ace(ace_type, flags, mask, body):
    return struct.pack("<BBHI", ace_type, flags, 8 + len(body), mask) + body


def callback_ace():
    """ACCESS_ALLOWED_CALLBACK_ACE (0x09): SID then application data (a conditional expression)."""
    return ace(0x09, 0x03, smb.RIGHTS["read"], sid_bytes(SID_USERS) + b"artx\x00\x00\x00\x00")


def object_ace():
    """ACCESS_ALLOWED_OBJECT_ACE (0x05): Flags, ObjectType GUID, then the SID."""
    guid = uuid.UUID("bf967aba-0de6-11d0-a285-00aa003049e2").bytes_le
    return ace(0x05, 0x02, 0x00000100, struct.pack("<I", 0x1) + guid + sid_bytes(SID_GROUP))


def descriptor(aces, protected=True, revision=4):
    body = b"".join(aces)
    acl = struct.pack("<BBHHH", revision, 0, 8 + len(body), len(aces), 0) + body
    control = 0x8000 | 0x0004 | (0x1000 if protected else 0)
    return struct.pack("<BBHIIII", 1, 0, control, 0, 0, 0, 20) + acl


ADMIN = ace(0x00, 0x03, smb.RIGHTS["full"], sid_bytes(smb.SID_ADMINISTRATORS))
DENY = ace(0x01, 0x00, smb.RIGHTS["read"], sid_bytes("S-1-5-21-1-2-3-4"))
INHERITED = ace(0x00, 0x13, smb.RIGHTS["read"], sid_bytes("S-1-1-0"))


def test_allow_and_deny_pack_exactly_as_the_specification_lays_them_out():
    dacl = smb.Dacl(
        (
            smb.Ace(smb.SID_ADMINISTRATORS, smb.RIGHTS["full"]),
            smb.Ace("S-1-5-21-1-2-3-4", smb.RIGHTS["read"], flags=0, type=smb.ACE_DENIED),
        )
    )
    assert smb.pack_sd(dacl) == descriptor([ADMIN, DENY], revision=2)
    assert smb.unpack_sd(descriptor([ADMIN, DENY], revision=2)) == dacl


def test_unmanaged_ace_types_survive_read_modify_write_verbatim_and_in_order():
    data = descriptor([ADMIN, callback_ace(), DENY, object_ace(), INHERITED])
    current = smb.unpack_sd(data)
    assert [a.type for a in current.aces] == [0x00, 0x09, 0x01, 0x05, 0x00]
    assert [a.raw for a in current.kept] == [callback_ace(), object_ace()]
    assert current.kept[0].sid == SID_USERS and current.kept[1].sid == SID_GROUP
    assert current.describe() == sorted(
        [f"allow {smb.SID_ADMINISTRATORS} full", "deny S-1-5-21-1-2-3-4 read"]
    )

    # read, modify the allow/deny entries, write back: the other entries stay byte for byte
    modified = smb.Dacl(
        tuple(a for a in current.aces if not (a.managed and a.type == smb.ACE_DENIED))
        + (smb.Ace(SID_GROUP, smb.RIGHTS["modify"]),),
        current.protected,
    )
    written = smb.pack_sd(modified)
    assert callback_ace() in written and object_ace() in written
    assert written.index(callback_ace()) < written.index(object_ace())
    assert smb.unpack_sd(written) == modified
    assert written[20] == 4  # ACL_REVISION_DS: the object ACE needs it

    # a DACL built fresh from the masters (what share_folders writes) keeps them in their place
    wanted = smb.folder_dacl([(SID_GROUP, "modify")])
    merged = wanted.keeping(current)
    assert merged.same_as(wanted) and merged.kept == current.kept
    assert [a.type for a in merged.aces] == [0x00, 0x00, 0x00, 0x09, 0x05]
    assert smb.unpack_sd(smb.pack_sd(merged)) == merged
    assert wanted.keeping(smb.unpack_sd(descriptor([ADMIN]))) is wanted


def test_unmanaged_entries_before_the_first_allow_or_deny_stay_in_front():
    current = smb.unpack_sd(descriptor([callback_ace(), ADMIN, object_ace()]))
    merged = smb.folder_dacl([]).keeping(current)
    assert [a.raw for a in merged.aces][0] == callback_ace()
    assert [a.raw for a in merged.aces][-1] == object_ace()


def test_unmanaged_entries_do_not_make_an_acl_differ():
    """Idempotence: the plan compares the entries it manages; the kept ones never trigger a rewrite."""
    wanted = smb.folder_dacl([(SID_GROUP, "read")])
    current = smb.unpack_sd(smb.pack_sd(wanted.keeping(smb.unpack_sd(descriptor([callback_ace()])))))
    assert current.same_as(wanted) and current != wanted


def test_descriptor_without_dacl():
    data = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    assert smb.unpack_sd(data) == smb.Dacl((), protected=False)


@pytest.mark.parametrize("sid", ["S-1-5-32-544", "S-1-5-18", SID_GROUP, "S-1-1-0"])
def test_sid_conversion_both_ways(sid):
    assert smb.sid_to_bytes(sid) == sid_bytes(sid)
    assert smb.sid_from_bytes(sid_bytes(sid)) == sid
    assert ldap_dir.sid_to_bytes(sid) == sid_bytes(sid)
    assert ldap_dir.sid_from_bytes(sid_bytes(sid)) == sid


def test_ldap_sid_to_bytes_refuses_what_is_not_a_sid():
    with pytest.raises(ValueError):
        ldap_dir.sid_to_bytes("Administrators")


def test_ldap_filter_values_are_escaped():
    assert ldap_dir.escape_filter("a*(b)\\c\x00d") == r"a\2a\28b\29\5cc\00d"
    assert ldap_dir.escape_filter("髙橋 課長") == "髙橋 課長"
