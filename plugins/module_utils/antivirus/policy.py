# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate's antivirus definitions policy (jichitai_av_policy), validated whole like the patch
policy: every bad key is named, and nothing is judged from a policy with a problem.

    jichitai_av_policy:
      clause: "§6-3(5)"
      max_age_hours: 48      # definitions older than this are 異常 (and JichitaiAvDefinitionsOld fires)
"""

from __future__ import annotations

from collections.abc import Mapping

KEYS = {"clause", "max_age_hours", "notes"}
MAX_AGE_HOURS = (1, 720, 48)  # lowest, highest, default
DEFAULT_CLAUSE = "§6-3(5)"


class AvPolicyError(ValueError):
    """A policy that cannot be used; problems names every bad key."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def validate(policy) -> dict:
    """The policy with its defaults filled in, or AvPolicyError naming every problem."""
    if policy is None:
        policy = {}
    if not isinstance(policy, Mapping):
        raise AvPolicyError([f"jichitai_av_policy: 辞書にしてください（{policy!r}）"])
    problems = [
        f"{key}: 知らないキーです（{', '.join(sorted(KEYS))} のみ）" for key in sorted(set(policy) - KEYS)
    ]
    low, high, default = MAX_AGE_HOURS
    hours = policy.get("max_age_hours", default)
    if isinstance(hours, bool) or not isinstance(hours, int) or not low <= hours <= high:
        problems.append(f"max_age_hours: {low}〜{high} の整数（時間）にしてください（{hours!r}）")
    clause = policy.get("clause", DEFAULT_CLAUSE)
    if not isinstance(clause, str) or not clause.strip():
        problems.append(f"clause: 条項を文字列で書いてください（{clause!r}）")
    if problems:
        raise AvPolicyError(problems)
    return {"clause": clause.strip(), "max_age_hours": hours, "notes": policy.get("notes")}
