#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: endpoint_package
short_description: Verify the catalogue's installers on the distribution share, or build packages
description:
  - The software catalogue (C(jichitai_software_catalogue)) is validated whole first, as the filter
    C(endpoint_catalogue) does; then the entries named by O(ids) (default every entry) are checked
    against their installers on the distribution share (O(share), a local path or a mounted share).
    REQUIREMENTS OPS-ENDPT §6-3(3)④⑤.
  - O(action=verify) - each installer is a regular file inside the share, its SHA-256 is the entry's
    C(sha256), and for an MSI the C(ProductCode) and C(ProductVersion) of its Property table
    (C(msiinfo export <msi> Property), Debian package msitools) are the entry's C(product_id) and
    C(version). Any problem fails the module naming every bad entry; nothing is changed.
  - O(action=build) - verifies the same way, then writes one distribution package per entry into
    O(dest) - a folder C(<id>-<version>/) holding the verified installer (copied), the catalogue entry
    (C(catalogue_entry.json)) and the SKYSEA distribution import file (C(skysea_distribution.csv)) - and
    a short report in Japanese (C(endpoint_package.md), C(endpoint_package.html)). A file whose content
    is already the same is left alone, so a second build changes nothing.
  - The SKYSEA import file follows the shape of the product's documented distribution-settings import
    (one row per distribution); its columns are this project's stand-in for the exact layout of the
    city's SKYSEA version (docs/endpoint-software.md).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  action:
    description: C(verify) only reads; C(build) writes the packages.
    type: str
    required: true
    choices: [verify, build]
  catalogue:
    description: The software catalogue, as written (C(jichitai_software_catalogue)).
    type: list
    elements: dict
    required: true
  ids:
    description:
      - The entries to verify or build, by id (default every entry). An id the catalogue lacks fails.
    type: list
    elements: str
  share:
    description:
      - The distribution share as the controller sees it; the entries' C(installer) are relative to it.
    type: path
    required: true
  dest:
    description: The folder the packages are written into. Required with O(action=build).
    type: path
  encoding:
    description:
      - The SKYSEA import file's encoding - C(cp932) (Shift_JIS, as SKYSEA imports by default) or
        C(utf-8-sig) (UTF-8 with BOM).
    type: str
    choices: [cp932, utf-8-sig]
    default: cp932
  segments:
    description:
      - The segment keys the entries may name (C(jichitai_segments)); default the α model's three.
    type: raw
  departments:
    description:
      - The organisation master (C(jichitai_departments)) to check C(install_on.departments) against.
    type: list
    elements: dict
  msiinfo:
    description: The msiinfo program (msitools).
    type: path
    default: msiinfo
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - Files are hashed in 1 MiB reads. An installer reached through a link that leads outside O(share) is
    refused.
seealso:
  - module: ansible.windows.win_package
attributes:
  platform:
    platforms: posix
    details: Runs on the controller, where the distribution share is mounted.
  check_mode:
    support: full
    details: >-
      O(action=verify) only reads; O(action=build) reports the files it would write or replace and
      writes nothing.
  diff_mode:
    support: full
    details: With O(action=build), the text files (entry, import file, report) before and after.
"""

EXAMPLES = r"""
- name: Verify every installer of the catalogue before any device is touched
  endpoint_package:
    action: verify
    catalogue: "{{ jichitai_software_catalogue }}"
    share: /mnt/distribution
    segments: "{{ jichitai_segments }}"

- name: Build the distribution packages of a new product
  endpoint_package:
    action: build
    catalogue: "{{ jichitai_software_catalogue }}"
    ids: [just_pdf]
    share: /mnt/distribution
    dest: /srv/jichitai/packages
"""

RETURN = r"""
entries:
  description:
    - One result per entry checked - C(id), C(installer), C(path), C(sha256) found, C(product_code),
      C(product_version), C(product_name) (MSI), C(ok), C(problems).
  returned: always
  type: list
  elements: dict
  sample:
    - {id: skysea_agent, installer: skysea/SKYCV_Agent_19.2.msi, ok: true, problems: [],
       product_code: "{DDC741C9-20FA-4E96-B0C4-16D3781E69F6}", product_version: 19.2.0.1}
problems:
  description: Every problem, in Japanese, each naming its entry.
  returned: always
  type: list
  elements: str
  sample: ["skysea_agent（SKYSEA Client View エージェント）: sha256 が違います（カタログ 57…、ファイル 9a…）"]
packages:
  description: With O(action=build), one per entry - C(id), C(folder), C(files) (relative to O(dest)).
  returned: success
  type: list
  elements: dict
