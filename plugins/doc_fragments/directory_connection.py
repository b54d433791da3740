# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LDAPS connection options of the modules that reach Active Directory (inventory jichitai_ldap_*).
Argument spec: module_utils/directory/specs.py DIRECTORY_CONNECTION."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  ldap_url:
    description: C(ldaps://host:port) of a domain controller. Plain LDAP is refused.
    type: str
    required: true
  ldap_bind_dn:
    description: Account used to bind (DN or user principal name).
    type: str
    required: true
  ldap_bind_password:
    description: Its password.
    type: str
    required: true
  ldap_ca_file:
    description: CA certificate file; the LDAPS server certificate is always verified against it.
    type: path
    required: true
  ldap_base_dn:
    description: Base DN of the domain.
    type: str
    required: true
"""
