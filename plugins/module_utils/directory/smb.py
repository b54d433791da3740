# Folders and their NT security descriptors (DACL) over one SMB2/3 session with smbprotocol.
# smbprotocol has no high-level call for security descriptors, so the raw QUERY_INFO / SET_INFO
# (info type SECURITY) messages are sent here and the self-relative descriptor is packed and
# unpacked by hand ([MS-DTYP] 2.4.6). Only the DACL is read or written; owner and group stay.
from __future__ import annotations

import contextlib
import struct
import uuid
from dataclasses import dataclass

try:
    from smbprotocol.connection import Connection
    from smbprotocol.exceptions import SMBException, SMBResponseException
    from smbprotocol.file_info import (
        FileDirectoryInformation,
        FileInformationClass,
        FileRenameInformation,
        InfoType,
    )
    from smbprotocol.open import (
        CreateDisposition,
        CreateOptions,
        DirectoryAccessMask,
        FileAttributes,
        FilePipePrinterAccessMask,
        ImpersonationLevel,
        Open,
        ShareAccess,
        SMB2QueryInfoRequest,
        SMB2QueryInfoResponse,
        SMB2SetInfoRequest,
    )
    from smbprotocol.session import Session
    from smbprotocol.tree import TreeConnect

    HAS_SMBPROTOCOL = True
    SMBPROTOCOL_IMPORT_ERROR = None
except ImportError as exc:
    HAS_SMBPROTOCOL = False
    SMBPROTOCOL_IMPORT_ERROR = exc

    class SMBException(Exception):  # noqa: N818 - stand-in so except clauses still compile
        pass

    SMBResponseException = SMBException

# Windows folder rights as access masks (Explorer's "Full control", "Modify", "Read & execute")
RIGHTS = {"full": 0x001F01FF, "modify": 0x001301BF, "read": 0x001200A9}
RIGHT_NAMES = {v: k for k, v in RIGHTS.items()}
ACE_ALLOWED, ACE_DENIED = 0, 1
OBJECT_INHERIT, CONTAINER_INHERIT, INHERITED = 0x01, 0x02, 0x10
INHERIT_ALL = OBJECT_INHERIT | CONTAINER_INHERIT
SE_DACL_PRESENT, SE_DACL_PROTECTED, SE_SELF_RELATIVE = 0x0004, 0x1000, 0x8000
DACL_SECURITY_INFORMATION = 0x00000004
SID_ADMINISTRATORS = "S-1-5-32-544"
SID_SYSTEM = "S-1-5-18"
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
STATUS_ACCESS_DENIED = 0xC0000022
FILE_CREATED = 2


class ShareError(Exception):
    pass


class AccessDenied(ShareError):
    pass


@dataclass(frozen=True)
class Ace:
    sid: str
    mask: int
    flags: int = INHERIT_ALL
    type: int = ACE_ALLOWED

    def describe(self, names=None):
        who = (names or {}).get(self.sid, self.sid)
        right = RIGHT_NAMES.get(self.mask, hex(self.mask))
        kind = (
            "allow" if self.type == ACE_ALLOWED else "deny" if self.type == ACE_DENIED else f"type{self.type}"
        )
        return f"{kind} {who} {right}"


@dataclass(frozen=True)
class Dacl:
    aces: tuple
    protected: bool = True

    def same_as(self, other):
        """Order-insensitive comparison of explicit entries (inherited ones are the parent's business)."""
        mine = {a for a in self.aces if not a.flags & INHERITED}
        theirs = {a for a in other.aces if not a.flags & INHERITED}
        return mine == theirs and self.protected == other.protected

    def describe(self, names=None):
        return sorted(a.describe(names) for a in self.aces if not a.flags & INHERITED)


def sid_to_bytes(sid):
    parts = sid.split("-")
    if parts[0] != "S" or len(parts) < 3:
        raise ValueError(f"not a SID: {sid}")
    subs = [int(p) for p in parts[3:]]
    return (
        struct.pack("<BB", int(parts[1]), len(subs))
        + int(parts[2]).to_bytes(6, "big")
        + struct.pack(f"<{len(subs)}I", *subs)
    )