files:
  description:
    - With O(action=build), each file of the packages and the report with C(action) (C(create),
      C(update), C(unchanged)).
  returned: success
  type: list
  elements: dict
report:
  description: With O(action=build), the paths of the report (C(md), C(html)).
  returned: success
  type: dict
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.endpoint import catalogue, distribution, report


def _same(path, kind, value):
    if not os.path.isfile(path):
        return False
    if kind == "copy":
        return os.path.getsize(path) == os.path.getsize(value) and (
            distribution.sha256_of(path) == distribution.sha256_of(value)
        )
    with open(path, "rb") as fh:
        return fh.read() == value


def _write(path, kind, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".endpoint_package.")
    try:
        with os.fdopen(fd, "wb") as fh:
            if kind == "copy":
                with open(value, "rb") as src:
                    shutil.copyfileobj(src, fh, 1 << 20)
            else:
                fh.write(value)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _text(path):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return ""
    for enc in ("utf-8-sig", "cp932"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return ""


def main():
    module = AnsibleModule(
        argument_spec={
            "action": {"type": "str", "required": True, "choices": ["verify", "build"]},
            "catalogue": {"type": "list", "elements": "dict", "required": True},
            "ids": {"type": "list", "elements": "str"},
            "share": {"type": "path", "required": True},
            "dest": {"type": "path"},
            "encoding": {"type": "str", "choices": list(distribution.ENCODINGS), "default": "cp932"},
            "segments": {"type": "raw"},
            "departments": {"type": "list", "elements": "dict"},
            "msiinfo": {"type": "path", "default": "msiinfo"},
        },
        required_if=[("action", "build", ["dest"])],
        supports_check_mode=True,
    )
    p = module.params
    try:
        if p["ids"]:
            entries = catalogue.select(p["catalogue"], p["ids"], p["segments"], p["departments"])
        else:
            entries = catalogue.normalise(p["catalogue"], p["segments"], p["departments"])
    except catalogue.CatalogueError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems, entries=[])

    def runner(args):
        return module.run_command(args, environ_update={"LC_ALL": "C.UTF-8"})

    results, problems = distribution.verify(entries, p["share"], runner, p["msiinfo"])
    if problems:
        module.fail_json(
            msg=f"配布共有のインストーラがカタログと合いません（{len(problems)} 件、"
            "端末は変更していません）:\n  " + "\n  ".join(problems),
            problems=problems,
            entries=results,
        )
    if p["action"] == "verify":
        module.exit_json(changed=False, entries=results, problems=[])

    planned, packages = {}, []
    try:
        for entry in entries:
            files = distribution.package_files(entry, p["share"], p["encoding"])
            planned.update(files)
            folder = distribution.package_dir(entry)
            packages.append({"id": entry["id"], "folder": folder, "files": sorted(files)})
    except ValueError as exc:
        module.fail_json(msg=f"SKYSEA の取込ファイルが書けません: {exc}", problems=[str(exc)],
                         entries=results)  # fmt: skip
    md, html = report.package_report(entries, results, packages, p["encoding"])
    planned[report.PACKAGE_MD] = ("bytes", md.encode("utf-8"))
    planned[report.PACKAGE_HTML] = ("bytes", html.encode("utf-8"))

    files, diffs = [], []
    for rel in sorted(planned):
        kind, value = planned[rel]
        path = os.path.join(p["dest"], *rel.split("/"))
        if _same(path, kind, value):
            files.append({"path": rel, "action": "unchanged"})
            continue
        action = "update" if os.path.exists(path) else "create"
        files.append({"path": rel, "action": action})
        if kind == "bytes" and module._diff:
            cp932 = rel.endswith(".csv") and p["encoding"] == "cp932"
            after = value.decode("cp932" if cp932 else "utf-8-sig")
            diffs.append({"before_header": path, "after_header": path, "before": _text(path), "after": after})
        if not module.check_mode:
            try:
                _write(path, kind, value)
            except OSError as exc:
                module.fail_json(msg=f"{path} に書けません: {exc}", problems=[str(exc)], entries=results)
    changed = any(f["action"] != "unchanged" for f in files)
    result = {
        "changed": changed,
        "entries": results,
        "problems": [],
        "packages": packages,
        "files": files,
        "report": {
            "md": os.path.join(p["dest"], report.PACKAGE_MD),
            "html": os.path.join(p["dest"], report.PACKAGE_HTML),
        },  # fmt: skip
    }
    if diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
