"""Action plugin of config_files: each file's template (files[].src) rendered on the controller.

Rendered as ansible.builtin.template renders one: found in the role's (or the playbook's) templates
folder, with the task's variables and the template variables (ansible_managed, template_path, ...) over
a shallow copy of them; the module then gets the content. The template lookup in files[].content would
deep-copy every variable of the host for each file (six files of the monitoring server: about 0.8 s of
a run whose work is a few reads, docs/performance.md).
"""

from __future__ import annotations

import os

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.plugins.action import ActionBase
from ansible.template import trust_as_template

try:  # what ansible.builtin.template adds to a template's variables (ansible-core's own helper)
    from ansible._internal._templating._template_vars import generate_ansible_template_vars
except ImportError:  # pragma: no cover - a later ansible-core: ansible_managed alone, as configured
    generate_ansible_template_vars = None


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        files = []
        for item in args.get("files") or []:
            if isinstance(item, dict) and item.get("src") is not None:
                if item.get("content") is not None:
                    raise AnsibleActionFail(
                        f"config_files: {item.get('dest')}: give content or src, not both"
                    )
                item = {k: v for k, v in item.items() if k != "src"} | {
                    "content": self._render(item["src"], item.get("dest"), task_vars)
                }
            files.append(item)
        if files:
            args["files"] = files
        result.update(
            self._execute_module(module_name=self._task.action, module_args=args, task_vars=task_vars)
        )
        # the module's temporary folder on the target, removed as the normal action removes it
        self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _render(self, src, dest, task_vars):
        try:
            source = self._find_needle("templates", src)
            text = trust_as_template(self._loader.get_text_file_contents(source))
        except AnsibleError as exc:
            raise AnsibleActionFail(f"config_files: {dest}: {exc}") from exc
        # includes resolve like ansible.builtin.template's: each search path and its templates folder
        paths = list(task_vars.get("ansible_search_path", [])) + [
            self._loader._basedir,
            os.path.dirname(source),
        ]
        searchpath = [p for path in paths for p in (os.path.join(path, "templates"), path)]
        variables = task_vars.copy()
        if generate_ansible_template_vars is not None:
            variables.update(
                generate_ansible_template_vars(
                    path=src,
                    fullpath=source,
                    dest_path=dest,
                    include_ansible_managed="ansible_managed" not in variables,
                )
            )
        else:
            variables.setdefault("ansible_managed", C.config.get_config_value("DEFAULT_MANAGED_STR"))
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=variables)
        rendered = templar.template(text, escape_backslashes=False)
        return "" if rendered is None else str(rendered)
