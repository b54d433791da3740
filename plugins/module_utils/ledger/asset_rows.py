# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rows of the PC asset ledger (SKYSEA-style CSV export with Japanese headers), validated whole.

One reader for the inventory plugin asset_ledger (the ledger as hosts) and for the onboarding of new
devices (a batch in the ledger's own columns, whose addresses may still be empty: they are allocated
from the IP ledger). Every bad row is named with its line; nothing is half-read.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re

REQUIRED_FIELDS = ("asset_no", "hostname", "kind", "segment", "location", "department", "ip", "mac")
OPTIONAL_FIELDS = ("model", "os", "user", "ip_assignment", "status")
# what Excel makes of a long number typed or opened as General: 2.02305E+11, 1.23E-05, 4E+12
SCIENTIFIC_RE = re.compile(r"^[0-9](?:\.[0-9]+)?E[+-]?[0-9]+$", re.IGNORECASE)
SEGMENT_IDS = ("lgwan", "internet", "mynumber")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,13}[A-Za-z0-9])?$")  # NetBIOS-safe, ≤ 15
MAC_RE = re.compile(
    r"^(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})$"
)
LINUX_WORDS = ("linux", "ubuntu", "debian", "red hat", "rhel", "alma", "rocky")
MAX_REPORTED = 500  # keep the message readable if a whole file is wrong


def normalise_mac(value: str) -> str | None:
    """'4C-52-62-A8-B6-B8' -> '4c:52:62:a8:b6:b8'; None if not a unicast MAC address."""
    if not MAC_RE.match(value):
        return None
    digits = re.sub(r"[^0-9a-f]", "", value.lower())
    if int(digits[:2], 16) & 1 or digits in ("000000000000",):
        return None  # multicast/broadcast or empty: never a PC's NIC
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


# the defaults of the inventory plugin's options (its DOCUMENTATION says the same)
DEFAULT_OPTIONS = {
    "columns": {
        "asset_no": "資産番号",
        "hostname": "ホスト名",
        "model": "機種",
        "kind": "種別",
        "segment": "接続系",
        "location": "設置場所",
        "department": "所属",
        "ip": "IPアドレス",
        "mac": "MACアドレス",
        "ip_assignment": "IP割当",
        "os": "OS",
        "user": "利用者",
        "status": "状態",
    },
    "statuses": {"稼働": "active", "使用中": "active", "予備": "active", "保管": "active",
                 "廃棄": "disposed", "廃棄済": "disposed", "返却済": "disposed"},  # fmt: skip
    "kinds": {"ノートPC": "notebook", "デスクトップPC": "desktop", "2in1PC": "2in1",
              "テレワークPC": "telework"},  # fmt: skip
    "segments": {"LGWAN接続系": "lgwan", "インターネット接続系": "internet",
                 "個人番号利用事務系": "mynumber"},  # fmt: skip
    "ip_assignments": {"DHCP": "dynamic", "DHCP予約": "reserved", "固定": "static"},
    "default_os_family": "windows",
}


def site_networks(sites):
    """{site id: [ip_network]} from sites.yml (network, plus networks for a site spread over several)."""
    networks = {}
    for site in sites:
        nets = []
        for value in [site.get("network"), *(site.get("networks") or [])]:
            try:
                if value:
                    nets.append(ipaddress.ip_network(str(value), strict=False))
            except ValueError:
                continue  # the IP ledger check (site_network_violations) names a bad site network
        networks[str(site["id"])] = nets
    return networks


def address_problem(label, ip, networks):
    """Why ip cannot be a PC's address (None when it can): special addresses, or the network or
    broadcast address of its site's network."""
    if ip.is_unspecified or ip.is_multicast or ip.is_loopback or str(ip) == "255.255.255.255":
        return f"{label} {ip} cannot be a host's address"
    for net in networks:
        if ip in net and net.num_addresses > 2:
            if ip == net.network_address:
                return f"{label} {ip} is the network address of the site network {net}"
            if ip == net.broadcast_address:
                return f"{label} {ip} is the broadcast address of the site network {net}"
    return None


