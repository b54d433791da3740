# Folders and their NT security descriptors (DACL) over one SMB2/3 session.
# Folder work (mkdir, list, rename, delete, read/write) goes through smbprotocol's high-level
# `smbclient` package on a connection cache of this client's own; security descriptors are packed
# and unpacked with smbprotocol's `security_descriptor` structures ([MS-DTYP] 2.4.6). smbclient has
# no call for the SECURITY info class, so the QUERY_INFO / SET_INFO request for it is sent on the
# handle smbclient opened. Only the DACL is read or written; owner and group stay.
#
# Entries of ACE types this code does not manage (anything but ACCESS_ALLOWED / ACCESS_DENIED:
# callback, object, conditional ACEs ...) are kept byte for byte: a DACL read and written back
# carries them unchanged, and set_dacl() keeps the folder's own explicit ones in their place.
from __future__ import annotations

import errno
import stat
import struct
from dataclasses import dataclass

try:
    import smbclient
    import smbclient.shutil
    from smbprotocol.exceptions import SMBException, SMBOSError, SMBResponseException
    from smbprotocol.file_info import InfoType
    from smbprotocol.open import (
        DirectoryAccessMask,
        SMB2QueryInfoRequest,
        SMB2QueryInfoResponse,
        SMB2SetInfoRequest,
    )
    from smbprotocol.security_descriptor import (
        AccessAllowedAce,
        AccessDeniedAce,
        AclPacket,
        AclRevision,
        SDControl,
        SIDPacket,
        SMB2CreateSDBuffer,
    )

    HAS_SMBPROTOCOL = True
    SMBPROTOCOL_IMPORT_ERROR = None
except ImportError as exc:
    HAS_SMBPROTOCOL = False
    SMBPROTOCOL_IMPORT_ERROR = exc

    class SMBException(Exception):  # noqa: N818 - stand-in so except clauses still compile
        pass

    class SMBResponseException(SMBException):  # noqa: N818 - stand-in, as above
        pass

    class SMBOSError(SMBException):  # noqa: N818 - stand-in, as above
        pass

# Windows folder rights as access masks (Explorer's "Full control", "Modify", "Read & execute")
RIGHTS = {"full": 0x001F01FF, "modify": 0x001301BF, "read": 0x001200A9}
RIGHT_NAMES = {v: k for k, v in RIGHTS.items()}
ACE_ALLOWED, ACE_DENIED = 0, 1
MANAGED_TYPES = (ACE_ALLOWED, ACE_DENIED)
# ACE types laid out with Flags and optional ObjectType / InheritedObjectType GUIDs before the SID
OBJECT_ACE_TYPES = (0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0F, 0x10)
OBJECT_INHERIT, CONTAINER_INHERIT, INHERITED = 0x01, 0x02, 0x10
INHERIT_ALL = OBJECT_INHERIT | CONTAINER_INHERIT
DACL_SECURITY_INFORMATION = 0x00000004
SID_ADMINISTRATORS = "S-1-5-32-544"
SID_SYSTEM = "S-1-5-18"
STATUS_ACCESS_DENIED = 0xC0000022
SD_BUFFER_LENGTH = 65536


class ShareError(Exception):
    pass


class AccessDenied(ShareError):
    pass


