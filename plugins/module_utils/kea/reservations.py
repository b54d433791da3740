# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reservation planning for a Kea DHCPv4 subnet: input checks, the change set, per-reservation diffs.

Pure functions over Kea configuration dicts, so every rule can be tested without a server.
Reservations are keyed by MAC address (Kea "hw-address"), as the IP ledger keys them.
"""

import ipaddress
import json
import re
import time

from ansible.module_utils.ledger.mac import mac_address

STATES = ("present", "absent", "exact")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.IGNORECASE)
ROW_KEYS = {"mac", "ip", "hostname", "source"}
BROADCAST = ipaddress.IPv4Address("255.255.255.255")
HA_WAIT_MAX = 3600.0  # seconds a changed peer may take to serve again


EMPTY_EXACT = (
    "state=exact with an empty reservations list would remove every reservation of the subnet on every "
    "peer ({count} on the appliance): set allow_empty=true if that is really meant"
)


def empty_exact_error(reservations, state, allow_empty, removed):
    """The refusal of an exact request with an empty list that would remove reservations (an empty
    list for a subnet that holds none changes nothing and passes), or None."""
    if state == "exact" and reservations is not None and not reservations and not allow_empty and removed:
        return EMPTY_EXACT.format(count=removed)
    return None


def check_request(reservations, state, allow_empty, ha_wait_timeout=None):
    """Errors in the request as a whole, found before any peer is contacted: an exact request
    without a list (a missing variable must never empty a subnet), or a wait out of range."""
    errors = []
    if state == "exact" and reservations is None:
        errors.append(
            "state=exact without reservations would remove every reservation of the subnet on every "
            "peer: give the reservations (the whole list the subnet must hold)"
        )
    if ha_wait_timeout is not None and not 0 < ha_wait_timeout <= HA_WAIT_MAX:
        errors.append(
            f"ha_wait_timeout {ha_wait_timeout} is out of range "
            f"(more than 0, at most {HA_WAIT_MAX:g} seconds)"
        )
    return errors


def normalize_mac(value):
    """'aa:bb:cc:dd:ee:ff' for the usual MAC notations, None when it is not a MAC address."""
    return mac_address(value)


def valid_hostname(name):
    name = str(name).rstrip(".")
    return 0 < len(name) <= 253 and all(_HOST_LABEL.match(label) for label in name.split("."))


def row_label(index, row):
    label = f"row {index + 1}"
    if isinstance(row, dict):
        extra = [str(row[k]) for k in ("source", "hostname") if row.get(k)]
        if extra:
            label += f" ({', '.join(extra)})"
    return label


def parse_rows(rows, state):
    """(clean rows, errors). Each clean row: {mac, ip, hostname, label}; mac/ip None only for absent."""
    clean, errors = [], []
    for index, row in enumerate(rows or []):
        label = row_label(index, row)
        if not isinstance(row, dict):
            errors.append(f"{label}: not a mapping with mac, ip and hostname")
            continue
        problems = []
        unknown = sorted(set(row) - ROW_KEYS)
        if unknown:
            problems.append(f"unknown keys {', '.join(unknown)} (allowed: mac, ip, hostname, source)")
        mac = ip = None
        if row.get("mac") not in (None, ""):
            mac = normalize_mac(row["mac"])
            if mac is None:
                problems.append(f"invalid MAC address {row['mac']!r}")
            elif state != "absent" and mac_address(mac, unicast=True) is None:
                kind = "all-zero" if mac == "00:00:00:00:00:00" else (
                    "broadcast" if mac == "ff:ff:ff:ff:ff:ff" else "multicast"
                )
                article = "an" if kind == "all-zero" else "a"
                problems.append(f"MAC {mac} is {article} {kind} address, never a device's own NIC")
        elif state != "absent":
            problems.append("mac is missing")
        if row.get("ip") not in (None, ""):
            try:
                ip = ipaddress.IPv4Address(str(row["ip"]).strip())
            except ValueError:
                problems.append(f"invalid IPv4 address {row['ip']!r}")
            else:
                if state != "absent" and (ip.is_multicast or ip.is_unspecified or ip == BROADCAST):
                    problems.append(f"address {ip} cannot be a host's address")
        elif state != "absent":
            problems.append("ip is missing")
        if state == "absent" and row.get("mac") in (None, "") and row.get("ip") in (None, ""):
            problems.append("give mac or ip of the reservation to remove")
        hostname = row.get("hostname")
        if hostname not in (None, "") and not valid_hostname(hostname):
            problems.append(f"invalid host name {hostname!r}")
        if problems:
            errors.append(f"{label}: {'; '.join(problems)}")
            continue
        clean.append({"mac": mac, "ip": ip, "hostname": hostname or None, "label": label})
    return clean, errors


# ---- the subnet in a Kea configuration ----------------------------------------------------------
def find_subnet(dhcp4, prefix):
    """The subnet4 entry for prefix (top level or inside a shared network), or None."""
    wanted = ipaddress.ip_network(prefix, strict=False)
    candidates = list(dhcp4.get("subnet4", []))
    for network in dhcp4.get("shared-networks", []):
        candidates.extend(network.get("subnet4", []))
    for subnet in candidates:
        if ipaddress.ip_network(subnet["subnet"], strict=False) == wanted:
            return subnet
    return None


def replace_subnet(dhcp4, new_subnet):
    """dhcp4 with the subnet of the same id replaced (in place); True when found."""
    lists = [dhcp4.get("subnet4", [])] + [n.get("subnet4", []) for n in dhcp4.get("shared-networks", [])]
    for subnets in lists:
        for i, subnet in enumerate(subnets):
            if subnet.get("id") == new_subnet.get("id"):
                subnets[i] = new_subnet
                return True
    return False


def pool_ranges(subnet):
    """[(first, last)] IPv4Address pairs of the subnet's dynamic pools."""
    ranges = []
    for pool in subnet.get("pools", []):
        text = pool["pool"].replace(" ", "")
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
            ranges.append((net.network_address, net.broadcast_address))
        else:
            first, last = text.split("-")
            ranges.append((ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)))
    return ranges


