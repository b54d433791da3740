#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: asset_ledger_rows
short_description: Add onboarded devices to the PC asset ledger
description:
  - Appends one row per device to the asset ledger CSV the inventory plugin asset_ledger reads
    (REQUIREMENTS OPS-ONBOARD §6-3(9), OPS-IPAM §6-3(4)④), in the ledger's own header order, encoding
    (UTF-8 with or without BOM, CP932) and line endings, with its allocated address and
    C(IP割当=DHCP予約). The rest of the file is kept byte for byte.
  - A device whose host name is already a row of the ledger is left alone, so a second run adds nothing.
  - Cells that a spreadsheet would run as a formula are written as text (leading single quote).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  path:
    description: The asset ledger CSV.
    type: path
    required: true
  devices:
    description: The devices, as C(endpoint_onboard_plan) returns them (its C(devices)).
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
  diff_mode:
    support: full
seealso:
  - module: ansible.legacy.endpoint_onboard_plan
"""

EXAMPLES = r"""
- name: Add the onboarded devices to the asset ledger
  asset_ledger_rows:
    path: "{{ inventory_dir }}/ledgers/pc_assets.csv"
    devices: "{{ batch.devices }}"
"""

RETURN = r"""
added:
  description: Host names of the rows added (in check mode, that would be added).
  type: list
  elements: str
  returned: always
"""

import csv
import io

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.endpoint.onboard import ledger_row
from ansible.module_utils.ledger.asset_rows import DEFAULT_OPTIONS
from ansible.module_utils.ledger.encoding import csv_text, decode_text


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "devices": {"type": "list", "elements": "dict", "required": True},
            "columns": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    columns = {**DEFAULT_OPTIONS["columns"], **(module.params["columns"] or {})}
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text, encoding = decode_text(data)
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"資産台帳 {path} を読めません: {exc}")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip() for h in rows[0]] if rows else []
    if columns["hostname"] not in header:
        module.fail_json(msg=f"資産台帳 {path} に列 {columns['hostname']} がありません")
    position = header.index(columns["hostname"])
    present = {row[position].strip().lower() for row in rows[1:] if len(row) > position}
    new_rows = [ledger_row(d, columns, header) for d in module.params["devices"]
                if str(d["jichitai_computer_name"]).lower() not in present]  # fmt: skip
    added = [row[position] for row in new_rows]
    result = {"changed": bool(new_rows), "added": added}
    if new_rows:
        newline = "\r\n" if b"\r\n" in data else "\n"
        addition = csv_text(new_rows, newline=newline)
        if module._diff:
            result["diff"] = {"before": "", "after": addition, "after_header": path}
        if not module.check_mode:
            codec = "cp932" if encoding == "cp932" else "utf-8"
            glue = b"" if not data or data.endswith(b"\n") else newline.encode()
            with open(path, "ab") as fh:
                fh.write(glue + addition.encode(codec))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
