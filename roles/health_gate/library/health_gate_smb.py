#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Health gate probe: list the top of an SMB share."""

DOCUMENTATION = r"""
---
module: health_gate_smb
short_description: Prove a file share answers by listing its top folder over SMB
description:
  - Opens an SMB session (SMB 3 with encryption), connects to the share
    and lists its top folder. Fails when the session, the tree connect or the listing fails.
  - Read-only; runs the same in check mode. Used by the C(health_gate) role after a planned power
    outage (REQUIREMENTS OPS-OUTAGE, §6-3(8)).
version_added: "1.0.0"
options:
  server:
    description: Address of the file server.
    type: str
    required: true
  share:
    description: Name of the share to list.
    type: str
    required: true
  username:
    description: Account for the session (C(DOMAIN\\user) or a user principal name).
    type: str
    required: true
  password:
    description: Password of I(username).
    type: str
    required: true
  port:
    description: TCP port of the SMB service.
    type: int
    default: 445
  timeout:
    description: Seconds to wait for the connection.
    type: int
    default: 5
author:
  - jichitai-ops maintainers (@jichitai-ops)
requirements:
  - smbprotocol (through the directory probe module utility)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - controller_platform
attributes:
  check_mode:
    support: full
    details: The module only reads, so a check run reports the same as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: List the department share
  health_gate_smb:
    server: "{{ jichitai_smb_server }}"
    share: "{{ jichitai_smb_share }}"
    username: "{{ jichitai_smb_user }}"
    password: "{{ jichitai_smb_password }}"
  no_log: true
"""

RETURN = r"""
entries:
  description: Number of entries in the share's top folder.
  returned: success
  type: int
  sample: 12
path:
  description: UNC path that was listed.
  returned: always
  type: str
  sample: \\\\127.0.0.1\\share
seconds:
  description: Time taken by session, tree connect and listing.
  returned: always
  type: float
  sample: 0.2
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.directory.probe import smb_probe


def main():
    module = AnsibleModule(
        argument_spec={
            "server": {"type": "str", "required": True},
            "share": {"type": "str", "required": True},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "port": {"type": "int", "default": 445},
            "timeout": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    probe = smb_probe(p["server"], p["share"], p["username"], p["password"], p["port"], p["timeout"])
    seconds = round(probe["response_ms"] / 1000, 3)
    if probe["state"] != "OK":
        module.fail_json(msg=probe["detail"], path=probe["path"], seconds=seconds)
    module.exit_json(changed=False, path=probe["path"], entries=probe["entries"], seconds=seconds)


if __name__ == "__main__":
    main()
