# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Vars plugin: estate-wide policy from the repository's top-level group_vars/.

Every inventory of the project (a city's estate, the lab) shares one policy: the segments of the
α model and their subnets, the SLA targets, the off-hours service calendar (REQUIREMENTS §2).
That policy lives once, in ``group_vars/`` at the top of the repository, and this plugin loads it
for every group of whatever inventory is in use, beneath the inventory's own ``group_vars/`` so a
site (or the lab) overrides what differs.

It reuses the builtin ``host_group_vars`` machinery (same file lookup, caching, vault support)
pointed at the repository root.  Ordering comes from ansible.cfg::

    vars_plugins_enabled = estate_policy, host_group_vars

Ansible calls vars plugins once per inventory source directory and once per playbook directory.
Loading the policy at the playbook stage would put it above the inventory's group_vars, so the
plugin answers only for the first inventory source named on the command line (or in ansible.cfg).
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: estate_policy
short_description: Load the repository's top-level group_vars beneath every inventory
description:
  - Loads YAML files from C(group_vars/) at the top of the repository for every group of the
    inventory in use, exactly as the builtin C(host_group_vars) plugin loads an inventory's own
    C(group_vars/) (same file names, vault support and caching).
  - Enable it before C(host_group_vars) (C(vars_plugins_enabled = estate_policy, host_group_vars))
    so the inventory's group_vars override the estate-wide policy.
  - Answers only for the first inventory source, never for playbook directories, so the policy
    always sits beneath inventory group_vars and is loaded once per run.
  - Host variables are not loaded; C(host_vars/) at the top of the repository is ignored.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
requirements:
  - Enabled in configuration
extends_documentation_fragment:
  - vars_plugin_staging
"""

import os
from pathlib import Path

from ansible import context
from ansible.inventory.group import InventoryObjectType
from ansible.plugins.vars.host_group_vars import VarsModule as HostGroupVarsModule

# plugins/vars/estate_policy.py -> repository root, the directory that holds group_vars/
POLICY_ROOT = str(Path(__file__).resolve().parents[2])


def _first_inventory_dir() -> str | None:
    """Directory of the first inventory source given to the CLI, resolved; None if unknown."""
    try:
        sources = context.CLIARGS.get("inventory") or []
    except AttributeError:  # CLIARGS not initialised (library use)
        sources = []
    if isinstance(sources, str):
        sources = [sources]
    for source in sources:
        if not source or ("," in source and not os.path.exists(source)):
            continue  # host list such as "localhost,"
        if not os.path.isdir(source):
            source = os.path.dirname(source)
        return os.path.realpath(source)
    return None


class VarsModule(HostGroupVarsModule):
    REQUIRES_ENABLED = True
    is_stateless = True

    def get_vars(self, loader, path, entities, cache=True):
        if not isinstance(entities, list):
            entities = [entities]
        first = _first_inventory_dir()
        if first is not None and os.path.realpath(path) != first:
            return {}
        groups = [e for e in entities if getattr(e, "base_type", None) is InventoryObjectType.GROUP]
        if not groups:
            return {}
        return super().get_vars(loader, POLICY_ROOT, groups, cache=cache)
