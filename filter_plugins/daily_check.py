# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision layer of the pre-business daily check (業務開始前点検, REQUIREMENTS OPS-DAILY,
OPS-MON): each filter turns what a probe returned into the lines of 日次点検報告 (items with a state
正常/注意/異常/不明/対象外 and what to do). The decisions live in plugins/module_utils/daily/, one file
per concern. Documentation for ansible-doc: daily_check_*.yml beside this file.
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
_PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_MODULE_UTILS = os.path.join(_PROJECT, "plugins", "module_utils")
if _MODULE_UTILS not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(_MODULE_UTILS)

from ansible.module_utils.daily import (  # noqa: E402
    antivirus,
    backup,
    dhcp,
    disk,
    eventlog,
    services,
    summary,
    sweep,
    transfer,
    ups,
)
from ansible.module_utils.daily.common import DailyInputError  # noqa: E402


def _filter(function):
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except DailyInputError as exc:
            raise AnsibleFilterError(f"{function.__name__}: {exc}") from exc

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return run


def daily_check_sweep_items(sweep_result, hostvars, cert_warning_days=30, cert_critical_days=7):
    return sweep.sweep_items(sweep_result, hostvars, cert_warning_days, cert_critical_days)


def daily_check_ups_items(ups_info_results, min_charge=80, min_runtime_s=600, hostvars=None):
    return ups.ups_items(ups_info_results, min_charge, min_runtime_s, hostvars)


def daily_check_dhcp_items(dhcp_info_result, warn_pct=80, crit_pct=95, hostvars=None):
    return dhcp.dhcp_items(dhcp_info_result, warn_pct, crit_pct, hostvars)


def daily_check_radius_items(radius_probe_result, hostvars=None):
    return services.radius_items(radius_probe_result, hostvars)


def daily_check_directory_items(result, hostvars=None):
    return services.directory_items(result, hostvars)


def daily_check_transfer_items(transfer_info_results, hostvars=None):
    return transfer.transfer_items(transfer_info_results, hostvars)


def daily_check_disk_items(disks, warn_pct=85, crit_pct=95, hostvars=None):
    return disk.disk_items(disks, warn_pct, crit_pct, hostvars)


def daily_check_eventlog_items(events_by_host, since=None, harmless_ids=eventlog.DEFAULT_HARMLESS,
                               hostvars=None):
    return eventlog.eventlog_items(events_by_host, since, harmless_ids, hostvars)


def daily_check_av_items(av_export, max_age_days=2, now=None, hostvars=None):
    return antivirus.av_items(av_export, max_age_days, now, hostvars)


def daily_check_backup_items(jobs, max_age_hours=26, now=None, hostvars=None):
    return backup.backup_items(jobs, max_age_hours, now, hostvars)


def daily_check_summary(items):
    return summary.summary(items)


class FilterModule:
    def filters(self):
        return {
            f.__name__: _filter(f)
            for f in (
                daily_check_sweep_items,
                daily_check_ups_items,
                daily_check_dhcp_items,
                daily_check_radius_items,
                daily_check_directory_items,
                daily_check_transfer_items,
                daily_check_disk_items,
                daily_check_eventlog_items,
                daily_check_av_items,
                daily_check_backup_items,
                daily_check_summary,
            )
        }