def lookup_tables(sites, departments):
    site_ids = {str(s["id"]): str(s["id"]) for s in sites}
    site_names = sorted(((str(s["name"]), str(s["id"])) for s in sites), key=lambda p: -len(p[0]))
    dept_keys: dict[str, str | None] = {}
    for d in departments:
        code = str(d["code"])
        for key in {code, str(d.get("name", "")), str(d.get("skysea_group", ""))} - {""}:
            # a name two departments share is ambiguous and only the code will do
            dept_keys[key] = code if dept_keys.get(key, code) == code else None
    return site_ids, site_names, dept_keys


def site_of(value, site_ids, site_names):
    if value in site_ids:
        return site_ids[value]
    for name, site_id in site_names:  # longest name first
        if value == name or (value.startswith(name) and value[len(name)] in " \u3000"):
            return site_id
    return None


def validate_rows(text, sites, departments, options=None, existing=(), ip_optional=False):
    """(pcs, errors, disposed) of a ledger's text: a host record per active PC, one message per bad
    row ('line N: ...'), the disposed rows. EXISTING: host names already defined elsewhere. With
    IP_OPTIONAL an empty address is no error (a batch of new devices, to be allocated)."""
    options = {**DEFAULT_OPTIONS, **(options or {})}
    columns = {k: str(v).strip() for k, v in options["columns"].items()}
    kinds = {str(k): str(v) for k, v in options["kinds"].items()}
    segments = {str(k): str(v) for k, v in options["segments"].items()}
    segments.update({s: s for s in SEGMENT_IDS})
    assignments = {str(k): str(v) for k, v in options["ip_assignments"].items()}
    statuses = {str(k): str(v) for k, v in options["statuses"].items()}
    site_ids, site_names, dept_keys = lookup_tables(sites, departments)
    networks_of = site_networks(sites)
    disposed = []

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], ["line 1: the ledger is empty (no header, no rows)"], []
    header = [h.strip() for h in header]
    errors = []
    missing = [columns[f] for f in REQUIRED_FIELDS if columns.get(f) not in header]
    doubled = sorted({h for h in header if h and header.count(h) > 1})
    if missing:
        errors.append("line 1: missing column(s): " + ", ".join(missing))
    if doubled:
        errors.append("line 1: column(s) appear twice: " + ", ".join(doubled))
    if errors:
        return [], errors, []
    index = {
        f: header.index(columns[f]) for f in REQUIRED_FIELDS + OPTIONAL_FIELDS if columns.get(f) in header
    }

    existing = {str(h).lower() for h in existing}
    seen: dict[str, dict[str, int]] = {"asset_no": {}, "hostname": {}, "ip": {}, "mac": {}}
    pcs = []
    last_line = reader.line_num
    for row in reader:
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank line
        problems = []
        if len(row) != len(header):
            errors.append(f"line {line}: {len(row)} fields, the header has {len(header)}")
            continue
        rec = {f: row[i].strip() for f, i in index.items()}
        for f in REQUIRED_FIELDS + OPTIONAL_FIELDS:
            if rec.get(f) and SCIENTIFIC_RE.match(rec[f]):
                problems.append(
                    f"{columns[f]} {rec[f]!r} is a number Excel turned into scientific notation "
                    "(the original value is lost): re-export the ledger with this column as text"
                )
        status = "active"
        if rec.get("status"):
            status = statuses.get(rec["status"])
            if status is None:
                problems.append(
                    f"{columns['status']} {rec['status']!r} is unknown (known: {', '.join(statuses)})"
                )
        if status == "disposed":
            problems += disposed_row(rec, columns, line, seen, disposed)
            if problems:
                errors.append(f"line {line}: " + "; ".join(problems))
            continue
        for f in REQUIRED_FIELDS:
            if not rec[f] and not (ip_optional and f == "ip"):
                problems.append(f"{columns[f]} is empty")

        host = rec["hostname"]
        if host and host.isdigit():
            problems.append(
                f"{columns['hostname']} {host!r} is all digits, "
                "which Windows and DNS refuse as a computer name"
            )
        elif host and not HOSTNAME_RE.match(host):
            problems.append(f"{columns['hostname']} {host!r} is not a valid computer name")
        ip = None
        if rec["ip"]:
            try:
                address = ipaddress.ip_address(rec["ip"])
            except ValueError:
                problems.append(f"{columns['ip']} {rec['ip']!r} is not an IP address")
            else:
                ip = str(address)
                site_id = site_of(rec["location"], site_ids, site_names)
                nets = networks_of.get(site_id, [])
                bad = address_problem(columns["ip"], address, nets)
                if bad:
                    problems.append(bad)
        mac = None
        if rec["mac"]:
            mac = normalise_mac(rec["mac"])
            if mac is None:
                problems.append(f"{columns['mac']} {rec['mac']!r} is not a unicast MAC address")
        kind = kinds.get(rec["kind"]) if rec["kind"] else None
        if rec["kind"] and kind is None:
            problems.append(f"{columns['kind']} {rec['kind']!r} is unknown (known: {', '.join(kinds)})")
        segment = segments.get(rec["segment"]) if rec["segment"] else None
        if rec["segment"] and segment is None:
            problems.append(f"{columns['segment']} {rec['segment']!r} is unknown")
        site = site_of(rec["location"], site_ids, site_names) if rec["location"] else None
        if rec["location"] and site is None:
            problems.append(f"{columns['location']} {rec['location']!r} is not a site of sites.yml")
        dept = dept_keys.get(rec["department"]) if rec["department"] else None
        if rec["department"] and dept is None:
            reason = (
                "is ambiguous"
                if rec["department"] in dept_keys
                else "is not a department of organisation.yml"
            )
            problems.append(f"{columns['department']} {rec['department']!r} {reason}")
        assignment = None
        if rec.get("ip_assignment"):
            assignment = assignments.get(rec["ip_assignment"])
            if assignment is None:
                problems.append(f"{columns['ip_assignment']} {rec['ip_assignment']!r} is unknown")

        name = host.lower()
        for field, key in (("asset_no", rec["asset_no"]), ("hostname", name), ("ip", ip), ("mac", mac)):
            if not key:
                continue
            if key in seen[field]:
                problems.append(
                    f"duplicate {columns[field]} {rec[field]} (first on line {seen[field][key]})"
                )
            else:
                seen[field][key] = line
        if name and name in existing:
            problems.append(f"{columns['hostname']} {host} is already a host of the inventory")

        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        os_text = rec.get("os", "")
        lowered = os_text.lower()
        if "windows" in lowered:
            os_family = "windows"
        elif any(w in lowered for w in LINUX_WORDS):
            os_family = "linux"
        else:
            os_family = options["default_os_family"]
        pcs.append(
            {
                "name": name,
                "ansible_host": ip,
                "jichitai_asset_no": rec["asset_no"],
                "jichitai_computer_name": host,
                "jichitai_model": rec.get("model", ""),
                "jichitai_pc_kind": kind,
                "jichitai_segment": segment,
                "jichitai_location": rec["location"],
                "jichitai_site": site,
                "jichitai_department": dept,
                "jichitai_mac": mac,
                "jichitai_ip_assignment": assignment or "dynamic",
                "jichitai_os": os_text,
                "jichitai_os_family": os_family,
                "jichitai_user": rec.get("user", ""),
                "jichitai_role": "pc",
                "jichitai_ledger_line": line,
            }
        )
    if not pcs and not errors:
        errors.append(f"line {last_line}: the ledger has a header but no PCs")
    return pcs, errors, disposed


def disposed_row(rec, columns, line, seen, disposed):
    """Problems of a disposed PC's row; a good one is kept for jichitai_ledger_disposed. Its host
    name, IP and MAC may return on a new PC, so only the asset number must stay unique."""
    problems = []
    for f in ("asset_no", "hostname"):
        if not rec.get(f):
            problems.append(f"{columns[f]} is empty")
    mac = normalise_mac(rec["mac"]) if rec.get("mac") else None
    if rec.get("mac") and mac is None:
        problems.append(f"{columns['mac']} {rec['mac']!r} is not a unicast MAC address")
    ip = None
    if rec.get("ip"):
        try:
            ip = str(ipaddress.ip_address(rec["ip"]))
        except ValueError:
            problems.append(f"{columns['ip']} {rec['ip']!r} is not an IP address")
    asset = rec.get("asset_no")
    if asset and asset in seen["asset_no"]:
        first = seen["asset_no"][asset]
        problems.append(f"duplicate {columns['asset_no']} {asset} (first on line {first})")
    elif asset:
        seen["asset_no"][asset] = line
    if not problems:
        disposed.append(
            {"asset_no": asset, "name": rec["hostname"].lower(), "mac": mac, "address": ip, "line": line}
        )
    return problems
