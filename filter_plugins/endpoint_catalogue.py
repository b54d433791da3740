# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The software catalogue of the PCs (REQUIREMENTS OPS-ENDPT §6-3(3)④⑤, OPS-ONBOARD §6-3(9)): the
catalogue validated and normalised, and the entries a host should have. The decisions live in
plugins/module_utils/endpoint/catalogue.py. Documentation for ansible-doc: endpoint_*.yml beside
this file.
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

from ansible.module_utils.endpoint import catalogue as _catalogue  # noqa: E402


def _raise(name, exc):
    # from None: the problems are the whole message; ansible would append the cause a second time
    raise AnsibleFilterError(f"{name}:\n  " + "\n  ".join(exc.problems)) from None


def endpoint_catalogue(catalogue, segments=None, departments=None):
    try:
        return _catalogue.normalise(catalogue, segments=segments, departments=departments)
    except _catalogue.CatalogueError as exc:
        _raise("endpoint_catalogue", exc)


def endpoint_software_for(catalogue, host_vars, kinds=None, segments=None, departments=None):
    try:
        return _catalogue.software_for(
            catalogue, dict(host_vars or {}), kinds=kinds, segments=segments, departments=departments
        )
    except _catalogue.CatalogueError as exc:
        _raise("endpoint_software_for", exc)


def endpoint_catalogue_select(catalogue, ids, segments=None, departments=None):
    try:
        return _catalogue.select(catalogue, ids, segments=segments, departments=departments)
    except _catalogue.CatalogueError as exc:
        _raise("endpoint_catalogue_select", exc)


def endpoint_software_outcome(entries, results, state="present"):
    try:
        return _catalogue.outcome(entries, results, state)
    except _catalogue.CatalogueError as exc:
        _raise("endpoint_software_outcome", exc)


class FilterModule:
    def filters(self):
        return {
            "endpoint_catalogue": endpoint_catalogue,
            "endpoint_software_for": endpoint_software_for,
            "endpoint_catalogue_select": endpoint_catalogue_select,
            "endpoint_software_outcome": endpoint_software_outcome,
        }
