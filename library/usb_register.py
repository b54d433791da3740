#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: usb_register
short_description: Validate the USB device control register and write its SKYSEA import file
description:
  - Reads the USB device control register (USB機器管理台帳, REQUIREMENTS OPS-ENDPT §6-3(3)②) - a CSV with a
    Japanese header row (管理番号, 種別, メーカー, 型番, シリアル番号, ベンダーID, プロダクトID, 所属, 利用者,
    許可区分, 有効期限, 備考), UTF-8 (with or without BOM) or CP932 - and validates it whole. Every bad row is
    named with its line - a vendor or product id that is not 4 hex digits, a serial number or 管理番号 given
    twice, a department not in the organisation master, an expiry date passed, an unknown kind or
    permission (読み書き, 読み取りのみ, 禁止), a field missing. A bad register writes nothing.
  - Compares the register with the one last imported (O(previous), by default C(usb_devices.csv) in
    O(output_dir)) by 管理番号 - the rows added, removed and changed, in Japanese, for the work plan.
  - Writes into O(output_dir) the SKYSEA device-control import file (C(skysea_usb_devices.csv)), the
    register as imported (C(usb_devices.csv), the next run's baseline) and a short report in Japanese
    (C(usb_register.md), C(usb_register.html)). When the import file and the baseline are already these,
    nothing is written.
  - The import file follows the shape of the product's documented registered-device import (one row per
    device); its columns are this project's stand-in for the exact layout of the city's SKYSEA version
    (docs/endpoint-software.md).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  register:
    description: The register (C(inventories/<inventory>/registers/usb_devices.csv)).
    type: path
    required: true
  departments:
    description:
      - The organisation master (C(jichitai_departments)); 所属 is a department's code, name or SKYSEA group.
    type: list
    elements: dict
    required: true
  output_dir:
    description: The folder the import file, the baseline and the report are written into.
    type: path
    required: true
  previous:
    description:
      - The register to compare with. Default C(usb_devices.csv) in O(output_dir) when it is there (the one
        last imported), else none - every row is added. Its dates and departments are not checked again.
    type: path
  as_of:
    description: The day expiry dates are checked against (C(YYYY-MM-DD)); default today.
    type: str
  encoding:
    description:
      - The import file's encoding - C(cp932) (Shift_JIS, as SKYSEA imports by default) or C(utf-8-sig).
    type: str
    choices: [cp932, utf-8-sig]
    default: cp932
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
    details: Runs on the controller.
  check_mode:
    support: full
    details: Validates and compares, and writes nothing - the changes to the register are the run's diff.
  diff_mode:
    support: full
    details: The rows added, removed and changed since the register last imported, one line each in Japanese.
"""

EXAMPLES = r"""
- name: The SKYSEA import file of the USB device register
  usb_register:
    register: "{{ inventory_dir }}/registers/usb_devices.csv"
    departments: "{{ jichitai_departments }}"
    output_dir: /srv/jichitai/usb_register/moriguchi
"""

RETURN = r"""
devices:
  description: Devices in the register.
  returned: success
  type: int
  sample: 36
added:
  description: 管理番号 of the rows added since the register last imported.
  returned: success
  type: list
  elements: str
removed:
  description: 管理番号 of the rows removed.
  returned: success
  type: list
  elements: str
modified:
  description: The rows changed - C(id) and C(fields) (C(column), C(before), C(after)).
  returned: success
  type: list
  elements: dict
changes_ja:
  description: One line per change in Japanese (追加, 削除, 変更).
  returned: success
  type: list
  elements: str
  sample: ["変更: USB-0004 許可区分 読み書き → 読み取りのみ"]
files:
  description: The files of O(output_dir), each with C(action) (C(create), C(update), C(unchanged)).
  returned: success
  type: list
  elements: dict
problems:
  description: Every problem of the register, each naming its line.
  returned: failure
  type: list
  elements: str
  sample: ["usb_devices.csv 5 行目（USB-0004）: ベンダーID 'G781' は 16 進 4 桁です（例 0781）"]
"""

import datetime
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.endpoint import report, usb


def _read(module, path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        module.fail_json(msg=f"{path} が読めません: {exc}", problems=[str(exc)])


def _write(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".usb_register.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec={
            "register": {"type": "path", "required": True},
            "departments": {"type": "list", "elements": "dict", "required": True},
            "output_dir": {"type": "path", "required": True},
            "previous": {"type": "path"},
            "as_of": {"type": "str"},
            "encoding": {"type": "str", "choices": ["cp932", "utf-8-sig"], "default": "cp932"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        as_of = datetime.date.fromisoformat(p["as_of"]) if p["as_of"] else datetime.date.today()
    except ValueError:
        module.fail_json(msg=f"as_of は YYYY-MM-DD です（{p['as_of']!r}）", problems=[])
    name = os.path.basename(p["register"])
    try:
        rows = usb.read(_read(module, p["register"]), p["departments"], as_of, name)
    except usb.RegisterError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems)
    previous_path = p["previous"] or os.path.join(p["output_dir"], usb.REGISTER_FILE)
    previous = []
    if p["previous"] or os.path.isfile(previous_path):
        try:
            previous = usb.read(_read(module, previous_path), p["departments"], as_of,
                                os.path.basename(previous_path), baseline=True)  # fmt: skip
        except usb.RegisterError as exc:
            module.fail_json(msg=f"前回の台帳 {previous_path} が読めません:\n  " + "\n  ".join(exc.problems),
                             problems=exc.problems)  # fmt: skip
    changes = usb.diff(previous, rows)
    try:
        import_file = usb.skysea_csv(rows, p["encoding"])
    except UnicodeEncodeError as exc:
        module.fail_json(msg=f"SKYSEA の取込ファイルに {p['encoding']} で書けない文字があります: {exc}",
                         problems=[str(exc)])  # fmt: skip
    planned = {usb.SKYSEA_FILE: import_file, usb.REGISTER_FILE: usb.register_csv(rows)}
    current = {}
    for rel in planned:
        path = os.path.join(p["output_dir"], rel)
        current[rel] = _read(module, path) if os.path.isfile(path) else None
    if any(current[rel] != data for rel, data in planned.items()):
        md, html = report.usb_report(rows, changes["lines_ja"], as_of.isoformat(), name, p["encoding"])
        planned[report.USB_MD] = md.encode("utf-8")
        planned[report.USB_HTML] = html.encode("utf-8")
    files = []
    for rel, data in sorted(planned.items()):
        path = os.path.join(p["output_dir"], rel)
        old = current.get(rel, _read(module, path) if os.path.isfile(path) else None)
        action = "unchanged" if old == data else "update" if old is not None else "create"
        files.append({"path": rel, "action": action})
        if action != "unchanged" and not module.check_mode:
            try:
                os.makedirs(p["output_dir"], exist_ok=True)
                _write(path, data)
            except OSError as exc:
                module.fail_json(msg=f"{path} に書けません: {exc}", problems=[str(exc)])
    changed = any(f["action"] != "unchanged" for f in files)
    result = {
        "changed": changed,
        "devices": len(rows),
        "added": changes["added"],
        "removed": changes["removed"],
        "modified": changes["changed"],
        "changes_ja": changes["lines_ja"],
        "files": files,
    }
    if module._diff and changed:
        lines = changes["lines_ja"] or ["台帳の変更はありません（取込ファイルを作り直します）"]
        result["diff"] = {"prepared": "\n".join(lines) + "\n"}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
