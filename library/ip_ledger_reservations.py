#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: ip_ledger_reservations
short_description: Add DHCP reservations to a scope of the IP ledger (jichitai_dhcp_scopes in the inventory)
description:
  - Adds reservations to one scope of C(jichitai_dhcp_scopes) in the inventory file that holds it
    (REQUIREMENTS OPS-IPAM §6-3(4)④), so that the IP ledger - which playbooks/dhcp_sync.yml makes the
    DHCP pair match - carries every reservation the pair serves. Used after an onboarding has created the
    reservations on the pair.
  - The file is edited in place with a round-trip YAML parser - comments, order and the style of the
    existing entries are kept; a new entry takes the style (flow or block) of the scope's last one.
  - A reservation whose MAC address the scope already has is left alone, so a second run adds nothing;
    one whose address or host name another reservation of the scope holds is refused and nothing is written.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  path:
    description: The inventory file that defines C(jichitai_dhcp_scopes), as C(group_vars/pair_dhcp.yml).
    type: path
    required: true
  scope:
    description: The scope's C(name) or C(subnet).
    type: str
    required: true
  reservations:
    description: The reservations, each C(hostname), C(mac), C(ip).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
  diff_mode:
    support: full
requirements:
  - ruamel.yaml
seealso:
  - module: ansible.legacy.dhcp_reservations
"""

EXAMPLES = r"""
- name: Record the new devices' reservations in the IP ledger
  ip_ledger_reservations:
    path: "{{ inventory_dir }}/group_vars/pair_dhcp.yml"
    scope: cityhall-lab
    reservations:
      - {hostname: lgnb1201, mac: "02:4a:00:90:00:01", ip: 198.18.100.2}
"""

RETURN = r"""
added:
  description: The host names added (in check mode, that would be added).
  type: list
  elements: str
  returned: always
"""

import io
import os
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
except ImportError:
    YAML_ERROR = traceback.format_exc()
    YAML = None
else:
    YAML_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "scope": {"type": "str", "required": True},
            "reservations": {"type": "list", "elements": "dict", "required": True},
        },
        supports_check_mode=True,
    )
    if YAML is None:
        module.fail_json(msg=missing_required_lib("ruamel.yaml"), exception=YAML_ERROR)
    p = module.params
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the inventory's style (yamllint), kept byte for byte
    yaml.explicit_start = True
    try:
        with open(p["path"], encoding="utf-8") as fh:
            before = fh.read()
        data = yaml.load(before)
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"IP アドレス台帳 {p['path']} を読めません: {exc}")
    scopes = (data or {}).get("jichitai_dhcp_scopes") or []
    scope = next((s for s in scopes if p["scope"] in (str(s.get("name")), str(s.get("subnet")))), None)
    if scope is None:
        module.fail_json(msg=f"{p['path']}: jichitai_dhcp_scopes にスコープ {p['scope']} がありません")
    existing = scope.setdefault("reservations", [])
    macs = {str(r.get("mac", "")).lower(): r for r in existing}
    ips = {str(r.get("ip")): r for r in existing}
    names = {str(r.get("hostname", "")).lower(): r for r in existing}
    added, problems = [], []
    for row in p["reservations"]:
        mac, ip, name = str(row["mac"]).lower(), str(row["ip"]), str(row["hostname"]).lower()
        if mac in macs:
            continue
        if ip in ips or name in names:
            other = ips.get(ip) or names.get(name)
            holder = f"{other.get('hostname')} ({other.get('mac')})"
            problems.append(f"{name} {ip}: the scope already reserves it for {holder}")
            continue
        entry = CommentedMap([("hostname", name), ("mac", mac), ("ip", ip)])
        if existing and getattr(existing[-1], "fa", None) is not None and existing[-1].fa.flow_style():
            entry.fa.set_flow_style()
        existing.append(entry)
        macs[mac] = ips[ip] = names[name] = entry
        added.append(name)
    if problems:
        module.fail_json(msg="IP アドレス台帳に予約を加えられません（書き込みなし）: " + "; ".join(problems))
    result = {"changed": bool(added), "added": added}
    if added:
        buf = io.StringIO()
        yaml.dump(data, buf)
        after = buf.getvalue()
        if module._diff:
            result["diff"] = {"before": before, "after": after,
                              "before_header": p["path"], "after_header": p["path"]}  # fmt: skip
        if not module.check_mode:
            tmp = f"{p['path']}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(after)
            os.replace(tmp, p["path"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
