#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: endpoint_onboard_report
short_description: Write the onboarding record (端末導入記録) of a batch of new devices
description:
  - Writes the record of an onboarding (REQUIREMENTS OPS-ONBOARD §6-3(9)) into O(report_dir) as
    C(endpoint_onboard.md), C(endpoint_onboard.html) and C(endpoint_onboard.json) - per device its
    address, site, department, result (導入完了, 未完了, 導入済み), the steps done and not done in their
    order, the reboots, and the stretch it ran without antivirus (how many reboots, which steps).
  - The record is validated first; a bad one is named and nothing is written.
  - Runs on the controller; it needs the C(jichitai_ops) package of this repository in the Python that
    runs it.
  - A report is no change to the estate - C(changed) is always false; in check mode nothing is written.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  report_dir:
    description: Directory the files are written to; created when missing.
    type: path
    required: true
  devices:
    description:
      - One per device of the batch - C(computer_name), C(asset_no), C(address), C(site), C(department),
        C(result) (C(done), C(failed), C(already)), C(steps) (C(title), C(done)), C(reboots) and C(without_av)
        (P(ansible.legacy.onboard_without_antivirus#filter)).
    type: list
    elements: dict
    required: true
  batch:
    description: The batch file's name, shown in the record.
    type: str
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
- name: Write the onboarding record
  endpoint_onboard_report:
    report_dir: work/endpoint_onboard/20261207_101500
    batch: 2026-12.csv
    devices: "{{ records }}"
"""

RETURN = r"""
files:
  description: Format to the path written (empty in check mode).
  type: dict
  returned: always
"""

import datetime
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from jichitai_ops.reports import endpoint_onboard as renderer
except ImportError:
    RENDERER_ERROR = traceback.format_exc()
    renderer = None
else:
    RENDERER_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec={
            "report_dir": {"type": "path", "required": True},
            "devices": {"type": "list", "elements": "dict", "required": True},
            "batch": {"type": "str", "required": True},
            "inventory": {"type": "str"},
        },
        supports_check_mode=True,
    )
    if renderer is None:
        module.fail_json(
            msg=missing_required_lib("jichitai_ops (this repository, pip install -e .)"),
            exception=RENDERER_ERROR,
        )
    p = module.params
    record = {
        "recorded_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "inventory": p["inventory"],
        "clauses": ["§6-3(9) OPS-ONBOARD", "§6-3(3) OPS-ENDPT"],
        "batch": p["batch"],
        "devices": p["devices"],
    }
    try:
        renderer.check(record)
        files = {} if module.check_mode else renderer.write(record, p["report_dir"])
    except renderer.OnboardRecordError as exc:
        module.fail_json(msg=f"端末導入記録を作れません: {exc}")
    except OSError as exc:
        module.fail_json(msg=f"cannot write the record into {p['report_dir']}: {exc}")
    module.exit_json(changed=False, files=files)


if __name__ == "__main__":
    main()
