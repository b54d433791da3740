# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Japanese era dates for the city's documents (the same wording as the work plans).

{{ now() | wareki }}                -> 令和8年12月6日（日）9:53
{{ '2027-04-01' | wareki }}         -> 令和9年4月1日（木）
"""

from __future__ import annotations

import datetime as dt

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

try:
    from jichitai_ops.workplan.wareki import wareki_date, wareki_datetime
except ImportError as exc:  # reported when the filter is used
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None


def wareki(value):
    if ENGINE_IMPORT_ERROR is not None:
        raise AnsibleFilterError(f"wareki: the jichitai_ops package is not installed ({ENGINE_IMPORT_ERROR})")
    if isinstance(value, dt.datetime):
        return wareki_datetime(value)
    if isinstance(value, dt.date):
        return wareki_date(value)
    text = str(value).strip()
    try:
        if len(text) <= 10:
            return wareki_date(dt.date.fromisoformat(text))
        return wareki_datetime(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise AnsibleFilterError(f"wareki: not an ISO date or date-time: {text!r}") from exc


class FilterModule:
    """Japanese era dates; documented for ansible-doc in wareki.yml beside this file."""

    def filters(self):
        return {"wareki": wareki}
