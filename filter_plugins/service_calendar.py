# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jinja filters over the city's service calendar (group_vars/all/service_calendar.yml).

  {{ jichitai_service_calendar | service_calendar_conflicts('2026-12-13T09:00', '2026-12-13T11:00') }}
      -> findings (severity block|warn, rule, department, ja/en message) for a disruptive window
  {{ jichitai_service_calendar | service_calendar_blocked(start, end, departments=['140300']) }}
  {{ jichitai_service_calendar | service_calendar_blocked(start, end, systems=['収納消込']) }}
      -> by the business systems the work touches: every department's slot on them
  {{ hostvars | service_impact_violations(groups['all'], jichitai_service_calendar) }}
      -> hosts whose jichitai_business_systems / jichitai_service_scope the calendar cannot read
  {{ '2027-05-03' | jp_holiday }}                       -> 憲法記念日 ('' when not a holiday)
  {{ jichitai_service_calendar | service_calendar_day('2026-12-30') }} -> {open: false, closure: 年末年始}

The rules are interpreted by jichitai_ops/service_calendar.py, the same code the work-plan
guard uses, so a playbook that schedules work (a power outage, a patch night) sees what the guard sees.
"""

from __future__ import annotations

import datetime as dt
import functools

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests may import without ansible
    AnsibleFilterError = ValueError

try:
    from jichitai_ops import service_calendar as calendar_mod
    from jichitai_ops.workplan import model as model_mod
except ImportError as exc:  # the filters report it when used
    ENGINE_IMPORT_ERROR = exc
else:
    ENGINE_IMPORT_ERROR = None


def _requires(error, what):
    """The filter, or one that fails with the reason when a library it needs is missing."""

    def wrap(func):
        if error is None:
            return func

        @functools.wraps(func)
        def missing(*_args, **_kwargs):
            raise AnsibleFilterError(f"{func.__name__}: {what} ({error})")

        return missing

    return wrap


def _departments(departments):
    if departments is None:
        return ["all"]
    return [departments] if isinstance(departments, str) else list(departments)


def _names(value):
    return [value] if isinstance(value, str) else value


def service_calendar_conflicts(
    calendar, start, end, disruptive=True, departments=None, support_desk=None, systems=None, sites=None
):
    cal, model = calendar_mod, model_mod
    return cal.evaluate(
        calendar,
        model.parse_time(start),
        model.parse_time(end),
        disruptive=bool(disruptive),
        departments=_departments(departments),
        support_desk=support_desk,
        systems=_names(systems),
        sites=_names(sites),
    )


def service_calendar_blocked(
    calendar, start, end, disruptive=True, departments=None, systems=None, sites=None
):
    return calendar_mod.blocked(
        service_calendar_conflicts(
            calendar, start, end, disruptive, departments, systems=systems, sites=sites
        )
    )


def service_impact_violations(hostvars, hosts, calendar):
    """Hosts whose C(jichitai_business_systems) name a system the calendar does not know, or whose
    C(jichitai_service_scope) is neither C(estate) nor C(site): the guard would refuse their plans."""
    known = set(calendar_mod.systems_index(calendar or {}))
    problems = []
    for name in hosts:
        hv = hostvars.get(name, {})
        systems = hv.get("jichitai_business_systems")
        if systems is not None and not isinstance(systems, (list, tuple)):
            problems.append(_impact_problem(name, "jichitai_business_systems must be a list"))
            systems = []
        for system in systems or []:
            if str(system) not in known:
                problems.append(
                    _impact_problem(
                        name,
                        f"jichitai_business_systems: {system!r} is not a business system of the service"
                        f" calendar ({', '.join(sorted(known))})",
                    )
                )
        scope = hv.get("jichitai_service_scope", "estate")
        if scope not in ("estate", "site"):
            problems.append(
                _impact_problem(name, f"jichitai_service_scope must be estate or site, not {scope!r}")
            )
    return problems


def _impact_problem(name, message):
    return {"check": "service_impact", "source": "inventory", "name": name, "message": message}


def service_calendar_day(calendar, day):
    value = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return calendar_mod.day_info(value, calendar)


def jp_holiday(day, country="JP"):
    value = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return calendar_mod.public_holiday(value, country) or ""


class FilterModule:
    """Service-calendar filters; documented for ansible-doc in <filter name>.yml beside this file."""

    def filters(self):
        needs_engine = _requires(
            ENGINE_IMPORT_ERROR,
            "the jichitai_ops package of this repository is not installed "
            "(make venv, or rebuild the execution environment)",
        )
        return {
            "service_calendar_conflicts": needs_engine(service_calendar_conflicts),
            "service_calendar_blocked": needs_engine(service_calendar_blocked),
            "service_calendar_day": needs_engine(service_calendar_day),
            "service_impact_violations": needs_engine(service_impact_violations),
            "jp_holiday": needs_engine(jp_holiday),
        }
