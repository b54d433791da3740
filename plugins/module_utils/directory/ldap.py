# Active Directory over LDAPS for the controller-side modules: one connection per run, strict
# certificate verification against a CA file, paged searches, and write operations that stop
# at the first failure with a clear message (so that a re-run can converge).
from __future__ import annotations

import contextlib
import ssl
import time
from urllib.parse import urlparse

try:
    from ldap3 import (
        BASE,
        MODIFY_ADD,
        MODIFY_DELETE,
        MODIFY_REPLACE,
        SUBTREE,
        Connection,
        Server,
        Tls,
    )
    from ldap3.core.exceptions import (
        LDAPBindError,
        LDAPCommunicationError,
        LDAPException,
        LDAPInvalidCredentialsResult,
        LDAPOperationResult,
        LDAPSocketOpenError,
    )
    from ldap3.protocol.formatters.formatters import format_sid
    from ldap3.protocol.formatters.validators import validate_sid
    from ldap3.utils.conv import escape_filter_chars

    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module through missing_required_lib
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR = exc
    BASE = SUBTREE = None

SCOPES = {"base": BASE, "subtree": SUBTREE}


class DirectoryError(Exception):
    """A directory operation failed; `done` says how many writes succeeded before it."""

    def __init__(self, message, done=0):
        super().__init__(message)
        self.done = done


class ConnectionLost(DirectoryError):
    pass


def sid_from_bytes(data):
    """'S-1-5-21-...' of a binary objectSid (ldap3's own formatter)."""
    return format_sid(bytes(data))


def sid_to_bytes(sid):
    """Binary objectSid of 'S-1-5-21-...', for filters on objectSid (ldap3's own validator)."""
    if not isinstance(sid, str) or not sid.startswith("S-") or len(sid.split("-")) < 3:
        raise ValueError(f"not a SID: {sid}")
    return validate_sid(sid)


def escape_filter(value):
    """VALUE as a literal inside an LDAP filter (RFC 4515), by ldap3's escape_filter_chars."""
    return escape_filter_chars(value)


def password_value(password):
    return f'"{password}"'.encode("utf-16-le")


