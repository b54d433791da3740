#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: transfer_info
short_description: State of an inter-segment file-transfer system - engines, queue, last transfer per route
description:
  - Reads the status of one transfer system. That covers whether its scanning and sanitising engines
    run, how many files wait to be processed, and for each route (segment to segment) when a file last
    got through and when one last failed.
  - Findings for the daily check are derived from it. An engine is down, the queue is longer than
    O(max_queue), or a route has had no successful transfer for O(max_idle_hours) although it had
    one before.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  max_queue:
    description: Files waiting above which the queue is a finding.
    type: int
    default: 20
  max_idle_hours:
    description: Hours without a successful transfer on a route after which it is a finding (0 = never).
    type: float
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - transfer_api
notes:
  - The status path (C(GET /admin/status)) is the lab stand-in's. A product that reports its state
    otherwise needs its own adapter (docs/transfer.md).
attributes:
  platform:
    platforms: posix
    details: Runs on the controller; it reaches the system over HTTPS.
  check_mode:
    support: full
    details: The module only reads, so a check run reports the same as a normal run.
  diff_mode:
    support: N/A
    details: The module only reads; it has nothing to show as a diff.
"""

EXAMPLES = r"""
- name: State of the sanitising transfer
  transfer_info:
    system: internet_lgwan
    api_url: "{{ jichitai_transfer_api_url }}"
    api_key: "{{ jichitai_transfer_api_key }}"
    ca_path: "{{ jichitai_transfer_api_ca_file }}"
    max_idle_hours: 24
  register: xfer
"""

RETURN = r"""
status:
  description: The status as the system reports it.
  returned: always
  type: dict
  sample: {"queue": 0, "engines": {"clamav": "ok", "sanitiser": "ok"},
           "routes": [{"from": "internet", "to": "lgwan", "last_success": "2026-12-06T09:12:00+09:00"}]}
findings:
  description: What the daily check should report, one line each in Japanese (empty when all is well).
  returned: always
  type: list
  elements: str
"""

import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.transfer.accounts import SEGMENT_JA
from ansible.module_utils.transfer.rest import TransferClient, TransferError


def _when(text):
    """An ISO time of the status; one without an offset is the controller's local time."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.astimezone()


def findings(status, max_queue, max_idle_hours, now=None):
    out = []
    for engine, state in sorted((status.get("engines") or {}).items()):
        if state != "ok":
            out.append(f"エンジン {engine} が停止しています（{state}）")
    queue = status.get("queue") or 0
    if queue > max_queue:
        out.append(f"処理待ちのファイルが {queue} 件あります（上限 {max_queue} 件）")
    now = now or datetime.datetime.now().astimezone()
    for route in status.get("routes") or []:
        ends = [SEGMENT_JA.get(route.get(k), route.get(k)) for k in ("from", "to")]
        path = "→".join(map(str, ends))
        last, failure = (_when(route.get(k)) for k in ("last_success", "last_failure"))
        if max_idle_hours and last:
            idle = (now - last).total_seconds() / 3600
            if idle > max_idle_hours:
                out.append(f"経路 {path} は {idle:.0f} 時間、転送に成功していません")
        if failure and (not last or failure > last):
            out.append(f"経路 {path} の直近の転送が失敗しています（{route.get('last_failure')}）")
    return out


def main():
    module = AnsibleModule(
        argument_spec={
            "system": {"type": "str", "required": True},
            "api_url": {"type": "str"},
            "api_key": {"type": "str", "no_log": True},
            "timeout": {"type": "float", "default": 15.0},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "max_queue": {"type": "int", "default": 20},
            "max_idle_hours": {"type": "float", "default": 0},
        },
        required_together=[("api_url", "api_key")],
        supports_check_mode=True,
    )
    p = module.params
    if not p["api_url"]:
        module.fail_json(msg="api_url and api_key are required: the status is read from the system's API")
    try:
        client = TransferClient(
            p["system"], p["api_url"], p["api_key"], p["timeout"], p["validate_certs"], p["ca_path"]
        )
        status = client.status()
    except TransferError as exc:
        module.fail_json(msg=f"転送システム {p['system']} の状態を読めません: {exc}", kind=exc.kind)
    module.exit_json(
        changed=False, status=status, findings=findings(status, p["max_queue"], p["max_idle_hours"])
    )


if __name__ == "__main__":
    main()