def pool_text(pool):
    """A dynamic pool as the ledger gives it ('a - b', or {start, end}) in Kea's notation 'a-b'."""
    if isinstance(pool, dict):
        return f"{pool.get('start', '')}-{pool.get('end', '')}"
    return str(pool).replace(" ", "")


def pool_problem(peer, subnet, pool):
    """Why PEER's SUBNET does not serve exactly the dynamic pool POOL (the ledger's), or None."""
    wanted = pool_text(pool)
    served = [f"{first}-{last}" for first, last in pool_ranges(subnet)]
    if served == [wanted]:
        return None
    return (
        f"{peer}: the ledger's dynamic pool {wanted} of subnet {subnet['subnet']} is not the one the "
        f"appliance serves ({', '.join(served) or 'none'})"
    )


def pool_size(subnet):
    return sum(int(last) - int(first) + 1 for first, last in pool_ranges(subnet))


def canonical_subnet(subnet):
    """The subnet as a comparable JSON text (reservations sorted)."""
    copy = dict(subnet)
    copy["reservations"] = sorted(
        subnet.get("reservations", []), key=lambda r: json.dumps(r, sort_keys=True)
    )
    return json.dumps(copy, sort_keys=True)


def subnet_differences(subnets):
    """Human-readable differences between the same subnet on several peers ({peer: subnet})."""
    names = list(subnets)
    reference = subnets[names[0]]
    problems = []
    for name in names[1:]:
        other = subnets[name]
        keys = sorted(
            k for k in set(reference) | set(other) if k != "reservations" and reference.get(k) != other.get(k)
        )
        if keys:
            problems.append(f"{names[0]} and {name} differ in {', '.join(keys)}")
        mine = {reservation_line(r) for r in reference.get("reservations", [])}
        theirs = {reservation_line(r) for r in other.get("reservations", [])}
        if mine != theirs:
            only_ref = sorted(mine - theirs)
            only_other = sorted(theirs - mine)
            problems.append(
                f"reservations only on {names[0]}: {only_ref or 'none'}; "
                f"only on {name}: {only_other or 'none'}"
            )
    return problems


# ---- planning ------------------------------------------------------------------------------------
def reservation_line(reservation):
    """One line per reservation for diffs: identifier, address, host name."""
    ident = next(
        (f"{k}={reservation[k]}" for k in ("hw-address", "client-id", "duid", "circuit-id", "flex-id")
         if reservation.get(k)),
        "no-identifier",
    )
    if ident.startswith("hw-address="):
        ident = ident[len("hw-address="):]
    return f"{ident} {reservation.get('ip-address', '-')} {reservation.get('hostname') or '-'}"


def _ip_key(reservation):
    try:
        return int(ipaddress.IPv4Address(reservation.get("ip-address", "0.0.0.0")))
    except ValueError:
        return 0


def plan(existing, rows, state):
    """(new reservation list, changes). Rows must come from parse_rows.

    changes: [{action: add|update|remove, mac, ip, hostname, before, after}], before/after as Kea dicts.
    Entries the rows do not mention keep their place and every field (options, client classes).
    """
    by_mac = {}
    for reservation in existing:
        mac = normalize_mac(reservation.get("hw-address"))
        if mac:
            by_mac.setdefault(mac, reservation)
    changes = []
    result = [dict(r) for r in existing]

    def updated(old, row):
        new = dict(old) if old else {}
        new["hw-address"] = row["mac"]
        new["ip-address"] = str(row["ip"])
        if row["hostname"]:
            new["hostname"] = row["hostname"]
        else:
            new.pop("hostname", None)
        return new

    if state == "absent":
        keep = []
        for reservation in result:
            mac = normalize_mac(reservation.get("hw-address"))
            ip = reservation.get("ip-address")
            if any((row["mac"] and row["mac"] == mac) or (row["ip"] and str(row["ip"]) == ip)
                   for row in rows):
                changes.append(_change("remove", reservation, None))
            else:
                keep.append(reservation)
        return keep, changes

    wanted = {row["mac"]: row for row in rows}
    new_list = []
    for reservation in result:
        mac = normalize_mac(reservation.get("hw-address"))
        row = wanted.get(mac) if mac else None
        if row is not None:
            new = updated(reservation, row)
            if new != reservation:
                changes.append(_change("update", reservation, new, row))
            new_list.append(new)
        elif state == "exact":
            changes.append(_change("remove", reservation, None))
        else:
            new_list.append(reservation)
    for row in rows:
        if row["mac"] not in by_mac:
            new = updated(None, row)
            changes.append(_change("add", None, new, row))
            new_list.append(new)
    return new_list, changes


