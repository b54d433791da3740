# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The account register's rows (アカウント管理簿, REQUIREMENTS OPS-ACCT §6-3(2)③) read from Active Directory
over LDAPS (directory.ldap, the connection the personnel transfer uses): every user account with its
department, state, groups and last change."""

from __future__ import annotations

ACCOUNT_FILTER = "(&(objectCategory=person)(objectClass=user))"
ATTRIBUTES = [
    "sAMAccountName",
    "displayName",
    "department",
    "employeeID",
    "title",
    "userAccountControl",
    "memberOf",
    "whenChanged",
]
DISABLED = 0x2


def _one(attrs, name, default=""):
    values = attrs.get(name) or []
    return values[0] if values else default


def rdn_value(dn):
    """'CN=g-110100-staff,OU=Groups,DC=...' -> 'g-110100-staff' (escaped commas kept)."""
    first = dn.replace("\\,", "\0").split(",")[0]
    return first.split("=", 1)[-1].replace("\0", ",")


def ou_path(dn, base_dn):
    """The OUs (and containers) above the entry, outermost first: 'OU=A,OU=B,DC=x' -> 'B/A'."""
    rest = dn.replace("\\,", "\0")
    base = base_dn.lower()
    parts = [p.replace("\0", ",") for p in rest.split(",")[1:]]
    path = [p.split("=", 1)[-1] for p in parts if p.lower() not in base and not p.upper().startswith("DC=")]
    return "/".join(reversed(path))


def changed_text(value):
    """Generalized time '20261206223001.0Z' -> '2026-12-06 22:30:01Z'."""
    v = str(value or "")
    if len(v) >= 14 and v[:14].isdigit():
        return f"{v[0:4]}-{v[4:6]}-{v[6:8]} {v[8:10]}:{v[10:12]}:{v[12:14]}Z"
    return v


def entry(dn, attrs, base_dn):
    uac = int(_one(attrs, "userAccountControl", "512") or 512)
    return {
        "account": _one(attrs, "sAMAccountName") or rdn_value(dn),
        "dn": dn,
        "name": _one(attrs, "displayName"),
        "department": _one(attrs, "department"),
        "staff_no": _one(attrs, "employeeID"),
        "title": _one(attrs, "title"),
        "ou": ou_path(dn, base_dn),
        "enabled": not uac & DISABLED,
        "groups": sorted(rdn_value(g) for g in attrs.get("memberOf") or []),
        "changed": changed_text(_one(attrs, "whenChanged")),
    }


def read_accounts(directory, base_dn):
    """Every user account under BASE_DN, sorted by account name."""
    found = [entry(dn, attrs, base_dn) for dn, attrs in directory.search(base_dn, ACCOUNT_FILTER, ATTRIBUTES)]
    return sorted(found, key=lambda a: a["account"].lower())