@dataclass(frozen=True)
class Ace:
    """One access control entry. `raw` holds the entry's bytes verbatim for ACE types this code
    does not manage (type other than allow/deny); such an entry is written back exactly as read."""

    sid: str
    mask: int
    flags: int = INHERIT_ALL
    type: int = ACE_ALLOWED
    raw: bytes = b""

    @property
    def managed(self):
        return self.type in MANAGED_TYPES and not self.raw

    def describe(self, names=None):
        who = (names or {}).get(self.sid, self.sid)
        right = RIGHT_NAMES.get(self.mask, hex(self.mask))
        kind = (
            "allow" if self.type == ACE_ALLOWED else "deny" if self.type == ACE_DENIED else f"type{self.type}"
        )
        return f"{kind} {who} {right}"

    @classmethod
    def from_bytes(cls, data):
        """An entry of a type this code does not manage, kept verbatim (SID read where it sits)."""
        ace_type, flags, size = struct.unpack_from("<BBH", data, 0)
        raw = bytes(data[:size])
        mask = struct.unpack_from("<I", raw, 4)[0] if size >= 8 else 0
        sid_at = 8
        if ace_type in OBJECT_ACE_TYPES and size >= 12:
            present = struct.unpack_from("<I", raw, 8)[0]
            sid_at = 12 + 16 * (bool(present & 0x1) + bool(present & 0x2))
        try:
            sid = sid_from_bytes(raw[sid_at:])
        except (ValueError, IndexError, struct.error):
            sid = ""
        return cls(sid, mask, flags, ace_type, raw)


@dataclass(frozen=True)
class Dacl:
    aces: tuple
    protected: bool = True

    def _explicit_managed(self):
        return {a for a in self.aces if a.managed and not a.flags & INHERITED}

    def same_as(self, other):
        """Order-insensitive comparison of the explicit allow/deny entries (inherited ones are the
        parent's business; entries of other types are never changed here, set_dacl keeps them)."""
        return self._explicit_managed() == other._explicit_managed() and self.protected == other.protected

    def describe(self, names=None):
        return sorted(a.describe(names) for a in self._explicit_managed())

    @property
    def kept(self):
        """Explicit entries of ACE types this code does not manage, in their order."""
        return tuple(a for a in self.aces if not a.managed and not a.flags & INHERITED)

    def keeping(self, current):
        """This DACL plus CURRENT's explicit entries of unmanaged types, verbatim and in their place:
        those before CURRENT's first explicit allow/deny entry stay in front, the others follow.
        A DACL that already carries such entries (read, modified, written back) is left as it is."""
        if self.kept or not current.kept:
            return self
        explicit = [a for a in current.aces if not a.flags & INHERITED]
        first = next((i for i, a in enumerate(explicit) if a.managed), len(explicit))
        before = tuple(a for a in explicit[:first] if not a.managed)
        after = tuple(a for a in explicit[first:] if not a.managed)
        return Dacl(before + tuple(self.aces) + after, self.protected)


def sid_to_bytes(sid):
    packet = SIDPacket()
    packet.from_string(sid)
    return packet.pack()


def sid_from_bytes(data):
    packet = SIDPacket()
    packet.unpack(bytes(data))
    return str(packet)


def _ace_packet(ace):
    if not ace.managed:
        return ace.raw
    packet = AccessAllowedAce() if ace.type == ACE_ALLOWED else AccessDeniedAce()
    packet["ace_flags"] = ace.flags
    packet["mask"] = ace.mask
    sid = SIDPacket()
    sid.from_string(ace.sid)
    packet["sid"] = sid
    return packet


def pack_sd(dacl):
    """Self-relative security descriptor holding only DACL (owner, group and SACL absent)."""
    acl = AclPacket()
    if any(a.type in OBJECT_ACE_TYPES for a in dacl.aces):
        acl["acl_revision"] = AclRevision.ACL_REVISION_DS
    acl["aces"] = [_ace_packet(a) for a in dacl.aces]
    sd = SMB2CreateSDBuffer()
    sd["control"].set_flag(SDControl.SELF_RELATIVE)
    if dacl.protected:
        sd["control"].set_flag(SDControl.DACL_PROTECTED)
    sd.set_dacl(acl)
    return sd.pack()


def unpack_sd(data):
    sd = SMB2CreateSDBuffer()
    sd.unpack(bytes(data))
    acl = sd.get_dacl() if sd["offset_dacl"].get_value() else None
    aces = []
    for entry in acl["aces"].get_value() if acl is not None else ():
        if isinstance(entry, (AccessAllowedAce, AccessDeniedAce)):
            aces.append(
                Ace(
                    str(entry["sid"].get_value()),
                    entry["mask"].get_value(),
                    entry["ace_flags"].get_value(),
                    entry["ace_type"].get_value(),
                )
            )
        else:  # every other type (audit, callback, object ...) as its bytes
            aces.append(Ace.from_bytes(entry if isinstance(entry, bytes) else entry.pack()))
    return Dacl(tuple(aces), sd["control"].has_flag(SDControl.DACL_PROTECTED))


