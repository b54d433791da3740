#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_restore_test_report
short_description: Write the restore test's record and its リストア試験記録
description:
  - "REQUIREMENTS OPS-BACKUP §6-3(6). Runs on the controller after C(backup_restore_test): its record, with
    the verdict C(result_ja) added (合格（差異なし、N ファイル）, 差異あり（N 件）, 復元失敗), is written into
    O(report_dir) as C(backup_restore_test.json) (what the monthly report reads), C(.md) and C(.html)."
  - The record is checked first; a bad one is named and nothing is written.
  - It needs the C(jichitai_ops) package of this repository in the Python that runs it.
  - A report is no change to the estate - C(changed) is always false; in check mode nothing is written.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  record:
    description: The record C(backup_restore_test) returned.
    type: dict
    required: true
  report_dir:
    description: Folder the files are written to; created when missing.
    type: path
    required: true
  inventory:
    description: Name of the inventory, shown in the record.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Writes nothing in check mode.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Write the restore test's record
  backup_restore_test_report:
    record: "{{ restore_test.record }}"
    report_dir: work/backup_restore_test/20261207T100000-fs01-share
"""

RETURN = r"""
record:
  description: The record as written (with C(result_ja) and C(inventory)).
  type: dict
  returned: always
files:
  description: Format to the path written (empty in check mode).
  type: dict
  returned: always
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from jichitai_ops.reports import backup_restore_test as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec={
            "record": {"type": "dict", "required": True},
            "report_dir": {"type": "path", "required": True},
            "inventory": {"type": "str"},
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
                         exception=RENDERER_ERROR)  # fmt: skip
    p = module.params
    record = dict(p["record"])
    if p["inventory"]:
        record["inventory"] = p["inventory"]
    try:
        renderer.check(record)
        record["result_ja"] = renderer.result_text(record)
        files = {} if module.check_mode else renderer.write(record, p["report_dir"])
    except (renderer.RestoreRecordError, KeyError, TypeError) as exc:
        module.fail_json(msg=f"リストア試験記録を作れません: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"cannot write the record into {p['report_dir']}: {exc}")
    module.exit_json(changed=False, record=record, files=files)


if __name__ == "__main__":
    main()
