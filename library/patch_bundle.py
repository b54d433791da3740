#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: patch_bundle
short_description: Build or verify the bundle of approved updates carried to the My Number segment
description:
  - The My Number segment has no update source of its own (REQUIREMENTS MNT-PATCH, §2-2(11)). The
    updates approved on the LGWAN side cross to it through the LGWAN to My Number transfer system as a
    bundle - a folder of update files with C(manifest.json) at its top and C(manifest.json.sha256)
    beside it. A bundle carries Windows updates (KBs, from WSUS), Linux packages (Debian packages with
    their name and version), or both.
  - O(state=built) writes the manifest of the folder - every file's relative path, size and SHA-256,
    the KB list, the packages and the approval (plan id, approver, approved_at) - and the manifest's own
    SHA-256 in C(sha256sum) format. The same folder gives the same manifest, so a second build changes
    nothing.
  - O(state=verified) checks a received folder against its manifest before anything is imported and
    refuses the bundle on any problem, naming every one at once - a changed file (its hash), a missing
    file, a file the manifest does not list, a size that differs, a manifest that does not match its
    digest (or O(manifest_sha256)), a link in place of a file.
  - Files are hashed in 1 MiB reads with hashlib.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  path:
    description: The bundle's folder (the update files, and the manifest at its top).
    type: path
    required: true
  state:
    description:
      - C(built) writes the manifest and its digest; C(verified) only reads and fails on any problem.
    type: str
    required: true
    choices: [built, verified]
  kbs:
    description:
      - The approved KBs the bundle carries (C(KB) and 6 to 8 digits).
      - With O(state=built), O(kbs) or O(packages) (or both) is required; a bundle of packages alone
        lists no KBs.
    type: list
    elements: str
  packages:
    description:
      - The approved Linux packages the bundle carries, each a file in the folder. Listed in the
        manifest (by name) only when given, so a bundle of KBs keeps the manifest it always had.
      - On the far side the manifest's C(packages) say what to install, and from which verified file.
    type: list
    elements: dict
    suboptions:
      name:
        description: The package's name (Debian policy, lower case).
        type: str
        required: true
      version:
        description: Its version (C(1.1.0-1), C(1:2.3-4)).
        type: str
        required: true
      file:
        description: Its file, relative to O(path) (posix, no C(..)).
        type: str
        required: true
  approval:
    description: The approval of the work plan the bundle carries out. Required with O(state=built).
    type: dict
    suboptions:
      plan_id:
        description: The approved work plan's id.
        type: str
        required: true
      approver:
        description: Who approved it.
        type: str
        required: true
      approved_at:
        description: When it was approved (ISO 8601).
        type: str
        required: true
  manifest_sha256:
    description:
      - With O(state=verified), the manifest's SHA-256 as recorded on the LGWAN side (the build's
        RV(manifest_sha256)). The digest file travels with the bundle, so only this value, carried
        apart from it, shows a manifest rewritten together with its digest.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
notes:
  - The manifest carries no time of its own build, so rebuilding an unchanged folder writes nothing;
    the approval's time is the one that counts.
  - Files at the top named C(manifest.json) and C(manifest.json.sha256) are the manifest and its digest,
    not content.
seealso:
  - module: ansible.legacy.patch_approval_plan
attributes:
  platform:
    platforms: posix
    details: Runs where the folder is, on the host that exports or imports the bundle.
  check_mode:
    support: full
    details: >-
      With O(state=built) a check run reports the manifest it would write and whether it differs,
      writing nothing; O(state=verified) only reads and runs the same in check mode.
  diff_mode:
    support: full
    details: With O(state=built), the manifest before and after.
"""

EXAMPLES = r"""
- name: Manifest of the approved updates exported on the LGWAN side
  patch_bundle:
    path: /srv/jichitai/patch_bundle/2026-12
    state: built
    kbs: "{{ approval_plan.changes | selectattr('action', 'eq', 'approve') | map(attribute='kb') | unique }}"
    approval:
      plan_id: "{{ workplan_id }}"
      approver: "{{ workplan_approval.approver }}"
      approved_at: "{{ workplan_approval.approved_at }}"
  register: bundle

- name: Verify the bundle on the My Number side before the import
  patch_bundle:
    path: /mnt/transfer/patch_bundle/2026-12
    state: verified
    manifest_sha256: "{{ bundle.manifest_sha256 }}"

- name: Manifest of a bundle of approved Debian packages
  patch_bundle:
    path: /srv/jichitai/patch_bundle/2026-12-linux
    state: built
    packages:
      - {name: jichitai-lab-agent, version: 1.1.0-1, file: jichitai-lab-agent_1.1.0-1_all.deb}
      - {name: jichitai-lab-tools, version: 1.0.1-1, file: jichitai-lab-tools_1.0.1-1_all.deb}
    approval: "{{ bundle_approval }}"
