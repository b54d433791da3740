# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Inventory plugin: PCs from the asset-management ledger (SKYSEA-style CSV export)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: asset_ledger
short_description: PCs from the asset-management ledger (CSV with Japanese headers)
description:
  - Reads the PC asset ledger as the asset-management system (SKYSEA Client View and similar)
    exports it, a CSV file with Japanese headers in UTF-8 (with or without BOM) or CP932, and adds
    one host per PC (REQUIREMENTS §6-3(3) endpoint ledger, §6-3(4)④ IP address ledger).
  - Hosts are named after the ledger host name in lower case and grouped by kind (V(pc_notebook),
    V(pc_desktop), V(pc_2in1), V(pc_telework), all children of V(role_pc)), site (V(site_<id>)),
    department (V(dept_<code>)), segment (V(segment_lgwan), V(segment_internet),
    V(segment_mynumber)) and OS family (V(windows), V(linux)).
  - Sites and departments are checked against the inventory's own masters (C(sites.yml),
    C(organisation.yml)). The whole ledger is validated before any host is added; every bad row
    is reported in one error with its line number (missing or duplicated columns, wrong field
    count, empty values, bad IP or MAC address, duplicate asset number, host name, IP or MAC,
    unknown kind, segment, site or department, host name already defined by another source, an
    empty ledger). Addresses and names that cannot be a PC's are refused too; an IP address that is
    its site network's network or broadcast address (or 0.0.0.0, 255.255.255.255, multicast,
    loopback), an all-digit host name, and any value that Excel turned into scientific notation
    (C(2.02305E+11), the asset number or MAC address is lost; re-export the column as text).
  - Rows whose status (optional column V(status)) maps to V(disposed) are no PCs; they add no host,
    and their asset number, host name, MAC and IP address are published as C(jichitai_ledger_disposed)
    (group V(all)), so that the IP ledger check (playbooks/validate_inventory.yml) refuses a DHCP
    reservation left behind for a disposed PC.
  - The configuration file name must end in C(.asset_ledger.yml) or C(.asset_ledger.yaml).
  - Values from the ledger are data, never templates (Ansible marks them untrusted).
  - Keep the ledger out of the inventory directory's own parsing (ansible.cfg
    C([inventory] ignore_patterns) covers the C(ledgers) directory) and set
    C([inventory] any_unparsed_is_failed) so a rejected ledger stops the run.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: Marks this file as a configuration for this plugin.
    required: true
    type: str
    choices: [asset_ledger]
  path:
    description: The ledger CSV, relative to the directory of this configuration file.
    required: true
    type: str
  encoding:
    description:
      - Encoding of the ledger. V(auto) takes UTF-8 when the file starts with a BOM or decodes as
        UTF-8, else CP932 (Windows Japanese, with NEC/IBM extension kanji such as 髙 and 﨑).
    type: str
    default: auto
    choices: [auto, utf-8-sig, utf-8, cp932]
  sites_file:
    description: YAML file holding C(jichitai_sites), relative to this configuration file.
    type: str
    default: group_vars/all/sites.yml
  organisation_file:
    description: YAML file holding C(jichitai_departments), relative to this configuration file.
    type: str
    default: group_vars/all/organisation.yml
  columns:
    description:
      - Ledger header for each field. V(model), V(os), V(user), V(ip_assignment) and V(status) are
        optional in the ledger; the others are required.
    type: dict
    default:
      asset_no: 資産番号
      hostname: ホスト名
      model: 機種
      kind: 種別
      segment: 接続系
      location: 設置場所
      department: 所属
      ip: IPアドレス
      mac: MACアドレス
      ip_assignment: IP割当
      os: OS
      user: 利用者
      status: 状態
  statuses:
    description:
      - Value of the status column mapped to V(active) or V(disposed). A ledger without the column,
        or an empty status, is all active.
    type: dict
    default:
      稼働: active
      使用中: active
      予備: active
      保管: active
      廃棄: disposed
      廃棄済: disposed
      返却済: disposed
  kinds:
    description: Value of the kind column mapped to the PC kind (group V(pc_<kind>)).
    type: dict
    default:
      ノートPC: notebook
      デスクトップPC: desktop
      2in1PC: 2in1
      テレワークPC: telework
  segments:
    description: Value of the segment column mapped to the segment id. Segment ids are accepted as they are.
    type: dict
    default:
      LGWAN接続系: lgwan
      インターネット接続系: internet
      個人番号利用事務系: mynumber
  ip_assignments:
    description: Value of the IP assignment column mapped to V(dynamic), V(reserved) or V(static).
    type: dict
    default:
      DHCP: dynamic
      DHCP予約: reserved
      固定: static
  default_os_family:
    description: OS family of a PC whose OS column names neither Windows nor Linux.
    type: str
    default: windows