def sid_from_bytes(data):
    count = data[1]
    authority = int.from_bytes(data[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", data, 8)
    return "-".join(["S", str(data[0]), str(authority), *map(str, subs)])


def pack_sd(dacl):
    body = b""
    for ace in dacl.aces:
        sid = sid_to_bytes(ace.sid)
        body += struct.pack("<BBHI", ace.type, ace.flags, 8 + len(sid), ace.mask) + sid
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(body), len(dacl.aces), 0) + body
    control = SE_SELF_RELATIVE | SE_DACL_PRESENT | (SE_DACL_PROTECTED if dacl.protected else 0)
    return struct.pack("<BBHIIII", 1, 0, control, 0, 0, 0, 20) + acl


def unpack_sd(data):
    _rev, _sbz, control, _owner, _group, _sacl, dacl_off = struct.unpack_from("<BBHIIII", data, 0)
    aces = []
    if control & SE_DACL_PRESENT and dacl_off:
        count = struct.unpack_from("<H", data, dacl_off + 4)[0]
        pos = dacl_off + 8
        for _ in range(count):
            ace_type, flags, size, mask = struct.unpack_from("<BBHI", data, pos)
            if ace_type in (ACE_ALLOWED, ACE_DENIED):
                aces.append(Ace(sid_from_bytes(data[pos + 8 : pos + size]), mask, flags, ace_type))
            pos += size
    return Dacl(tuple(aces), bool(control & SE_DACL_PROTECTED))


def folder_dacl(group_rights, admin_sids=(SID_ADMINISTRATORS, SID_SYSTEM)):
    """A protected DACL: administrators full control, then each (sid, right) inherited downwards."""
    aces = [Ace(sid, RIGHTS["full"]) for sid in admin_sids]
    aces += [Ace(sid, RIGHTS[right]) for sid, right in group_rights]
    return Dacl(tuple(aces))


class ShareClient:
    """One authenticated SMB tree connection to \\\\server\\share; paths use '/' and are share-relative."""

    def __init__(self, server, share, username, password, port=445, encrypt=True, timeout=30):
        if not HAS_SMBPROTOCOL:
            raise ShareError(f"the smbprotocol Python library is required: {SMBPROTOCOL_IMPORT_ERROR}")
        self.server = server
        self.share = share
        self.username = username
        self.ops = 0
        try:
            self.connection = Connection(uuid.uuid4(), server, port)
            self.connection.connect(timeout=timeout)
            self.session = Session(self.connection, username, password, require_encryption=encrypt)
            self.session.connect()
            self.tree = TreeConnect(self.session, rf"\\{server}\{share}")
            self.tree.connect()
        except SMBResponseException as exc:
            raise ShareError(f"SMB login to \\\\{server}\\{share} as {username} refused: {exc}") from exc
        except (SMBException, OSError, ValueError) as exc:
            raise ShareError(f"cannot reach \\\\{server}\\{share}: {exc}") from exc

    def close(self):
        with contextlib.suppress(SMBException, OSError):
            self.connection.disconnect(close=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- handles -----------------------------------------------------------------------------
    def _open(self, path, access, disposition, options, attributes=0):
        handle = Open(self.tree, path.strip("/").replace("/", "\\"))
        try:
            handle.create(
                ImpersonationLevel.Impersonation,
                access,
                attributes,
                ShareAccess.FILE_SHARE_READ | ShareAccess.FILE_SHARE_WRITE | ShareAccess.FILE_SHARE_DELETE,
                disposition,
                options,
            )
        except SMBResponseException as exc:
            if exc.status in (STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_PATH_NOT_FOUND):
                raise FileNotFoundError(path) from exc
            if exc.status == STATUS_ACCESS_DENIED:
                raise AccessDenied(f"{self.username}: access denied to {path}") from exc
            raise ShareError(f"{path}: {exc}") from exc
        self.ops += 1
        return handle

    def _open_dir(self, path, create=False, extra=0):
        return self._open(
            path,
            DirectoryAccessMask.FILE_LIST_DIRECTORY
            | DirectoryAccessMask.FILE_READ_ATTRIBUTES
            | DirectoryAccessMask.READ_CONTROL
            | extra,
            CreateDisposition.FILE_OPEN_IF if create else CreateDisposition.FILE_OPEN,
            CreateOptions.FILE_DIRECTORY_FILE,
            FileAttributes.FILE_ATTRIBUTE_DIRECTORY,
        )

    def _send(self, request):
        return self.connection.receive(
            self.connection.send(request, self.session.session_id, self.tree.tree_connect_id)
        )

    # ---- folders -----------------------------------------------------------------------------
    def exists(self, path):
        try:
            self._open_dir(path).close()
            return True
        except FileNotFoundError:
            return False

    def mkdir(self, path):
        """Create PATH and any missing parents; True when PATH itself was created."""
        parts = [p for p in path.strip("/").split("/") if p]
        created = False
        for depth in range(1, len(parts) + 1):
            handle = self._open_dir("/".join(parts[:depth]), create=True)
            created = handle.create_action == FILE_CREATED
            handle.close()
        return created

    def rename(self, old, new):
        parent = new.strip("/").rsplit("/", 1)[0] if "/" in new.strip("/") else ""
        if parent:
            self.mkdir(parent)
        handle = self._open(
            old,
            DirectoryAccessMask.DELETE | DirectoryAccessMask.FILE_READ_ATTRIBUTES,
            CreateDisposition.FILE_OPEN,
            CreateOptions.FILE_DIRECTORY_FILE,
        )
        try:
            info = FileRenameInformation()
            info["replace_if_exists"] = False
            info["file_name"] = new.strip("/").replace("/", "\\")
            req = SMB2SetInfoRequest()
            req["info_type"] = info.INFO_TYPE
            req["file_info_class"] = info.INFO_CLASS
            req["file_id"] = handle.file_id
            req["buffer"] = info
            self._send(req)
        except SMBResponseException as exc:
            raise ShareError(f"rename {old} -> {new}: {exc}") from exc
        finally:
            handle.close()

    def listdir(self, path=""):
        handle = self._open_dir(path)
        try:
            entries = handle.query_directory("*", FileInformationClass.FILE_DIRECTORY_INFORMATION)
        finally:
            handle.close()
        out = []
        for entry in entries:
            name = entry["file_name"].get_value().decode("utf-16-le")
            if name in (".", ".."):
                continue
            is_dir = bool(entry["file_attributes"].get_value() & FileAttributes.FILE_ATTRIBUTE_DIRECTORY)
            out.append((name, is_dir))
        return sorted(out)

    def remove_tree(self, path):
        """Delete PATH and everything below it (lab clean-up and tests)."""
        for name, is_dir in self.listdir(path):
            child = f"{path.strip('/')}/{name}"
            if is_dir:
                self.remove_tree(child)
            else:
                self._delete(child, directory=False)
        self._delete(path, directory=True)

    def _delete(self, path, directory):
        options = CreateOptions.FILE_DELETE_ON_CLOSE | (
            CreateOptions.FILE_DIRECTORY_FILE if directory else CreateOptions.FILE_NON_DIRECTORY_FILE
        )
        self._open(path, DirectoryAccessMask.DELETE, CreateDisposition.FILE_OPEN, options).close()

    # ---- files (used to prove access as a user) ----------------------------------------------
    def write_file(self, path, data):
        handle = self._open(
            path,
            FilePipePrinterAccessMask.GENERIC_WRITE,
            CreateDisposition.FILE_OVERWRITE_IF,
            CreateOptions.FILE_NON_DIRECTORY_FILE,
        )
        try:
            handle.write(data, 0)
        finally:
            handle.close()

    def read_file(self, path):
        handle = self._open(
            path,
            FilePipePrinterAccessMask.GENERIC_READ,
            CreateDisposition.FILE_OPEN,
            CreateOptions.FILE_NON_DIRECTORY_FILE,
        )
        try:
            return handle.read(0, handle.end_of_file) if handle.end_of_file else b""
        finally:
            handle.close()

    # ---- security descriptors ----------------------------------------------------------------
    def get_dacl(self, path):
        handle = self._open_dir(path)
        try:
            req = SMB2QueryInfoRequest()
            req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
            req["output_buffer_length"] = 65536
            req["additional_information"] = DACL_SECURITY_INFORMATION
            req["file_id"] = handle.file_id
            resp = SMB2QueryInfoResponse()
            resp.unpack(self._send(req)["data"].get_value())
            return unpack_sd(resp["buffer"].get_value())
        finally:
            handle.close()

    def set_dacl(self, path, dacl):
        handle = self._open_dir(path, extra=DirectoryAccessMask.WRITE_DAC)
        try:
            req = SMB2SetInfoRequest()
            req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
            req["additional_information"] = DACL_SECURITY_INFORMATION
            req["file_id"] = handle.file_id
            req["buffer"] = pack_sd(dacl)
            self._send(req)
        except SMBResponseException as exc:
            raise ShareError(f"set ACL of {path}: {exc}") from exc
        finally:
            handle.close()


__all__ = [
    "FileDirectoryInformation",
    "HAS_SMBPROTOCOL",
    "RIGHTS",
    "AccessDenied",
    "Ace",
    "Dacl",
    "ShareClient",
    "ShareError",
    "folder_dacl",
    "pack_sd",
    "unpack_sd",
]