def _decode(attr, values):
    if attr.lower() in ("objectsid",):
        return [sid_from_bytes(v) for v in values]
    if attr.lower() in ("objectguid", "unicodepwd", "ntsecuritydescriptor"):
        return list(values)
    out = []
    for v in values:
        try:
            out.append(v.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(v)
    return out


class LdapDirectory:
    """One LDAPS connection. Values come back as lists of str (SIDs as S-1-5-... strings)."""

    def __init__(self, url, bind_dn, password, ca_file, base_dn, timeout=15, page_size=500):
        if not HAS_LDAP3:
            raise DirectoryError(f"the ldap3 Python library is required: {LDAP3_IMPORT_ERROR}")
        parsed = urlparse(url)
        if parsed.scheme != "ldaps":
            raise DirectoryError(
                f"only ldaps:// URLs are accepted (got {url!r}): passwords travel on this connection"
            )
        if not ca_file:
            raise DirectoryError("a CA file is required: the server certificate is always verified")
        self.host = parsed.hostname
        self.port = parsed.port or 636
        self.url = url
        self.bind_dn = bind_dn
        self._password = password
        self.ca_file = ca_file
        self.base_dn = base_dn
        self.timeout = timeout
        self.page_size = page_size
        self.conn = None
        self.writes = 0
        self.reads = 0
        self.seconds = 0.0
        self.journal = None  # module_utils workplan.journal.Journal: every write journalled as it is made

    # ---- connection ---------------------------------------------------------------------------
    def connect(self):
        try:
            tls = Tls(
                ca_certs_file=self.ca_file,
                validate=ssl.CERT_REQUIRED,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except LDAPException as exc:
            raise DirectoryError(f"the CA file {self.ca_file} cannot be used: {exc}") from exc
        server = Server(self.host, port=self.port, use_ssl=True, tls=tls, connect_timeout=self.timeout)
        try:
            self.conn = Connection(
                server,
                user=self.bind_dn,
                password=self._password,
                auto_bind=True,
                raise_exceptions=True,
                receive_timeout=self.timeout,
                read_only=False,
            )
        except (LDAPBindError, LDAPInvalidCredentialsResult) as exc:
            raise DirectoryError(f"LDAPS bind as {self.bind_dn} refused by {self.url}: {exc}") from exc
        except (LDAPSocketOpenError, LDAPCommunicationError) as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "doesn't match" in str(exc):
                raise DirectoryError(
                    f"the certificate of {self.url} does not verify against {self.ca_file}: {exc}"
                ) from exc
            raise ConnectionLost(f"cannot reach {self.url}: {exc}") from exc
        except LDAPException as exc:
            raise DirectoryError(f"LDAPS connection to {self.url} failed: {exc}") from exc
        return self

    def close(self):
        if self.conn is not None:
            with contextlib.suppress(LDAPException):
                self.conn.unbind()
            self.conn = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    # ---- reads --------------------------------------------------------------------------------
    def search(self, base, ldap_filter, attributes, scope="subtree"):
        """Paged search; yields (dn, {attribute: [values]}) with attribute names as requested."""
        wanted = {a.lower(): a for a in attributes}

        def run():
            return list(
                self.conn.extend.standard.paged_search(
                    base,
                    ldap_filter,
                    SCOPES[scope],
                    attributes=list(attributes),
                    paged_size=self.page_size,
                    generator=True,
                )
            )

        try:
            entries = self._call(f"search {base}", run, write=False)
        except DirectoryError as exc:
            if "noSuchObject" in str(exc):
                return
            raise
        for entry in entries:
            if entry.get("type") != "searchResEntry":
                continue
            raw = entry.get("raw_attributes") or {}
            attrs = {}
            for name, values in raw.items():
                key = wanted.get(name.lower(), name)
                attrs[key] = _decode(name, values)
            yield entry["dn"], attrs

    def exists(self, dn):
        return any(True for _entry in self.search(dn, "(objectClass=*)", ["objectClass"], scope="base"))

    # ---- writes -------------------------------------------------------------------------------
    def add(self, dn, attrs):
        attrs = dict(attrs)
        object_class = attrs.pop("objectClass")
        self._call(f"add {dn}", lambda: self.conn.add(dn, object_class, attrs), detail=attrs)

    def modify(self, dn, replace):
        """Replace attribute values ({attribute: value or list}; None clears the attribute)."""
        changes = {}
        for attr, value in replace.items():
            if value is None:
                changes[attr] = [(MODIFY_REPLACE, [])]
            else:
                changes[attr] = [(MODIFY_REPLACE, value if isinstance(value, list) else [value])]
        self._call(f"modify {dn}", lambda: self.conn.modify(dn, changes), detail=replace)

    def move(self, dn, new_parent):
        rdn = dn.split(",", 1)[0]
        self._call(
            f"move {dn} -> {new_parent}", lambda: self.conn.modify_dn(dn, rdn, new_superior=new_parent)
        )
        return f"{rdn},{new_parent}"

    def delete(self, dn):
        self._call(f"delete {dn}", lambda: self.conn.delete(dn))

    def members(self, group_dn, add=(), delete=()):
        """Add and remove many members of one group in a single modify."""
        ops = []
        if add:
            ops.append((MODIFY_ADD, list(add)))
        if delete:
            ops.append((MODIFY_DELETE, list(delete)))
        if ops:
            self._call(
                f"members of {group_dn}",
                lambda: self.conn.modify(group_dn, {"member": ops}),
                detail={"add": list(add), "delete": list(delete)},
            )

    def set_password(self, dn, password):
        self._call(
            f"set password of {dn}",
            lambda: self.conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [password_value(password)])]}),
        )

    # ---- plumbing -----------------------------------------------------------------------------
    def _call(self, what, func, write=True, detail=None):
        if self.conn is None:
            raise ConnectionLost(f"{what}: not connected to {self.url}", self.writes)
        journal = self.journal if write else None
        if journal:
            journal.check_controller()
        started = time.monotonic()
        try:
            result = func()
        except LDAPOperationResult as exc:
            error = DirectoryError(
                f"{what}: {exc.description} {getattr(exc, 'message', '') or ''}".strip(), self.writes
            )
            self._journal(journal, what, detail, error)
            raise error from exc
        except (LDAPCommunicationError, OSError) as exc:
            self.conn = None
            error = ConnectionLost(
                f"{what}: connection to {self.url} lost after {self.writes} changes ({exc}); "
                "nothing after that was applied — run again once the server is back to converge",
                self.writes,
            )
            self._journal(journal, what, detail, error)
            raise error from exc
        except LDAPException as exc:
            error = DirectoryError(f"{what}: {exc}", self.writes)
            self._journal(journal, what, detail, error)
            raise error from exc
        finally:
            self.seconds += time.monotonic() - started
        if write:
            self.writes += 1
            self._journal(journal, what, detail)
        else:
            self.reads += 1
        return result

    def _journal(self, journal, what, detail, error=None):
        if journal:
            journal.write(
                what.split(" ", 1)[0],
                target=self.url,
                obj=what,
                after=detail,
                ok=error is None,
                note=str(error)[:300] if error else "",
            )


def user_can_bind(url, ca_file, user, password, timeout=10):
    """True when USER can bind with PASSWORD over LDAPS (used to prove a disabled account cannot)."""
    directory = LdapDirectory(url, user, password, ca_file, "", timeout=timeout)
    try:
        directory.connect()
    except ConnectionLost:
        raise
    except DirectoryError:
        return False
    directory.close()
    return True


__all__ = [
    "BASE",
    "ConnectionLost",
    "DirectoryError",
    "HAS_LDAP3",
    "LdapDirectory",
    "escape_filter",
    "password_value",
    "sid_from_bytes",
    "sid_to_bytes",
    "user_can_bind",
]
