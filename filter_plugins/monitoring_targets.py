# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring configuration built from the inventory: Prometheus scrape jobs, blackbox modules and
the secret files they read (plugins/module_utils/monitoring). Documentation: monitoring_targets.yml."""

from __future__ import annotations

from collections.abc import Mapping

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests run without ansible on the path too
    AnsibleFilterError = ValueError


def _monitoring():
    """The module_utils package, from the folders ansible.cfg names (module_utils): Ansible resolves
    ``ansible.module_utils.<name>`` from them for modules only, not for controller-side filters."""
    import ansible.module_utils
    from ansible import constants as C

    for folder in C.config.get_config_value("DEFAULT_MODULE_UTILS_PATH") or []:
        if folder not in ansible.module_utils.__path__:
            ansible.module_utils.__path__.append(folder)
    from ansible.module_utils.monitoring import targets

    return targets


REQUIRED = ("secrets_dir", "blackbox", "snmp", "snmp_module", "nut_exporter", "kea_exporter", "engines")


def monitoring_targets(sweep: list, hostvars: Mapping, options: Mapping) -> dict:
    """``sweep`` is ``hosts | sweep_targets(hostvars)``; returns the model and its ``scrape_configs``."""
    missing = [key for key in REQUIRED if key not in options]
    if missing:
        raise AnsibleFilterError(f"monitoring_targets: options lack {', '.join(missing)}")
    targets = _monitoring()
    try:
        model = targets.monitoring_model(sweep, hostvars, options)
        model["scrape_configs"] = targets.scrape_configs(model, options)
    except (KeyError, targets.MonitoringError) as exc:
        raise AnsibleFilterError(f"monitoring_targets: {exc}") from exc
    return model


class FilterModule:
    """Monitoring filters."""

    def filters(self):
        return {"monitoring_targets": monitoring_targets}
