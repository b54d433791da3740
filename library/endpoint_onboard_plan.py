#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: endpoint_onboard_plan
short_description: Validate a batch of new devices and allocate each an address from the IP ledger
description:
  - Reads a batch of devices other departments bought (REQUIREMENTS OPS-ONBOARD §6-3(9)) - a CSV in
    the asset ledger's own columns (資産番号, ホスト名, 機種, 種別, 接続系, 設置場所, 所属, IPアドレス,
    MACアドレス, OS, 利用者), UTF-8 with or without BOM or CP932 - and validates every row as the
    asset ledger's inventory plugin does (same reader); the IPアドレス column may be empty.
  - Allocates each new device an address from the DHCP scope of its site and segment
    (C(jichitai_dhcp_scopes)) - the next free one, or the one its row gives after checking it is free.
    An address is free when no host, printer, reservation or scope gateway of the IP ledger holds it
    and it is neither in the dynamic pool nor the subnet's network or broadcast address. A scope's
    optional C(allocation) (C(start), C(end)) narrows where devices are placed.
  - A device whose host name is already a host of the inventory with the same MAC address is
    recognised as onboarded (its ledger address is kept, nothing is allocated); with another MAC it
    is refused.
  - Every bad row is named with its line in one error, and nothing is allocated when one row is bad.
  - Reads only; it never changes anything.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  batch:
    description: The batch CSV.
    type: path
    required: true
  sites:
    description: The sites (C(jichitai_sites)).
    type: list
    elements: dict
    required: true
  departments:
    description: The organisation master (C(jichitai_departments)).
    type: list
    elements: dict
    required: true
  segments:
    description: The segments and their subnets (C(jichitai_segments)).
    type: dict
    required: true
  scopes:
    description: The IP ledger's DHCP scopes (C(jichitai_dhcp_scopes)).
    type: list
    elements: dict
    required: true
  records:
    description: The IP ledger's records of every host of the inventory (filter C(ip_ledger_records)).
    type: list
    elements: dict
    required: true
  columns:
    description: The ledger's header for each field, when it is not the asset ledger plugin's default.
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Reads only; the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: ansible.legacy.dhcp_reservations
  - module: ansible.legacy.ad_computer
"""

EXAMPLES = r"""
- name: Validate the batch and allocate the addresses
  endpoint_onboard_plan:
    batch: "{{ inventory_dir }}/onboarding/2026-12.csv"
    sites: "{{ jichitai_sites }}"
    departments: "{{ jichitai_departments }}"
    segments: "{{ jichitai_segments }}"
    scopes: "{{ hostvars[groups['pair_dhcp'][0]].jichitai_dhcp_scopes }}"
    records: "{{ hostvars | ip_ledger_records(groups['all']) }}"
  register: batch
"""

RETURN = r"""
devices:
  description:
    - One per row, in the batch's order - the host record as the asset ledger's inventory plugin makes
      it (C(name), C(jichitai_computer_name), C(jichitai_site), C(jichitai_segment),
      C(jichitai_department), C(jichitai_mac), ...), with C(ansible_host) the allocated address,
      C(scope) the scope's name, C(onboarded) (already a host of the inventory) and C(source_line).
  type: list
  elements: dict
  returned: success
reservations:
  description: The DHCP reservations of the new devices by scope subnet, as dhcp_reservations takes them.
  type: dict
  returned: success
header:
  description: The batch's header row, for writing the devices into the asset ledger.
  type: list
  elements: str
  returned: success
problems:
  description: Every bad row, one line each, when the batch is refused.
  type: list
  elements: str
  returned: failure
"""

import csv
import io

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.endpoint.onboard import OnboardInputError, plan_batch, reservations
from ansible.module_utils.ledger.encoding import decode_text


def main():
    module = AnsibleModule(
        argument_spec={
            "batch": {"type": "path", "required": True},
            "sites": {"type": "list", "elements": "dict", "required": True},
            "departments": {"type": "list", "elements": "dict", "required": True},
            "segments": {"type": "dict", "required": True},
            "scopes": {"type": "list", "elements": "dict", "required": True},
            "records": {"type": "list", "elements": "dict", "required": True},
            "columns": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        with open(params["batch"], "rb") as fh:
            text, _encoding = decode_text(fh.read())
    except OSError as exc:
        module.fail_json(msg=f"新規端末の一覧 {params['batch']} を読めません: {exc.strerror}")
    except ValueError as exc:
        module.fail_json(msg=f"新規端末の一覧 {params['batch']}: {exc}")
    options = {"columns": params["columns"]} if params["columns"] else None
    source = params["batch"].rsplit("/", 1)[-1]
    try:
        devices = plan_batch(
            text, params["sites"], params["departments"], params["segments"], params["scopes"],
            params["records"], options, source=source,
        )  # fmt: skip
    except OnboardInputError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems)
    header = next(csv.reader(io.StringIO(text)), [])
    module.exit_json(
        changed=False,
        devices=devices,
        reservations=reservations(devices, params["scopes"]),
        header=[h.strip() for h in header],
    )


if __name__ == "__main__":
    main()
