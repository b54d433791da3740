# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does a directory or file server work, not only answer on its port: an LDAPS bind and a read of the
domain's base entry, an SMB session and a listing of a share. Each probe returns what it saw as a
Nagios-style state; the health gate fails on it, the daily check reports it."""

from __future__ import annotations

import time

from ansible.module_utils.directory.ldap import DirectoryError, LdapDirectory
from ansible.module_utils.directory.smb import ShareClient, ShareError

NAMES_SHOWN = 20


def _ms(started):
    return round((time.monotonic() - started) * 1000, 1)


def ldap_probe(url, bind_dn, password, ca_file, base_dn, timeout):
    """{state, detail, response_ms, base_dn}: OK when the bind and the read of BASE_DN succeeded."""
    started = time.monotonic()
    try:
        with LdapDirectory(url, bind_dn, password, ca_file, base_dn, timeout=timeout) as directory:
            found = list(directory.search(base_dn, "(objectClass=*)", ["objectClass"], scope="base"))
    except (DirectoryError, OSError) as exc:
        return {"state": "CRITICAL", "detail": str(exc), "response_ms": _ms(started)}
    if not found:
        return {"state": "CRITICAL", "detail": f"{url} answers but has no entry {base_dn}",
                "response_ms": _ms(started)}
    return {"state": "OK", "detail": f"{url} bind and read of {found[0][0]}", "base_dn": found[0][0],
            "response_ms": _ms(started)}


def smb_probe(server, share, username, password, port, timeout):
    """{state, detail, path, entries, names, response_ms}: OK when the share's top folder was listed."""
    path = f"\\\\{server}\\{share}"
    started = time.monotonic()
    try:
        with ShareClient(server, share, username, password, port=port, timeout=timeout) as client:
            names = [name for name, _is_dir in client.listdir("")]
    except (ShareError, OSError) as exc:
        return {"state": "CRITICAL", "detail": f"SMB listing of {path} failed: {exc}", "path": path,
                "response_ms": _ms(started)}
    return {"state": "OK", "detail": f"{path}: {len(names)} entries", "path": path, "entries": len(names),
            "names": names[:NAMES_SHOWN], "response_ms": _ms(started)}
