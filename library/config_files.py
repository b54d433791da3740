#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: config_files
short_description: Folders and files of a server in one module run, each file checked before it is used
description:
  - Makes the given folders exist and the given files hold the given content, owner, group and mode, in
    one module run on the target. It is M(ansible.builtin.file), M(ansible.builtin.copy) and
    M(ansible.builtin.template) (O(files[].src), rendered on the controller) for a set of files that
    belong together, such as a monitoring server's configuration, where a task per file costs a module
    run per file (two for a template in check mode).
  - The folders are made first, then the files, in the order given, so a checker can read a file
    written before it (the rules a Prometheus configuration loads).
  - A file whose content changes is written to a temporary file beside it, given its owner, group and
    mode, checked with O(files[].validate) when given, and only then moved over the old one. A check
    that fails leaves the old file, fails the module with the checker's output and writes no later file
    (the earlier ones of the run stay written, as with one task per file).
version_added: "1.2.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  directories:
    description: Folders to make (with their parents) and give an owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The folder.
        type: path
        required: true
      owner:
        description: Its owner (default unchanged).
        type: str
      group:
        description: Its group (default unchanged).
        type: str
      mode:
        description: Its mode, as C(0755) (default unchanged for a folder that exists).
        type: raw
  files:
    description: Files to write, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: The file. Its folder must exist (or be in O(directories)).
        type: path
        required: true
      content:
        description:
          - What the file must hold (text, written as UTF-8).
          - Exactly one of O(files[].content) and O(files[].src).
        type: str
      src:
        description:
          - A Jinja2 template that gives the content, found and rendered on the controller as
            M(ansible.builtin.template) renders its C(src) (the role's C(templates) folder, then the
            playbook's; the task's variables and C(ansible_managed)), by the module's action plugin.
          - Rendering it there costs less than the C(template) lookup in O(files[].content), which
            copies every variable of the host for each file.
        type: str
      owner:
        description: Its owner (default unchanged, the connection's user for a new file).
        type: str
      group:
        description: Its group.
        type: str
      mode:
        description: Its mode, as C(0644) (a new file without one follows the umask, as with copy).
        type: raw
      validate:
        description:
          - A command that checks the new content before it replaces the file; C(%s) is the path of the
            new content. Run without a shell.
        type: str
      diff:
        description:
          - Whether the diff shows the file's content. V(false) for a file whose content the plan should
            not show; a file that holds a secret goes in O(secret_files).
        type: bool
        default: true
  secret_files:
    description:
      - Files that hold a secret (a password, a shared secret), written before O(files) as they are.
        Their content is a C(no_log) option, so Ansible masks it in the result and the task needs no
        C(no_log) of its own, and the diff says that such a file changes, never what it holds.
    type: list
    elements: dict
    default: []
    suboptions:
      dest:
        description: The file. Its folder must exist (or be in O(directories)).
        type: path
        required: true
      content:
        description: What the file must hold (text, written as UTF-8). Never returned nor shown.
        type: str
        required: true
      owner:
        description: Its owner (default unchanged, the connection's user for a new file).
        type: str
      group:
        description: Its group.
        type: str
      mode:
        description: Its mode, as C(0600) (a new file without one follows the umask, as with copy).
        type: raw
      validate:
        description:
          - A command that checks the new content before it replaces the file; C(%s) is the path of the
            new content. Run without a shell.
        type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
notes:
  - One task writes a server's configuration files and the files with its secrets (O(secret_files));
    the configuration's diff shows in the plan, the secrets never do.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
attributes:
  platform:
    platforms: posix
    details: Runs on the server that holds the files.
  check_mode:
    support: full
    details: Reports the folders and files that would change and writes nothing; a check is not run.
  diff_mode:
    support: full
    details: One entry per file whose content or attributes change (content only when O(files[].diff)).
  action:
    support: full
    details: >-
      The action plugin of the same name renders each O(files[].src) on the controller, then runs the
      module on the target.
  async:
    support: none
  bypass_host_loop:
    support: none
"""

EXAMPLES = r"""
- name: Write the monitoring server's configuration
  config_files:
    directories:
      - {path: /etc/prometheus/rules, owner: root, group: prometheus, mode: "0755"}
    files:
      - dest: /etc/prometheus/rules/jichitai.yml
        src: jichitai.rules.yml.j2
        owner: root
        group: prometheus
        mode: "0644"
        validate: promtool check rules %s
      - dest: /etc/prometheus/prometheus.yml
        src: prometheus.yml.j2
        owner: root
        group: prometheus
        mode: "0644"
        validate: promtool check config %s
  register: written
  notify: reload prometheus
"""

RETURN = r"""
changed_paths:
  description: The folders and files made or changed (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/etc/prometheus/prometheus.yml]
files:
  description:
    - Each file of O(secret_files), then of O(files), whether its content and whether its owner, group or
      mode change.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The file.
      type: str
    content_changed:
      description: Whether its content changes.
      type: bool
    changed:
      description: Whether it changes at all.
      type: bool
  sample:
    - {dest: /etc/prometheus/prometheus.yml, content_changed: true, changed: true}
"""

import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

OWNERSHIP = {"owner": {"type": "str"}, "group": {"type": "str"}, "mode": {"type": "raw"}}
# what every file of files and secret_files gives besides its content
FILE = {"dest": {"type": "path", "required": True}, "validate": {"type": "str"}, **OWNERSHIP}


def attributes(module, path, item, diff):
    """Give PATH the owner, group and mode of ITEM (or in check mode say it would); whether it changed."""
    args = {"path": path, "owner": item.get("owner"), "group": item.get("group"), "mode": item.get("mode")}
    file_args = module.load_file_common_arguments(args, path=path)
    return module.set_fs_attributes_if_different(file_args, False, diff)


def make_directory(module, item):
    path = item["path"]
    diff = {"before": {"path": path}, "after": {"path": path}}
    changed = not os.path.isdir(path)
    if changed:
        diff["before"]["state"], diff["after"]["state"] = "absent", "directory"
        if not module.check_mode:
            os.makedirs(path, exist_ok=True)
    if os.path.isdir(path):
        changed |= attributes(module, path, item, diff)
    return changed, diff


def read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def check_new(module, command, path):
    argv = [part.replace("%s", path) for part in shlex.split(command)]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg=f"{argv[0]} refused the new content of the file: {(out + err).strip()}", rc=rc)


def write_file(module, item):
    """Write ITEM's file (content, owner, group, mode); (content changed, changed, diff entry)."""
    dest, wanted = item["dest"], to_bytes(item["content"])
    old = read(dest)
    content_changed = old != wanted
    entry = {"before_header": dest, "after_header": dest, "before": "", "after": ""}
    if item["diff"]:
        entry["before"], entry["after"] = to_text(old or b""), to_text(wanted)
    elif content_changed:
        entry["before"], entry["after"] = "(内容は記録しない / content not shown)\n", "(changed)\n"
    changed = content_changed
    if content_changed and not module.check_mode:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest) or ".", prefix=".config_files.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(wanted)
            attributes(module, tmp, item, None)
            if item["validate"]:
                check_new(module, item["validate"], tmp)
            module.atomic_move(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    if os.path.exists(dest):
        attribute_diff = {"before": {}, "after": {}}
        changed |= attributes(module, dest, item, attribute_diff)
        if attribute_diff["before"] != attribute_diff["after"]:
            entry["before"] += "".join(f"# {k}: {v}\n" for k, v in sorted(attribute_diff["before"].items()))
            entry["after"] += "".join(f"# {k}: {v}\n" for k, v in sorted(attribute_diff["after"].items()))
    return content_changed, changed, entry


def main():
    module = AnsibleModule(
        argument_spec={
            "directories": {
                "type": "list", "elements": "dict", "default": [],
                "options": {"path": {"type": "path", "required": True}, **OWNERSHIP},
            },
            # the list names the files; only each file's content is secret (its own no_log)
            "secret_files": {
                "type": "list", "elements": "dict", "default": [], "no_log": False,
                "options": {**FILE, "content": {"type": "str", "required": True, "no_log": True}},
            },
            "files": {
                "type": "list", "elements": "dict", "default": [],
                "options": {
                    **FILE,
                    "content": {"type": "str"},
                    # rendered into content by the action plugin on the controller
                    "src": {"type": "str"},
                    "diff": {"type": "bool", "default": True},
                },
                "required_one_of": [["content", "src"]],
                "mutually_exclusive": [["content", "src"]],
            },
        },
        supports_check_mode=True,
    )  # fmt: skip
    unrendered = [item["dest"] for item in module.params["files"] if item["src"] is not None]
    if unrendered:
        module.fail_json(
            msg="files[].src is rendered by the config_files action on the controller; "
            f"this module run got it unrendered for {', '.join(unrendered)}"
        )
    changed_paths, files, diffs = [], [], []
    for item in module.params["directories"]:
        changed, diff = make_directory(module, item)
        if changed:
            changed_paths.append(item["path"])
            diffs.append(diff)
    secret_files = [dict(item, diff=False) for item in module.params["secret_files"]]
    for item in secret_files + module.params["files"]:
        content_changed, changed, entry = write_file(module, item)
        files.append({"dest": item["dest"], "content_changed": content_changed, "changed": changed})
        if changed:
            changed_paths.append(item["dest"])
            diffs.append(entry)
    result = {"changed": bool(changed_paths), "changed_paths": changed_paths, "files": files}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
