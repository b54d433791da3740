# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the department OUs are in the directory (with the directory_connection fragment).
Argument spec: module_utils/directory/specs.py DEPARTMENTS_OU."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  departments_ou:
    description: OU holding one OU per department code, relative to I(ldap_base_dn).
    type: str
    default: OU=Departments
"""
