#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_offsite_record
short_description: Keep the off-site medium's courier record and write its 遠隔地保管記録
description:
  - "REQUIREMENTS OPS-BACKUP §6-3(6)④. Runs on the controller after each phase of C(backup_offsite): the bag's
    courier record (O(record), as that module returned it) replaces C(<record_dir>/<bag>.json), and the
    遠隔地保管記録 is written into O(report_dir) as C(backup_offsite.md), C(.html), C(.xlsx) and C(.json)."
  - The record is checked first; a bad one is named and nothing is written.
  - With O(read_only) it only reads the record there is (for the phase to start from) and writes nothing.
  - It needs the C(jichitai_ops) package of this repository in the Python that runs it.
  - A record is no change to the estate - C(changed) is always false; in check mode nothing is written.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  record_dir:
    description: Folder of the courier records (the inventory's C(registers/offsite)).
    type: path
    required: true
  bag:
    description: The bag's name, which names its record C(<bag>.json).
    type: str
    required: true
  record:
    description: The record after the phase, as C(backup_offsite) returned it; required unless O(read_only).
    type: dict
  report_dir:
    description: Folder of the 遠隔地保管記録; required unless O(read_only).
    type: path
  inventory:
    description: Name of the inventory, shown in the record.
    type: str
  read_only:
    description: Only read the record there is (returned as C(record), empty when none).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Writes nothing in check mode; reading works as always.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the bag's courier record
  backup_offsite_record:
    record_dir: inventories/moriguchi/registers/offsite
    bag: offsite-2026-12
    read_only: true
  register: courier

- name: Keep the record after the phase and write the 遠隔地保管記録
  backup_offsite_record:
    record_dir: inventories/moriguchi/registers/offsite
    bag: offsite-2026-12
    record: "{{ phase.record }}"
    report_dir: work/backup_offsite/offsite-2026-12
"""

RETURN = r"""
record:
  description: The record read (O(read_only)) or kept.
  type: dict
  returned: always
record_file:
  description: The record's path.
  type: str
  returned: always
files:
  description: Format to the path of the 遠隔地保管記録 written (empty in check mode and with O(read_only)).
  type: dict
  returned: always
"""

import traceback

from ansible.module_utils.backup import offsite
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from jichitai_ops.reports import backup_offsite as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec={
            "record_dir": {"type": "path", "required": True},
            "bag": {"type": "str", "required": True},
            "record": {"type": "dict"},
            "report_dir": {"type": "path"},
            "inventory": {"type": "str"},
            "read_only": {"type": "bool", "default": False},
        },
        required_if=[("read_only", False, ("record", "report_dir"))],
        supports_check_mode=True,
    )
    p = module.params
    try:
        path = offsite.record_path(p["record_dir"], p["bag"])
        if p["read_only"]:
            module.exit_json(changed=False, record=offsite.read_record(p["record_dir"], p["bag"]) or {},
                             record_file=path, files={})  # fmt: skip
    except (offsite.OffsiteError, ValueError) as exc:
        module.fail_json(msg=f"遠隔地保管記録 {p['bag']}: {exc}")
    if renderer is None:
        module.fail_json(msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
                         exception=RENDERER_ERROR)  # fmt: skip
    record = dict(p["record"])
    if p["inventory"]:
        record["inventory"] = p["inventory"]
    try:
        if record.get("bag") != p["bag"]:
            raise renderer.OffsiteRecordError(f"the record is of {record.get('bag')!r}, not of {p['bag']}")
        renderer.check(record)
        files = {}
        if not module.check_mode:
            offsite.write_record(p["record_dir"], record)
            files = renderer.write(record, p["report_dir"])
    except renderer.OffsiteRecordError as exc:
        module.fail_json(msg=f"遠隔地保管記録 {p['bag']} を作れません: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"cannot write the record of {p['bag']}: {exc}")
    module.exit_json(changed=False, record=record, record_file=path, files=files)


if __name__ == "__main__":
    main()