"""

RETURN = r"""
manifest:
  description: The manifest written (built) or read (verified, null when it could not be read).
  returned: always
  type: dict
  sample:
    format: jichitai-patch-bundle/1
    kbs: [KB5034441, KB5034439]
    packages:
      - {name: jichitai-lab-agent, version: 1.1.0-1, file: jichitai-lab-agent_1.1.0-1_all.deb}
    approval: {plan_id: WP-2026-0142, approver: "u0123", approved_at: "2026-12-14T10:05:00+09:00"}
    file_count: 2
    total_size: 734003200
    files:
      - {path: windows10.0-kb5034441-x64.cab, size: 734000000,
         sha256: 0b1d4a6f2f6d5f9ad7c1c3b2e1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2}
manifest_sha256:
  description: The SHA-256 of C(manifest.json) as written or as found.
  returned: always
  type: str
  sample: 5f0c3e8b6d0f4d7e3c1a2b9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d
files:
  description: Number of update files in the bundle.
  returned: always
  type: int
  sample: 2
total_size:
  description: Their bytes together.
  returned: always
  type: int
  sample: 734003200
checked:
  description: With O(state=verified), the files whose size and hash matched.
  returned: always
  type: int
  sample: 2
problems:
  description: Every problem, in Japanese, each naming its file.
  returned: failure
  type: list
  elements: str
  sample: ["内容が変更されています - windows10.0-kb5034441-x64.cab"]
findings:
  description:
    - The problems as data - C(kind) (C(changed), C(missing), C(extra), C(size), C(manifest_tampered),
      C(manifest_missing), C(digest_missing), C(manifest_invalid), C(not_regular)), C(path), C(expected),
      C(actual), C(message).
  returned: failure
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.patch import bundle

PACKAGE_SPEC = {
    "name": {"type": "str", "required": True},
    "version": {"type": "str", "required": True},
    "file": {"type": "str", "required": True},
}
APPROVAL_SPEC = {
    "plan_id": {"type": "str", "required": True},
    "approver": {"type": "str", "required": True},
    "approved_at": {"type": "str", "required": True},
}


def built(module, p):
    try:
        manifest = bundle.build_manifest(p["path"], p["kbs"], p["approval"], p["packages"])
    except bundle.BundleError as exc:
        module.fail_json(
            msg=f"バンドルを作れません（問題 {len(exc.problems)} 件）: " + "; ".join(exc.problems[:20]),
            problems=exc.problems,
        )
    except OSError as exc:
        module.fail_json(msg=f"バンドルのファイルが読めません: {exc}", problems=[str(exc)])
    data = bundle.manifest_bytes(manifest)
    old, old_digest = bundle.current(p["path"])
    changed = old != data or old_digest != bundle.digest_line(data)
    if changed and not module.check_mode:
        try:
            bundle.write(p["path"], data)
        except OSError as exc:
            module.fail_json(msg=f"マニフェストを書けません: {exc}", problems=[str(exc)])
    result = {
        "changed": changed,
        "manifest": manifest,
        "manifest_sha256": bundle.sha256_bytes(data),
        "files": manifest["file_count"],
        "total_size": manifest["total_size"],
        "checked": 0,
    }
    if module._diff:
        result["diff"] = {
            "before_header": bundle.MANIFEST,
            "after_header": bundle.MANIFEST,
            "before": (old or b"").decode("utf-8", "replace"),
            "after": data.decode("utf-8"),
        }
    module.exit_json(**result)


def verified(module, p):
    report = bundle.verify(p["path"], p["manifest_sha256"])
    manifest = report["manifest"] if isinstance(report["manifest"], dict) else None
    result = {
        "changed": False,
        "manifest": manifest,
        "manifest_sha256": report["manifest_sha256"],
        "files": len(manifest.get("files") or [])
        if manifest and isinstance(manifest.get("files"), list)
        else 0,
        "total_size": manifest.get("total_size", 0) if manifest else 0,
        "checked": report["checked"],
    }
    if not report["ok"]:
        problems = report["problems"]
        module.fail_json(
            msg=f"バンドルを受け入れられません（問題 {len(problems)} 件）: " + "; ".join(problems[:20]),
            problems=problems,
            findings=report["findings"],
            **result,
        )
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "required": True, "choices": ["built", "verified"]},
            "kbs": {"type": "list", "elements": "str"},
            "packages": {"type": "list", "elements": "dict", "options": PACKAGE_SPEC},
            "approval": {"type": "dict", "options": APPROVAL_SPEC},
            "manifest_sha256": {"type": "str"},
        },
        required_if=[("state", "built", ("approval",)), ("state", "built", ("kbs", "packages"), True)],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "built":
        built(module, p)
    else:
        verified(module, p)


if __name__ == "__main__":
    main()
