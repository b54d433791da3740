# Argument-spec pieces of the modules that reach Active Directory, each the options of one documentation
# fragment (plugins/doc_fragments/<name>.py), merged into a module's argument_spec as community.general's
# module_utils/ldap.py gen_specs does.
from __future__ import annotations

from ansible.module_utils.directory.ldap import LdapDirectory

# doc fragment directory_connection (inventory jichitai_ldap_*)
DIRECTORY_CONNECTION = {
    "ldap_url": {"type": "str", "required": True},
    "ldap_bind_dn": {"type": "str", "required": True},
    "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
    "ldap_ca_file": {"type": "path", "required": True},
    "ldap_base_dn": {"type": "str", "required": True},
}

# doc fragment departments_ou
DEPARTMENTS_OU = {
    "departments_ou": {"type": "str", "default": "OU=Departments"},
}


def ldap_directory(params, **kwargs):
    """The directory a module's DIRECTORY_CONNECTION options name (not connected yet)."""
    return LdapDirectory(
        params["ldap_url"],
        params["ldap_bind_dn"],
        params["ldap_bind_password"],
        params["ldap_ca_file"],
        params["ldap_base_dn"],
        **kwargs,
    )
