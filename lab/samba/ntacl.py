"""NT security descriptors (DACL only) read and written over SMB2 with smbprotocol.

smbprotocol has no high-level call for security descriptors, so this sends the raw
QUERY_INFO / SET_INFO (info type SECURITY) messages and packs the self-relative descriptor
itself ([MS-DTYP] 2.4.6). Used by the lab seeding script; one SMB session serves every folder.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from smbprotocol.connection import Connection
from smbprotocol.file_info import InfoType
from smbprotocol.open import (
    CreateDisposition,
    CreateOptions,
    DirectoryAccessMask,
    FileAttributes,
    ImpersonationLevel,
    Open,
    ShareAccess,
    SMB2QueryInfoRequest,
    SMB2QueryInfoResponse,
    SMB2SetInfoRequest,
)
from smbprotocol.session import Session
from smbprotocol.tree import TreeConnect

# Windows folder rights as access masks
RIGHTS = {"full": 0x001F01FF, "modify": 0x001301BF, "read": 0x001200A9}
ACE_ALLOWED = 0
OI, CI = 0x01, 0x02  # object inherit, container inherit
INHERIT_ALL = OI | CI
SE_DACL_PRESENT, SE_DACL_PROTECTED, SE_SELF_RELATIVE = 0x0004, 0x1000, 0x8000
DACL_SECURITY_INFORMATION = 0x00000004

SID_ADMINISTRATORS = "S-1-5-32-544"
SID_SYSTEM = "S-1-5-18"


@dataclass(frozen=True)
class Ace:
    sid: str
    mask: int
    flags: int = INHERIT_ALL
    type: int = ACE_ALLOWED


@dataclass(frozen=True)
class Dacl:
    aces: tuple[Ace, ...]
    protected: bool = True


def sid_to_bytes(sid: str) -> bytes:
    parts = sid.split("-")
    if parts[0] != "S" or len(parts) < 3:
        raise ValueError(f"not a SID: {sid}")
    subs = [int(p) for p in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def sid_from_bytes(data: bytes) -> str:
    revision, count = data[0], data[1]
    authority = int.from_bytes(data[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", data, 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])


def pack_sd(dacl: Dacl) -> bytes:
    body = b""
    for ace in dacl.aces:
        sid = sid_to_bytes(ace.sid)
        body += struct.pack("<BBHI", ace.type, ace.flags, 8 + len(sid), ace.mask) + sid
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(body), len(dacl.aces), 0) + body
    control = SE_SELF_RELATIVE | SE_DACL_PRESENT | (SE_DACL_PROTECTED if dacl.protected else 0)
    return struct.pack("<BBHIIII", 1, 0, control, 0, 0, 0, 20) + acl


def unpack_sd(data: bytes) -> Dacl:
    _rev, _sbz, control, _owner, _group, _sacl, dacl_off = struct.unpack_from("<BBHIIII", data, 0)
    aces: list[Ace] = []
    if control & SE_DACL_PRESENT and dacl_off:
        _arev, _asbz, _size, count, _asbz2 = struct.unpack_from("<BBHHH", data, dacl_off)
        pos = dacl_off + 8
        for _ in range(count):
            ace_type, flags, size, mask = struct.unpack_from("<BBHI", data, pos)
            aces.append(
                Ace(sid=sid_from_bytes(data[pos + 8 : pos + size]), mask=mask, flags=flags, type=ace_type)
            )
            pos += size
    return Dacl(aces=tuple(aces), protected=bool(control & SE_DACL_PROTECTED))


class ShareClient:
    """One authenticated SMB2 tree connection; folders are created and their DACLs set through it."""

    def __init__(self, server: str, share: str, username: str, password: str, port: int = 445):
        self.connection = Connection(uuid.uuid4(), server, port)
        self.connection.connect()
        self.session = Session(self.connection, username, password, require_encryption=False)
        self.session.connect()
        self.tree = TreeConnect(self.session, rf"\\{server}\{share}")
        self.tree.connect()

    def close(self) -> None:
        self.connection.disconnect(close=True)

    def _open_dir(self, path: str, create: bool) -> Open:
        handle = Open(self.tree, path.replace("/", "\\"))
        handle.create(
            ImpersonationLevel.Impersonation,
            DirectoryAccessMask.FILE_LIST_DIRECTORY
            | DirectoryAccessMask.READ_CONTROL
            | DirectoryAccessMask.WRITE_DAC,
            FileAttributes.FILE_ATTRIBUTE_DIRECTORY,
            ShareAccess.FILE_SHARE_READ | ShareAccess.FILE_SHARE_WRITE | ShareAccess.FILE_SHARE_DELETE,
            CreateDisposition.FILE_OPEN_IF if create else CreateDisposition.FILE_OPEN,
            CreateOptions.FILE_DIRECTORY_FILE,
        )
        return handle

    def _send(self, request):
        return self.connection.send(request, self.session.session_id, self.tree.tree_connect_id)

    def _get_dacl(self, handle: Open) -> Dacl:
        req = SMB2QueryInfoRequest()
        req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
        req["output_buffer_length"] = 65536
        req["additional_information"] = DACL_SECURITY_INFORMATION
        req["file_id"] = handle.file_id
        resp = SMB2QueryInfoResponse()
        resp.unpack(self.connection.receive(self._send(req))["data"].get_value())
        return unpack_sd(resp["buffer"].get_value())

    def _set_dacl(self, handle: Open, dacl: Dacl) -> None:
        req = SMB2SetInfoRequest()
        req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
        req["additional_information"] = DACL_SECURITY_INFORMATION
        req["file_id"] = handle.file_id
        req["buffer"] = pack_sd(dacl)
        self.connection.receive(self._send(req))

    def ensure_dir(self, path: str, dacl: Dacl | None = None) -> tuple[bool, bool]:
        """Create PATH (one level) if missing and set its DACL if it differs: (created, dacl_changed)."""
        handle = self._open_dir(path, create=True)
        try:
            created = handle.create_action == 2  # FILE_CREATED
            changed = False
            if dacl is not None and self._get_dacl(handle) != dacl:
                self._set_dacl(handle, dacl)
                changed = True
            return created, changed
        finally:
            handle.close()

    def get_dacl(self, path: str) -> Dacl:
        handle = self._open_dir(path, create=False)
        try:
            return self._get_dacl(handle)
        finally:
            handle.close()
