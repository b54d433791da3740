# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the modules that plan from the HR transfer list, besides the directory_connection,
departments_ou and organisation_masters fragments. Argument spec: module_utils/hr_transfer/specs.py
HR_TRANSFER_PLAN."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  hr_list:
    description: Path of the HR transfer list on the controller.
    type: path
    required: true
  effective_date:
    description: Effective date (発令日); defaults to the most frequent date of the list.
    type: str
  effective_dates:
    description:
      - Further dates (C(YYYY-MM-DD)) whose orders belong to this transfer besides I(effective_date).
        An order dated otherwise is an input error; a retirement (退職) may be dated the day before
        any of these dates.
    type: list
    elements: str
    default: []
  account_prefix:
    description: Prefix of the account name before the staff number (C(u) gives C(u123456)).
    type: str
    default: u
  upn_suffix:
    description: User principal name suffix; defaults to the DNS name of I(ldap_base_dn).
    type: str
  kana_attribute:
    description: Attribute that holds the name in kana.
    type: str
    default: msDS-PhoneticDisplayName
  route_groups:
    description:
      - Group per transfer route that the transfer systems read; department staff groups are nested in it.
    type: dict
    default: {internet_lgwan: g-xfer-internet-lgwan, lgwan_mynumber: g-xfer-lgwan-mynumber}
  route_groups_ou:
    description: Container for the route groups when they have to be created, relative to I(ldap_base_dn).
    type: str
    default: CN=Users
"""
