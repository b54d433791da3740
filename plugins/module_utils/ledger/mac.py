"""MAC addresses as the estate's ledgers and appliances write them, read with netaddr.EUI.

One reader for every MAC the modules take in (DHCP reservations, leases, asset ledgers): colons,
hyphens, Cisco dots or bare hex, any case; printed as netaddr's mac_unix_expanded in lower case
('02:4a:00:10:01:01'), the notation Kea and the ledgers' records use.
"""

from __future__ import annotations

import functools

try:
    from netaddr import EUI, AddrFormatError, mac_unix_expanded

    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module through missing_required_lib
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = exc


def mac_address(value, unicast=False):
    """'aa:bb:cc:dd:ee:ff' for a 48-bit MAC in a usual notation, else None. With UNICAST, also None
    for a multicast/broadcast or all-zero address (never a PC's NIC)."""
    if not HAS_NETADDR:
        raise RuntimeError(f"the netaddr Python library is required: {NETADDR_IMPORT_ERROR}")
    text = str(value or "").strip()
    return _parsed(text, bool(unicast)) if text else None


@functools.lru_cache(maxsize=65536)  # a ledger's and an appliance's MACs are read several times a run
def _parsed(text, unicast):
    try:
        eui = EUI(text, dialect=mac_unix_expanded)
    except (AddrFormatError, ValueError, TypeError, IndexError):
        return None
    if eui.version != 48:
        return None
    if unicast and (eui.words[0] & 1 or int(eui) == 0):
        return None
    return str(eui).lower()