def _change(action, before, after, row=None):
    ref = after or before
    change = {
        "action": action,
        "mac": normalize_mac(ref.get("hw-address")) or ref.get("hw-address"),
        "ip": ref.get("ip-address"),
        "hostname": ref.get("hostname"),
        "before": before,
        "after": after,
    }
    if row is not None:
        change["row"] = row["label"]  # the ledger row asking for it, for the work plan's table
    return change


def validate(rows, state, subnet, new_reservations):
    """Errors for rows that cannot be reserved in this subnet (addresses, pools, duplicates)."""
    errors = []
    if state == "absent":
        return errors
    network = ipaddress.ip_network(subnet["subnet"], strict=False)
    pools = pool_ranges(subnet)
    seen_ip, seen_mac = {}, {}
    for row in rows:
        problems = []
        ip = row["ip"]
        if ip not in network:
            problems.append(f"address {ip} is outside the subnet {network}")
        elif network.prefixlen < 31 and ip in (network.network_address, network.broadcast_address):
            which = "network" if ip == network.network_address else "broadcast"
            problems.append(f"address {ip} is the {which} address of {network}")
        for first, last in pools:
            if first <= ip <= last:
                problems.append(f"address {ip} is inside the dynamic pool {first}-{last}")
        if ip in seen_ip:
            problems.append(f"address {ip} is also reserved by {seen_ip[ip]}")
        else:
            seen_ip[ip] = row["label"]
        if row["mac"] in seen_mac:
            problems.append(f"MAC {row['mac']} also appears in {seen_mac[row['mac']]}")
        else:
            seen_mac[row["mac"]] = row["label"]
        if problems:
            errors.append(f"{row['label']}: {'; '.join(problems)}")
    # two reservations for one address once merged with what the appliance keeps
    mine = {row["mac"] for row in rows}
    by_ip = {}
    for reservation in new_reservations:
        by_ip.setdefault(reservation.get("ip-address"), []).append(reservation)
    for row in rows:
        others = [r for r in by_ip.get(str(row["ip"]), []) if normalize_mac(r.get("hw-address")) not in mine]
        for other in others:
            errors.append(
                f"{row['label']}: address {row['ip']} is already reserved on the appliance for "
                f"{reservation_line(other)}"
            )
    return errors


def active_leases_by_ip(leases, now=None):
    """{ip: lease} of leases that are assigned (state 0) and not expired."""
    now = time.time() if now is None else now
    active = {}
    for lease in leases:
        if lease.get("state", 0) != 0:
            continue
        if lease.get("cltt", 0) + lease.get("valid-lft", 0) < now:
            continue
        active[lease.get("ip-address")] = lease
    return active


def lease_conflicts(changes, leases_by_peer, now=None, labels=None):
    """Errors for added or moved reservations whose address another MAC holds a lease on.

    labels: {mac: row label} to name the input row in the message.
    """
    errors = []
    labels = labels or {}
    active = {peer: active_leases_by_ip(leases, now) for peer, leases in leases_by_peer.items()}
    for change in changes:
        if change["action"] not in ("add", "update"):
            continue
        for peer, by_ip in active.items():
            lease = by_ip.get(change["ip"])
            if lease and normalize_mac(lease.get("hw-address")) != change["mac"]:
                label = labels.get(change["mac"]) or change["hostname"] or change["mac"]
                errors.append(
                    f"{label}: address {change['ip']} is leased to "
                    f"{lease.get('hw-address')} ({lease.get('hostname') or 'no host name'}) on {peer}"
                )
                break
    return errors


def diff_items(subnet_prefix, changes):
    """Ansible diff list: one before/after per reservation."""
    items = []
    for change in sorted(changes, key=lambda c: (_ip_key(c["after"] or c["before"]), c["mac"] or "")):
        ident = change["mac"] or reservation_line(change["after"] or change["before"]).partition(" ")[0]
        header = f"subnet {subnet_prefix} reservation {ident}"
        items.append({
            "before_header": header,
            "after_header": header,
            "before": _reservation_text(change["before"]),
            "after": _reservation_text(change["after"]),
        })
    return items


def _reservation_text(reservation):
    if not reservation:
        return ""
    # leave out the defaults Kea fills in, so the diff shows what the ledger decides
    shown = {k: v for k, v in reservation.items() if v not in ("", [], {}, None, "0.0.0.0")}
    return "".join(f"{key}: {shown[key]}\n" for key in sorted(shown))


def reservation_lines(reservations):
    return [reservation_line(r) for r in sorted(reservations, key=_ip_key)]
