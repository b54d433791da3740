# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credential pre-flight: which secret variables a run needs are undefined (DESIGN principle 9).

A run planned without the site's vault would otherwise fail once per host, on the first task
that connects. ``credential_gaps`` reads the credential variables of the given hosts *without
rendering them into any output*: for each one whose value cannot be resolved it returns the host,
the variable, and the name of the undefined variable behind it (for the inventories here, the
vault variable). Values are never returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

try:
    from jinja2 import Undefined
except ImportError:  # pragma: no cover - jinja2 ships with ansible-core
    Undefined = ()  # type: ignore[assignment]

_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")


def _missing_name(value) -> str | None:
    """The undefined variable behind an unresolved value, or None when the value resolved."""
    if not isinstance(value, Undefined):
        return None
    name = getattr(value, "_undefined_name", None)
    if not name:
        found = _UNDEFINED_NAME.search(str(getattr(value, "_undefined_message", "") or ""))
        name = found.group(1) if found else "?"
    return str(name)


def credential_gaps(hostvars: Mapping, hosts: Iterable[str], names: Iterable[str]) -> list[dict]:
    """One entry per undefined missing variable: ``{"variable", "missing", "hosts"}``, where
    ``variable`` is the credential variable (``ansible_password``), ``missing`` the undefined
    variable it refers to (``vault_jichitai_windows_password``) and ``hosts`` the hosts that need it.
    A credential variable a host does not set at all is not needed by it and not reported."""
    names = list(names)
    gaps: dict[tuple[str, str], list[str]] = {}
    for host in hosts:
        hv = hostvars[host]
        for name in names:
            if name not in hv:
                continue
            missing = _missing_name(hv[name])
            if missing is not None:
                gaps.setdefault((name, missing), []).append(host)
    return [
        {"variable": variable, "missing": missing, "hosts": hosts_}
        for (variable, missing), hosts_ in sorted(gaps.items())
    ]


class FilterModule:
    """Credential pre-flight filter; documented for ansible-doc in credential_gaps.yml."""

    def filters(self):
        return {"credential_gaps": credential_gaps}
