# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IP address ledger and α-model checks (REQUIREMENTS OPS-IPAM §6-3(4)④, DESIGN principle 5).

The filters work on *records*: one per address-holding thing of the inventory (a host, or a
printer listed in a host's ``jichitai_printers``)::

    {"name": "lgnb0001", "address": "10.11.1.219", "mac": "4c:52:62:a8:b6:b8",
     "segment": "lgwan", "segment_groups": ["segment_lgwan"], "site": "hoken_center",
     "source": "pc_assets.csv line 2"}

``ip_ledger_records`` builds them from ``hostvars``; every check returns a list of problems
``{"check", "name", "source", "message"}`` (empty when all is well) and ``ip_ledger_report``
turns problems into one line each, so a playbook fails once naming every offending row.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping

try:
    from netaddr import EUI, AddrFormatError, IPAddress, IPNetwork, IPRange, IPSet, mac_unix_expanded
except ImportError as exc:  # the filters report it when used
    NETADDR_IMPORT_ERROR = exc
else:
    NETADDR_IMPORT_ERROR = None

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

SEGMENT_GROUP_PREFIX = "segment_"


def _requires(error, what):
    """The filter, or one that fails with the reason when a library it needs is missing."""

    def wrap(func):
        if error is None:
            return func

        @functools.wraps(func)
        def missing(*_args, **_kwargs):
            raise AnsibleFilterError(f"{func.__name__}: {what} ({error})")

        return missing

    return wrap


def _problem(check: str, record: Mapping, message: str) -> dict:
    return {
        "check": check,
        "name": record.get("name"),
        "source": record.get("source", ""),
        "message": message,
    }


def _ip(value) -> IPAddress | None:
    if value is None or value == "":
        return None
    try:
        return IPAddress(str(value).strip())
    except (AddrFormatError, ValueError, TypeError):
        return None


def _mac(value) -> str | None:
    if not value:
        return None
    try:
        eui = EUI(str(value).strip(), dialect=mac_unix_expanded)
    except (AddrFormatError, ValueError, TypeError, IndexError):
        return None
    return str(eui).lower() if eui.version == 48 else None


def _network(value) -> IPNetwork | None:
    try:
        return IPNetwork(str(value))
    except (AddrFormatError, ValueError, TypeError):
        return None


# --- records ------------------------------------------------------------------------------------
def ip_ledger_records(hostvars: Mapping, hosts: Iterable[str]) -> list[dict]:
    """Records of the given inventory hosts (and the printers they list) from hostvars.

    The address is ``jichitai_address`` if set (for hosts reached through another address,
    such as lab stand-ins on loopback), else ``ansible_host``.
    """
    records = []
    for name in hosts:
        hv = hostvars[name]
        line = hv.get("jichitai_ledger_line")
        if line:
            source = f"{hv.get('jichitai_ledger_file', 'ledger')} line {line}"
        else:
            source = os.path.basename(str(hv.get("inventory_file") or "inventory"))
        address = hv.get("jichitai_address") or hv.get("ansible_host")
        segment_groups = sorted(g for g in hv.get("group_names", []) if g.startswith(SEGMENT_GROUP_PREFIX))
        record = {
            "name": name,
            "address": None if address is None else str(address),
            "mac": hv.get("jichitai_mac"),
            "segment": hv.get("jichitai_segment"),
            "segment_groups": segment_groups,
            "site": hv.get("jichitai_site"),
            "source": source,
        }
        if hv.get("jichitai_ip_assignment"):
            record["ip_assignment"] = hv.get("jichitai_ip_assignment")
        records.append(record)
        for index, printer in enumerate(hv.get("jichitai_printers") or [], start=1):
            records.append(
                {
                    **record,
                    "name": printer.get("name") or f"{name} printer {index}",
                    "address": printer.get("address"),
                    "mac": printer.get("mac"),
                    "source": f"{source} {name}.jichitai_printers[{index}]",
                    "ip_assignment": None,
                }
            )
    return records


# --- checks -------------------------------------------------------------------------------------
def segment_violations(records: Iterable[Mapping], segments: Mapping) -> list[dict]:
    """The α model: each record in exactly one segment group, matching its jichitai_segment,
    with an address inside that segment's subnets."""
    if not isinstance(segments, Mapping) or not segments:
        raise AnsibleFilterError("segment_violations: jichitai_segments is empty or not a mapping")
    subnets = {}
    for seg, spec in segments.items():
        nets = [_network(n) for n in (spec or {}).get("subnets", [])]
        if not nets or None in nets:
            raise AnsibleFilterError(f"segment_violations: segment {seg} has missing or invalid subnets")
        subnets[seg] = (IPSet(nets), ", ".join(str(n) for n in nets))

    problems = []
    for rec in records:
        groups = list(rec.get("segment_groups") or [])
        declared = rec.get("segment")
        if len(groups) != 1:
            where = ", ".join(groups) if groups else "none"
            problems.append(
                _problem(
                    "segment", rec, f"must be in exactly one segment group, is in {len(groups)} ({where})"
                )
            )
        if not declared:
            problems.append(_problem("segment", rec, "jichitai_segment is not set"))
        elif declared not in subnets:
            problems.append(
                _problem(
                    "segment", rec, f"jichitai_segment {declared!r} is not a segment of jichitai_segments"
                )
            )
            continue
        elif len(groups) == 1 and groups[0] != SEGMENT_GROUP_PREFIX + declared:
            problems.append(
                _problem("segment", rec, f"jichitai_segment is {declared} but the host is in {groups[0]}")
            )
        segment = declared or (groups[0][len(SEGMENT_GROUP_PREFIX) :] if len(groups) == 1 else None)
        address = rec.get("address")
        ip = _ip(address)
        if address in (None, ""):
            problems.append(_problem("address", rec, "has no address (ansible_host or jichitai_address)"))
        elif ip is None:
            problems.append(_problem("address", rec, f"address {address!r} is not an IP address"))
        elif segment in subnets and ip not in subnets[segment][0]:
            problems.append(
                _problem("segment", rec, f"address {ip} is outside segment {segment} ({subnets[segment][1]})")
            )
    return problems


def site_network_violations(
    records: Iterable[Mapping], sites: Iterable[Mapping], segment: str = "lgwan"
) -> list[dict]:
    """Records of the given segment whose address is outside their site's network (sites.yml:
    ``network``, plus ``networks`` for a site spread over several)."""
    networks = {}
    for site in sites or []:
        nets = [_network(n) for n in [site.get("network"), *(site.get("networks") or [])] if n]
        networks[site.get("id")] = IPSet(n for n in nets if n is not None)
    problems = []
    for rec in records:
        if rec.get("segment") != segment:
            continue
        site = rec.get("site")
        if site not in networks:
            problems.append(_problem("site", rec, f"site {site!r} is not in jichitai_sites"))
            continue
        ip, nets = _ip(rec.get("address")), networks[site]
        if ip is not None and nets and ip not in nets:
            where = ", ".join(str(c) for c in nets.iter_cidrs())
            problems.append(
                _problem("site", rec, f"address {ip} is outside the network of site {site} ({where})")
            )
        elif ip is not None:
            for cidr in nets.iter_cidrs():
                if ip in cidr and cidr.size > 2 and ip in (cidr.network, cidr.broadcast):
                    which = "network" if ip == cidr.network else "broadcast"
                    problems.append(
                        _problem("site", rec, f"address {ip} is the {which} address of site {site} ({cidr})")
                    )
    return problems


def duplicate_values(records: Iterable[Mapping], key: str) -> list[dict]:
    """Records sharing an address, a MAC or a name (case-insensitive) with another record."""
    normalise = {
        "address": lambda v: str(ip) if (ip := _ip(v)) is not None else None,
        "mac": _mac,
        "name": lambda v: str(v).casefold() if v else None,
    }
    if key not in normalise:
        raise AnsibleFilterError(f"duplicate_values: key must be one of {', '.join(normalise)}, not {key!r}")
    label = {"address": "IP address", "mac": "MAC address", "name": "name"}[key]
    holders: dict[str, list[Mapping]] = {}
    records = list(records)
    for rec in records:
        value = normalise[key](rec.get(key))
        if value is not None:
            holders.setdefault(value, []).append(rec)
    problems = []
    for rec in records:
        value = normalise[key](rec.get(key))
        if value is None or len(holders[value]) < 2:
            continue
        others = [f"{o['name']} ({o.get('source', '')})" for o in holders[value] if o is not rec]
        problems.append(
            _problem(f"duplicate_{key}", rec, f"{label} {value} also used by " + ", ".join(others))
        )
    return problems


def ip_ledger_dhcp_scopes(hostvars: Mapping, hosts: Iterable[str]) -> list[dict]:
    """Every DHCP scope (``jichitai_dhcp_scopes``) the given hosts carry, each once: both
    members of a DHCP pair usually carry the same scopes through a group variable."""
    scopes, seen = [], set()
    for name in hosts:
        for scope in hostvars[name].get("jichitai_dhcp_scopes") or []:
            key = (scope.get("name"), str(scope.get("subnet")))
            if key not in seen:
                seen.add(key)
                scopes.append(scope)
    return scopes


def _scope_problems(scope: Mapping, where: Mapping, earlier: list) -> tuple[list[dict], IPNetwork, IPRange]:
    """Subnet, pool and overlap with earlier scopes; the parsed subnet and pool (or None)."""
    problems = []
    subnet = _network(scope.get("subnet"))
    if subnet is None:
        return [_problem("dhcp", where, f"subnet {scope.get('subnet')!r} is not a network")], None, None
    for other, other_name in earlier:
        if subnet in other or other in subnet:
            problems.append(_problem("dhcp", where, f"subnet {subnet} overlaps scope {other_name} ({other})"))
    earlier.append((subnet, where["name"]))
    spec = scope.get("pool") or {}
    start, end = _ip(spec.get("start")), _ip(spec.get("end"))
    if start is None or end is None or start > end:
        problems.append(_problem("dhcp", where, f"pool {spec.get('start')}-{spec.get('end')} is not a range"))
        return problems, subnet, None
    if start not in subnet or end not in subnet:
        problems.append(_problem("dhcp", where, f"pool {start}-{end} is not inside subnet {subnet}"))
    return problems, subnet, IPRange(start, end)


def _reservation_problems(res, where, subnet, pool, ip, mac) -> list[dict]:
    problems = []
    if ip is None:
        problems.append(
            _problem("dhcp", where, f"reservation address {res.get('ip')!r} is not an IP address")
        )
    elif ip not in subnet or ip in (subnet.network, subnet.broadcast):
        problems.append(
            _problem("dhcp", where, f"reservation {ip} is outside the usable addresses of {subnet}")
        )
    elif pool is not None and ip in pool:
        problems.append(_problem("dhcp", where, f"reservation {ip} is inside the dynamic pool {pool}"))
    if mac is None:
        problems.append(_problem("dhcp", where, f"reservation MAC {res.get('mac')!r} is not a MAC address"))
    return problems


def _ledger_problems(host, where, ip, mac, ledger) -> list[dict]:
    """A reservation for a host of the inventory carries that host's address and MAC; one for
    another device (printer, projector) must not take an address or MAC of the inventory."""
    by_name, by_ip, by_mac = ledger
    rec = by_name.get(str(host or "").casefold())
    if rec is not None:
        problems = []
        if ip is not None and _ip(rec.get("address")) != ip:
            problems.append(
                _problem(
                    "dhcp", where, f"reserves {ip} but {host} has {rec.get('address')} ({rec['source']})"
                )
            )
        if mac is not None and _mac(rec.get("mac")) != mac:
            problems.append(
                _problem(
                    "dhcp", where, f"reserves MAC {mac} but {host} has {rec.get('mac')} ({rec['source']})"
                )
            )
        return problems
    problems = []
    if ip is not None and str(ip) in by_ip:
        other = by_ip[str(ip)]
        problems.append(
            _problem("dhcp", where, f"reserves {ip}, the address of {other['name']} ({other['source']})")
        )
    if mac is not None and mac in by_mac:
        other = by_mac[mac]
        problems.append(_problem("dhcp", where, f"reserves MAC {mac} of {other['name']} ({other['source']})"))
    return problems


def _disposed_problems(host, where, mac, ledger, disposed) -> list[dict]:
    """A reservation left behind for a PC the asset ledger says is disposed (by name or MAC), unless
    the name is a host of the inventory again (a new PC that took over the name)."""
    if not disposed:
        return []
    by_name = ledger[0] if ledger is not None else {}
    name = str(host or "").casefold()
    problems = []
    for item in disposed:
        same_name = name and name == str(item.get("name") or "").casefold() and name not in by_name
        same_mac = mac is not None and mac == _mac(item.get("mac"))
        if same_name or same_mac:
            what = "name" if same_name else f"MAC {mac}"
            problems.append(
                _problem(
                    "dhcp",
                    where,
                    f"reserves for a disposed PC ({what} of {item.get('name')}, asset "
                    f"{item.get('asset_no')}, {item.get('source', 'asset ledger')}): "
                    "remove the reservation from jichitai_dhcp_scopes",
                )
            )
            break
    return problems


def _reserved_rows_problems(records, scopes, reserved) -> list[dict]:
    """Ledger rows marked reserved (DHCP予約) without a reservation, and addresses that are a DHCP
    scope's network or broadcast address."""
    problems = []
    subnets = [n for n in (_network(s.get("subnet")) for s in scopes) if n is not None]
    for rec in records:
        ip = _ip(rec.get("address"))
        if ip is not None:
            for net in subnets:
                if ip in net and net.size > 2 and ip in (net.network, net.broadcast):
                    which = "network" if ip == net.network else "broadcast"
                    problems.append(
                        _problem("address", rec, f"address {ip} is the {which} address of DHCP scope {net}")
                    )
        if rec.get("ip_assignment") != "reserved":
            continue
        name, mac = str(rec.get("name") or "").casefold(), _mac(rec.get("mac"))
        if name not in reserved["hostname"] and (mac is None or mac not in reserved["mac"]):
            problems.append(
                _problem(
                    "dhcp",
                    rec,
                    "is marked reserved (DHCP予約) in the ledger but no DHCP scope reserves "
                    f"{rec.get('address')} for it: add the reservation to jichitai_dhcp_scopes, "
                    "or correct the ledger's IP割当",
                )
            )
    return problems


def dhcp_reservation_violations(
    scopes: Iterable[Mapping],
    records: Iterable[Mapping] | None = None,
    disposed: Iterable[Mapping] | None = None,
) -> list[dict]:
    """DHCP scopes: pool inside the subnet, reservations inside the subnet and outside the dynamic
    pool, no address/MAC/host reserved twice, scopes not overlapping; with the records, each
    reservation agrees with the IP ledger, every row marked reserved has its reservation and no
    address is a scope's network or broadcast address; with the disposed PCs of the asset ledger
    (jichitai_ledger_disposed), no reservation is left for one of them. A reservation for a ledger
    PC whose row says DHCP or 固定 is a warning (severity ``warning``): a person decides which is right."""
    disposed = list(disposed or [])
    scopes = list(scopes or [])
    reserved: dict[str, set] = {"hostname": set(), "mac": set()}
    ledger = None
    if records is not None:
        records = list(records)
        ledger = (
            {str(r["name"]).casefold(): r for r in records},
            {str(ip): r for r in records if (ip := _ip(r.get("address"))) is not None},
            {mac: r for r in records if (mac := _mac(r.get("mac"))) is not None},
        )
    problems: list[dict] = []
    earlier: list = []
    for scope in scopes:
        sname = scope.get("name") or scope.get("subnet")
        found, subnet, pool = _scope_problems(
            scope, {"name": sname, "source": f"jichitai_dhcp_scopes {sname}"}, earlier
        )
        problems += found
        if subnet is None:
            continue
        seen: dict[str, dict] = {"ip": {}, "mac": {}, "hostname": {}}
        for index, res in enumerate(scope.get("reservations") or [], start=1):
            host = res.get("hostname")
            where = {
                "name": host or f"reservation {index}",
                "source": f"jichitai_dhcp_scopes {sname} reservation {index}",
            }
            ip, mac = _ip(res.get("ip")), _mac(res.get("mac"))
            problems += _reservation_problems(res, where, subnet, pool, ip, mac)
            keys = (
                ("ip", str(ip) if ip else None),
                ("mac", mac),
                ("hostname", str(host or "").casefold() or None),
            )
            for field, value in keys:
                if value is not None and value in seen[field]:
                    message = f"{field} {value} already reserved by reservation {seen[field][value]}"
                    problems.append(_problem("dhcp", where, message))
                elif value is not None:
                    seen[field][value] = index
            if host:
                reserved["hostname"].add(str(host).casefold())
                if str(host).isdigit():
                    problems.append(_problem("dhcp", where, f"host name {host} is all digits"))
            if mac is not None:
                reserved["mac"].add(mac)
            if ledger is not None:
                problems += _ledger_problems(host, where, ip, mac, ledger)
                rec = ledger[0].get(str(host or "").casefold())
                if rec is not None and rec.get("ip_assignment") in ("dynamic", "static"):
                    kind = {"dynamic": "DHCP", "static": "固定"}[rec["ip_assignment"]]
                    warning = _problem(
                        "dhcp",
                        where,
                        f"reserves {ip} for {host}, whose ledger row ({rec['source']}) says {kind}, "
                        "not DHCP予約: correct the ledger or remove the reservation",
                    )
                    warning["severity"] = "warning"
                    problems.append(warning)
            problems += _disposed_problems(host, where, mac, ledger, disposed)
    if ledger is not None:
        problems += _reserved_rows_problems(records, scopes, reserved)
    return problems


def ip_ledger_report(problems: Iterable[Mapping]) -> list[str]:
    """One line per problem, '<source>: <name>: <message>', sorted by file, line and name so the
    problems of one host or row stand together."""

    def key(p):
        source = str(p.get("source") or "")
        file, _sep, rest = source.partition(" line ")
        line = rest.split(" ", 1)[0]
        return (file, int(line) if line.isdigit() else 0, source, str(p.get("name")))

    return [f"{p.get('source')}: {p.get('name')}: {p.get('message')}" for p in sorted(problems, key=key)]


class FilterModule:
    """IP ledger filters; documented for ansible-doc in <filter name>.yml beside this file."""

    def filters(self):
        needs_netaddr = _requires(
            NETADDR_IMPORT_ERROR, "the netaddr Python library is required on the controller"
        )
        return {
            "ip_ledger_records": ip_ledger_records,
            "segment_violations": needs_netaddr(segment_violations),
            "site_network_violations": needs_netaddr(site_network_violations),
            "duplicate_values": needs_netaddr(duplicate_values),
            "dhcp_reservation_violations": needs_netaddr(dhcp_reservation_violations),
            "ip_ledger_dhcp_scopes": ip_ledger_dhcp_scopes,
            "ip_ledger_report": ip_ledger_report,
        }
