# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja filters of the My Number bundle (roles/patch_mynumber_bundle).

{{ 'jichitai-lab-agent=1.1.0-1, jichitai-lab-tools=1.0.1-1' | mynumber_bundle_packages }}
    -> the approved packages as [{name, version}], from a list or a survey's text (name=version, each
       separated by commas, spaces or new lines)
{{ packages | mynumber_bundle_plan(ansible_facts.packages) }}
    -> per approved package: name, version, previous (installed now, or None) and action
       install | current | newer (the host has a later version: left alone, never downgraded)
{{ plan | mynumber_bundle_record(host=..., segment=..., ...) }}
    -> the host's patch record (plugins/module_utils/patch/status.py) with its packages
"""

from __future__ import annotations

import re

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

try:
    from debian.debian_support import version_compare
except ImportError:  # pragma: no cover - reported when the filter is used
    version_compare = None


def debian_version_compare(a: str, b: str) -> int:
    """<0, 0, >0 as dpkg --compare-versions orders a and b (python-debian's implementation of it)."""
    if version_compare is None:
        raise AnsibleFilterError("mynumber_bundle_plan: python-debian が必要です")
    return version_compare(str(a), str(b))


def mynumber_bundle_packages(value):
    """[{name, version}] from a list of them or from the text `name=version, name=version`."""
    if isinstance(value, str):
        out = []
        for item in re.split(r"[\s,]+", value.strip()):
            if item:
                name, sep, version = item.partition("=")
                if not sep or not name or not version:
                    raise AnsibleFilterError(
                        f"承認パッケージは name=version の形で指定してください（{item}）"
                    )
                out.append({"name": name, "version": version})
        return out
    out = []
    for item in value or []:
        if not isinstance(item, dict) or not item.get("name") or not item.get("version"):
            raise AnsibleFilterError(f"承認パッケージは name と version を持つ辞書にしてください（{item!r}）")
        out.append({"name": str(item["name"]), "version": str(item["version"])})
    return out


def mynumber_bundle_plan(packages, installed):
    """What the bundle does on one host: per approved package the version installed now and the action."""
    out = []
    for pkg in packages or []:
        have = [p.get("version") for p in (installed or {}).get(pkg["name"]) or [] if p.get("version")]
        previous = have[0] if have else None
        if previous is None:
            action = "install"
        else:
            order = debian_version_compare(previous, pkg["version"])
            action = "current" if order == 0 else ("newer" if order > 0 else "install")
        out.append({"name": pkg["name"], "version": pkg["version"], "previous": previous, "action": action})
    return out


def mynumber_bundle_record(plan, host, segment, ring, checked_at, outcome, reboot_required=False, extra=None):
    """The host's patch record. outcome: done (installed what the plan said), refused (the bundle was
    refused: nothing installed) or failed (the install failed)."""
    packages = {}
    for p in plan or []:
        if p["action"] == "install":
            state = "installed" if outcome == "done" else ("failed" if outcome == "failed" else "missing")
        else:
            state = "installed"
        packages[p["name"]] = {
            "version": p["version"] if p["action"] != "newer" else p["previous"],
            "state": state,
            "previous": p["previous"],
        }
    todo = any(p["action"] == "install" for p in plan or [])
    if outcome in ("refused", "failed"):
        result = "failed"
    elif reboot_required:
        result = "pending_reboot"
    else:
        result = "installed" if todo else "up_to_date"
    record = {
        "host": host,
        "segment": segment,
        "ring": ring,
        "result": result,
        # each package also as an update of the status's host-by-update matrix, as patch_servers records it
        "kbs": {f"{name}={p['version']}": p["state"] for name, p in packages.items()},
        "packages": packages,
        "checked_at": checked_at,
        "oldest_missing_release": None,
        "reboot_required": bool(reboot_required),
    }
    record.update(extra or {})
    return record


class FilterModule:
    def filters(self):
        return {
            "mynumber_bundle_packages": mynumber_bundle_packages,
            "mynumber_bundle_plan": mynumber_bundle_plan,
            "mynumber_bundle_record": mynumber_bundle_record,
        }
