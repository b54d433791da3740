# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# The transfer's diff as text (§6-3(7) OPS-MOVE): each entry's before and after that are data (an
# account, a folder and its ACL, an import file) become YAML text, keys sorted, as Ansible's output and
# the work plan print a mapping. Rendered once here (with libyaml where PyYAML has it): a transfer's plan
# has thousands of entries, and as data each one is walked again by Ansible's result handling, dumped by
# its output and by the plan's record.
from __future__ import annotations

import json

try:
    import yaml
except ImportError:  # PyYAML comes with ansible-core; without it the entries are JSON text
    yaml = None


def _dumper():
    return getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper


def text(value):
    """VALUE as the diff shows it: text as it is, None as nothing, data as YAML."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if yaml is None:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return yaml.dump(value, Dumper=_dumper(), allow_unicode=True, sort_keys=True, default_flow_style=False)


def entries_as_text(entries):
    """Ansible diff entries with their before and after as text (headers and other keys unchanged)."""
    out = []
    for entry in entries:
        entry = dict(entry)
        for side in ("before", "after"):
            if side in entry:
                entry[side] = text(entry[side])
        out.append(entry)
    return out