def folder_dacl(group_rights, admin_sids=(SID_ADMINISTRATORS, SID_SYSTEM)):
    """A protected DACL: administrators full control, then each (sid, right) inherited downwards."""
    aces = [Ace(sid, RIGHTS["full"]) for sid in admin_sids]
    aces += [Ace(sid, RIGHTS[right]) for sid, right in group_rights]
    return Dacl(tuple(aces))


class ShareClient:
    """One authenticated SMB session to \\\\server\\share; paths use '/' and are share-relative.

    The connection lives in a connection cache of this client's own (smbclient's `connection_cache`),
    so two clients in one process never share a session and close() ends exactly this one."""

    def __init__(self, server, share, username, password, port=445, encrypt=True, timeout=30):
        if not HAS_SMBPROTOCOL:
            raise ShareError(f"the smbprotocol Python library is required: {SMBPROTOCOL_IMPORT_ERROR}")
        self.server = server
        self.share = share
        self.username = username
        self.ops = 0
        self._cache = {}
        self._session = {
            "username": username,
            "password": password,
            "port": port,
            "connection_cache": self._cache,
        }
        try:
            smbclient.register_session(
                server,
                username=username,
                password=password,
                port=port,
                encrypt=encrypt,
                connection_timeout=timeout,
                connection_cache=self._cache,
            )
            smbclient.stat(self._unc(""), **self._session)  # the tree connect: a wrong share fails here
        except SMBResponseException as exc:
            self.close()
            raise ShareError(f"SMB login to \\\\{server}\\{share} as {username} refused: {exc}") from exc
        except (SMBException, OSError, ValueError) as exc:
            self.close()
            raise ShareError(f"cannot reach \\\\{server}\\{share}: {exc}") from exc

    def close(self):
        smbclient.reset_connection_cache(fail_on_error=False, connection_cache=self._cache)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _unc(self, path):
        rel = path.strip("/").replace("/", "\\")
        return rf"\\{self.server}\{self.share}" + (f"\\{rel}" if rel else "")

    def _call(self, what, path, func, *args, **kwargs):
        """Run one smbclient call; its errors as FileNotFoundError, AccessDenied or ShareError."""
        self.ops += 1
        try:
            return func(*args, **kwargs, **self._session)
        except SMBOSError as exc:
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(path) from exc
            if exc.ntstatus == STATUS_ACCESS_DENIED:
                raise AccessDenied(f"{self.username}: access denied to {path}") from exc
            raise ShareError(f"{what} {path}: {exc}") from exc
        except SMBResponseException as exc:
            if exc.status == STATUS_ACCESS_DENIED:
                raise AccessDenied(f"{self.username}: access denied to {path}") from exc
            raise ShareError(f"{what} {path}: {exc}") from exc

    # ---- folders -----------------------------------------------------------------------------
    def exists(self, path):
        """True when PATH is a folder."""
        try:
            info = self._call("stat", path, smbclient.stat, self._unc(path))
        except FileNotFoundError:
            return False
        return stat.S_ISDIR(info.st_mode)

    def mkdir(self, path):
        """Create PATH and any missing parents; True when PATH itself was created."""
        try:
            self._call("mkdir", path, smbclient.mkdir, self._unc(path))
            return True
        except FileNotFoundError:  # a parent is missing: create the chain
            if "/" not in path.strip("/"):
                raise
            parent = path.strip("/").rsplit("/", 1)[0]
            self._call("mkdir", parent, smbclient.makedirs, self._unc(parent), exist_ok=True)
            self._call("mkdir", path, smbclient.mkdir, self._unc(path))
            return True
        except ShareError as exc:
            if isinstance(exc.__cause__, OSError) and exc.__cause__.errno == errno.EEXIST:
                return False
            raise

    def rename(self, old, new):
        parent = new.strip("/").rsplit("/", 1)[0] if "/" in new.strip("/") else ""
        if parent:
            self.mkdir(parent)
        try:
            self._call("rename", old, smbclient.rename, self._unc(old), self._unc(new))
        except ShareError as exc:
            raise ShareError(f"rename {old} -> {new}: {exc.__cause__ or exc}") from exc

    def listdir(self, path=""):
        """[(name, is_dir)] of PATH, sorted."""

        def scan(unc, **session):
            with smbclient.scandir(unc, **session) as entries:
                return [(entry.name, entry.is_dir()) for entry in entries]

        return sorted(self._call("list", path, scan, self._unc(path)))

    def remove_tree(self, path):
        """Delete PATH and everything below it (lab clean-up and tests)."""
        self._call("remove", path, smbclient.shutil.rmtree, self._unc(path))

    def remove_file(self, path):
        self._call("remove", path, smbclient.remove, self._unc(path))

    def _delete(self, path, directory):
        self._call("remove", path, smbclient.rmdir if directory else smbclient.remove, self._unc(path))

    # ---- files (used to prove access as a user) ----------------------------------------------
    def write_file(self, path, data):
        def write(unc, **session):
            with smbclient.open_file(unc, mode="wb", share_access="rwd", **session) as handle:
                handle.write(data)

        self._call("write", path, write, self._unc(path))

    def read_file(self, path):
        def read(unc, **session):
            with smbclient.open_file(unc, mode="rb", share_access="rwd", **session) as handle:
                return handle.read()

        return self._call("read", path, read, self._unc(path))

    # ---- security descriptors ----------------------------------------------------------------
    def _security_info(self, path, request, access):
        """Send a QUERY_INFO / SET_INFO of the SECURITY class on a folder handle smbclient opens."""

        def send(unc, **session):
            with smbclient.open_file(
                unc,
                mode="rb",
                buffering=0,
                file_type="dir",
                share_access="rwd",
                desired_access=DirectoryAccessMask.FILE_READ_ATTRIBUTES | access,
                **session,
            ) as raw:
                request["file_id"] = raw.fd.file_id
                tree = raw.fd.tree_connect
                connection = raw.fd.connection
                return connection.receive(
                    connection.send(request, tree.session.session_id, tree.tree_connect_id)
                )

        return self._call("security descriptor of", path, send, self._unc(path))

    def get_dacl(self, path):
        req = SMB2QueryInfoRequest()
        req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
        req["output_buffer_length"] = SD_BUFFER_LENGTH
        req["additional_information"] = DACL_SECURITY_INFORMATION
        response = self._security_info(path, req, DirectoryAccessMask.READ_CONTROL)
        resp = SMB2QueryInfoResponse()
        resp.unpack(response["data"].get_value())
        return unpack_sd(resp["buffer"].get_value())

    def set_dacl(self, path, dacl, keep_unmanaged=True):
        """Write DACL to PATH. Unless told otherwise, the folder's explicit entries of ACE types this
        code does not manage are kept (read first, see Dacl.keeping), so no entry is lost."""
        if keep_unmanaged and not dacl.kept:
            dacl = dacl.keeping(self.get_dacl(path))
        req = SMB2SetInfoRequest()
        req["info_type"] = InfoType.SMB2_0_INFO_SECURITY
        req["additional_information"] = DACL_SECURITY_INFORMATION
        req["buffer"] = pack_sd(dacl)
        try:
            self._security_info(path, req, DirectoryAccessMask.READ_CONTROL | DirectoryAccessMask.WRITE_DAC)
        except AccessDenied:
            raise
        except ShareError as exc:
            raise ShareError(f"set ACL of {path}: {exc.__cause__ or exc}") from exc


__all__ = [
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
