# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The antivirus definitions policy, validated whole before any engine is touched.

{{ jichitai_av_policy | av_definitions_policy }}  -> {clause, max_age_hours, notes}
{{ engines | av_definitions_engines(found, infos, updates) }}  -> what av_definitions_report takes
{{ rows | av_definitions_alerts(report) }}  -> POST /api/v2/alerts
The decisions live in plugins/module_utils/antivirus/; documentation for ansible-doc: av_definitions_*.yml.
"""

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

from ansible.module_utils.antivirus.engine import AvEngineError, reads  # noqa: E402
from ansible.module_utils.antivirus.policy import AvPolicyError, validate  # noqa: E402
from ansible.module_utils.antivirus.status import alerts  # noqa: E402


def av_definitions_policy(policy):
    try:
        return validate(policy)
    except AvPolicyError as exc:
        raise AnsibleFilterError(
            f"jichitai_av_policy に問題があります（{len(exc.problems)} 件）: " + "; ".join(exc.problems)
        ) from None


def av_definitions_engines(engines, found, infos, updates=None):
    try:
        return reads(engines, found, infos, updates)
    except AvEngineError as exc:
        raise AnsibleFilterError(f"av_definitions_engines: {exc}") from None


def av_definitions_alerts(rows, report=""):
    if not isinstance(rows, list):
        raise AnsibleFilterError("av_definitions_alerts expects the report's rows")
    return alerts(rows, report)


class FilterModule:
    def filters(self):
        return {
            "av_definitions_policy": av_definitions_policy,
            "av_definitions_engines": av_definitions_engines,
            "av_definitions_alerts": av_definitions_alerts,
        }
