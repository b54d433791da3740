# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The organisation masters of a personnel transfer: the current one and a reorganisation's.
Argument spec: module_utils/hr_transfer/specs.py ORGANISATION_MASTERS."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  organisation:
    description:
      - The current organisation master as variables (C(jichitai_departments),
        C(jichitai_org_manager_titles), C(jichitai_org_retiree_ou)).
    type: dict
    required: true
  organisation_next:
    description:
      - The organisation master in force after the effective date (a reorganisation, 機構改革).
        Omit when the organisation does not change. Departments list C(predecessors) to name the
        departments they replace.
    type: dict
"""