"""

EXAMPLES = r"""
---
# inventories/moriguchi/pcs.asset_ledger.yml
plugin: asset_ledger
path: ledgers/pc_assets.csv
---
# another city's export in CP932 with its own headers, plus a constructed group
plugin: asset_ledger
path: ledgers/端末台帳.csv
encoding: cp932
columns:
  asset_no: 管理番号
  hostname: コンピュータ名
  kind: 種別
  segment: 接続系
  location: 設置場所
  department: 部署
  ip: IPアドレス
  mac: MACアドレス
groups:
  windows_workgroup: jichitai_segment == 'internet'
"""

import csv
import io
import ipaddress
import os
import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

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


def decode_ledger(data: bytes, encoding: str) -> tuple[str, str]:
    """Text and the encoding used. Raises ValueError naming the line of an undecodable byte."""
    if encoding == "auto":
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                encoding = "cp932"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"line {line}: bytes not valid {encoding} ({exc.reason})") from None


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "asset_ledger"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith((".asset_ledger.yml", ".asset_ledger.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        base = os.path.dirname(os.path.abspath(path))
        ledger_path = os.path.join(base, self.get_option("path"))
        sites = self._load_master(os.path.join(base, self.get_option("sites_file")), "jichitai_sites")
        departments = self._load_master(
            os.path.join(base, self.get_option("organisation_file")), "jichitai_departments"
        )
        try:
            with open(ledger_path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise AnsibleParserError(f"asset ledger {ledger_path}: {exc.strerror}") from None
        try:
            text, _encoding = decode_ledger(data, self.get_option("encoding"))
        except ValueError as exc:
            raise AnsibleParserError(f"asset ledger {ledger_path}: {exc}") from None

        self._disposed = []
        pcs, errors = self._validate(text, sites, departments)
        if errors:
            shown = errors[:MAX_REPORTED]
            more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
            raise AnsibleParserError(
                f"asset ledger {ledger_path}: {len(errors)} problem(s), nothing loaded:\n  "
                + "\n  ".join(shown)
                + more
            )
        self._populate(pcs, os.path.basename(ledger_path))
        if self._disposed:
            inventory.set_variable(
                "all",
                "jichitai_ledger_disposed",
                [
                    dict(d, source=f"{os.path.basename(ledger_path)} line {d.pop('line')}")
                    for d in self._disposed
                ],
            )

    # ------------------------------------------------------------------------------------------
    def _load_master(self, path, key):
        try:
            data = self.loader.load_from_file(path) or {}
        except Exception as exc:
            raise AnsibleParserError(f"asset ledger: cannot read {path}: {exc}") from None
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, list) or not value:
            raise AnsibleParserError(f"asset ledger: {path} has no list {key}")
        return value

    @staticmethod
    def _site_networks(sites):
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

    @staticmethod
    def _address_problem(label, ip, networks):
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

    def _lookup_tables(self, sites, departments):
        site_ids = {str(s["id"]): str(s["id"]) for s in sites}
        site_names = sorted(((str(s["name"]), str(s["id"])) for s in sites), key=lambda p: -len(p[0]))
        dept_keys: dict[str, str | None] = {}
        for d in departments:
            code = str(d["code"])
            for key in {code, str(d.get("name", "")), str(d.get("skysea_group", ""))} - {""}:
                # a name two departments share is ambiguous and only the code will do
                dept_keys[key] = code if dept_keys.get(key, code) == code else None
        return site_ids, site_names, dept_keys

    @staticmethod
    def _site_of(value, site_ids, site_names):
        if value in site_ids:
            return site_ids[value]
        for name, site_id in site_names:  # longest name first
            if value == name or (value.startswith(name) and value[len(name)] in " \u3000"):
                return site_id
        return None

    def _validate(self, text, sites, departments):
        columns = {k: str(v).strip() for k, v in self.get_option("columns").items()}
        kinds = {str(k): str(v) for k, v in self.get_option("kinds").items()}
        segments = {str(k): str(v) for k, v in self.get_option("segments").items()}
        segments.update({s: s for s in SEGMENT_IDS})
        assignments = {str(k): str(v) for k, v in self.get_option("ip_assignments").items()}
        statuses = {str(k): str(v) for k, v in self.get_option("statuses").items()}
        site_ids, site_names, dept_keys = self._lookup_tables(sites, departments)
        site_networks = self._site_networks(sites)
        self._disposed = []

        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            return [], ["line 1: the ledger is empty (no header, no rows)"]
        header = [h.strip() for h in header]
        errors = []
        missing = [columns[f] for f in REQUIRED_FIELDS if columns.get(f) not in header]
        doubled = sorted({h for h in header if h and header.count(h) > 1})
        if missing:
            errors.append("line 1: missing column(s): " + ", ".join(missing))
        if doubled:
            errors.append("line 1: column(s) appear twice: " + ", ".join(doubled))
        if errors:
            return [], errors
        index = {
            f: header.index(columns[f]) for f in REQUIRED_FIELDS + OPTIONAL_FIELDS if columns.get(f) in header
        }

        existing = set(self.inventory.hosts)
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
                problems += self._disposed_row(rec, columns, line, seen)
                if problems:
                    errors.append(f"line {line}: " + "; ".join(problems))
                continue
            for f in REQUIRED_FIELDS:
                if not rec[f]:
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
                    site_id = self._site_of(rec["location"], site_ids, site_names)
                    nets = site_networks.get(site_id, [])
                    bad = self._address_problem(columns["ip"], address, nets)
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
            site = self._site_of(rec["location"], site_ids, site_names) if rec["location"] else None
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
                os_family = self.get_option("default_os_family")
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
        return pcs, errors

    def _disposed_row(self, rec, columns, line, seen):
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
            self._disposed.append(
                {"asset_no": asset, "name": rec["hostname"].lower(), "mac": mac, "address": ip, "line": line}
            )
        return problems

    def _populate(self, pcs, ledger_name):
        inv = self.inventory
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed = self.get_option("keyed_groups")
        strict = self.get_option("strict")
        made: set[str] = set()

        def group(name, parent=None):
            if name not in made:
                inv.add_group(name)
                if parent:
                    inv.add_group(parent)
                    inv.add_child(parent, name)
                made.add(name)
            return name

        for pc in pcs:
            name = pc.pop("name")
            inv.add_host(name, group=group(f"pc_{pc['jichitai_pc_kind']}", "role_pc"))
            for g in (
                f"segment_{pc['jichitai_segment']}",
                f"site_{pc['jichitai_site']}",
                f"dept_{pc['jichitai_department']}",
                pc["jichitai_os_family"],
            ):
                inv.add_child(group(g), name)
            pc["jichitai_ledger_file"] = ledger_name
            for key, value in pc.items():
                inv.set_variable(name, key, value)
            if compose or groups or keyed:
                self._set_composite_vars(compose, pc, name, strict=strict)
                self._add_host_to_composed_groups(groups, pc, name, strict=strict)
                self._add_host_to_keyed_groups(keyed, pc, name, strict=strict)
