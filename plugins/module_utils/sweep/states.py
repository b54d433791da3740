# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nagios-style states of a liveness check and of a target (its worst check)."""

from __future__ import annotations

OK, WARNING, CRITICAL, UNKNOWN = "OK", "WARNING", "CRITICAL", "UNKNOWN"
CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}
# worst first when a target folds its checks: a check that is down outweighs one that cannot be run
SEVERITY = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}


def worst(states) -> str:
    states = list(states)
    return max(states, key=SEVERITY.__getitem__) if states else UNKNOWN
