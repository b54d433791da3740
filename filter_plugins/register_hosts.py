# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hosts of the inventory as the registers read them (REQUIREMENTS OPS-DOCS §6-3(4)③): one small record
per host with only the variables a register shows, so the module register_report receives 1,353 hosts
as data instead of every host's variables. Documentation for ansible-doc: register_hosts.yml."""

from __future__ import annotations

import os

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

import ansible.module_utils

# the controller imports filter plugins without the configured module_utils on ansible.module_utils'
# path; the project's own module_utils sit beside filter_plugins/
_MODULE_UTILS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "module_utils"
)
if _MODULE_UTILS not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_MODULE_UTILS)

from ansible.module_utils.registers.model import HOST_FIELDS, host_record  # noqa: E402

WANTED = sorted({key for keys in HOST_FIELDS.values() for key in keys})


def register_hosts(names, hostvars):
    """One record per host name, in the order given; a name the inventory does not hold is an error."""
    if isinstance(names, str):
        names = [names]
    out, missing = [], []
    for name in names:
        name = str(name)
        if name not in hostvars:
            missing.append(name)
            continue
        hv = hostvars[name]
        variables = {key: hv[key] for key in WANTED if key in hv}
        out.append(host_record(name, variables))
    if missing:
        raise AnsibleFilterError(f"register_hosts: not in the inventory: {', '.join(missing)}")
    return out


class FilterModule:
    """Register filters."""

    def filters(self):
        return {"register_hosts": register_hosts}
