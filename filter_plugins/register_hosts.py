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
REQUIRED = ("jichitai_segment", "jichitai_role")


def _literal(value):
    """Whether a value needs no templating (no Jinja in it, at any depth)."""
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, dict):
        return all(_literal(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_literal(v) for v in value)
    return True


def _own_variables(hostvars, name):
    """The host's own variables (inventory file, asset ledger) when they hold everything a register needs
    as plain values: reading every host's merged variables (group_vars, the estate policy) costs seconds
    for the city's 1,353 hosts. None when the host needs its merged, templated variables."""
    inventory = getattr(hostvars, "_inventory", None)
    host = inventory.get_host(name) if inventory is not None else None
    if host is None:
        return None
    own = host.get_vars()
    picked = {key: own[key] for key in WANTED if key in own}
    if all(key in picked for key in REQUIRED) and _literal(picked):
        return picked
    return None


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
        variables = _own_variables(hostvars, name)
        if variables is None:
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
