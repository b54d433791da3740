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

import os

import ansible.module_utils
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

# the controller imports inventory plugins without the configured module_utils on ansible.module_utils'
# path; the project's own module_utils sit beside this folder
_MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils")
if _MODULE_UTILS not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_MODULE_UTILS)

from ansible.module_utils.ledger.asset_rows import validate_rows  # noqa: E402
from ansible.module_utils.ledger.encoding import decode_text  # noqa: E402

MAX_REPORTED = 500  # keep the message readable if a whole file is wrong


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
            text, _encoding = decode_text(data, self.get_option("encoding"))
        except ValueError as exc:
            raise AnsibleParserError(f"asset ledger {ledger_path}: {exc}") from None

        options = {
            key: self.get_option(key)
            for key in ("columns", "kinds", "segments", "ip_assignments", "statuses", "default_os_family")
        }
        pcs, errors, self._disposed = validate_rows(text, sites, departments, options, self.inventory.hosts)
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
