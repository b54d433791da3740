"""Jinja filters over the city's service calendar (group_vars/all/service_calendar.yml).

  {{ jichitai_service_calendar | service_calendar_conflicts('2026-12-13T09:00', '2026-12-13T11:00') }}
      -> findings (severity block|warn, rule, department, ja/en message) for a disruptive window
  {{ jichitai_service_calendar | service_calendar_blocked(start, end, departments=['140300']) }}
  {{ '2027-05-03' | jp_holiday }}                       -> 憲法記念日 ('' when not a holiday)
  {{ jichitai_service_calendar | service_calendar_day('2026-12-30') }} -> {open: false, closure: 年末年始}

The rules are interpreted by plugins/module_utils/workplan_calendar.py, the same code the work-plan
guard uses, so a playbook that schedules work (a power outage, a patch night) sees what the guard sees.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
import types


def _calendar_module():
    if "jichitai_workplan" not in sys.modules:
        pkg = types.ModuleType("jichitai_workplan")
        pkg.__path__ = [
            os.path.join(
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "module_utils"
            )
        ]
        sys.modules["jichitai_workplan"] = pkg
    return importlib.import_module("jichitai_workplan.workplan_calendar")


def _model_module():
    _calendar_module()
    return importlib.import_module("jichitai_workplan.workplan_model")


def _departments(departments):
    if departments is None:
        return ["all"]
    return [departments] if isinstance(departments, str) else list(departments)


def service_calendar_conflicts(calendar, start, end, disruptive=True, departments=None, support_desk=None):
    cal, model = _calendar_module(), _model_module()
    return cal.evaluate(
        calendar,
        model.parse_time(start),
        model.parse_time(end),
        disruptive=bool(disruptive),
        departments=_departments(departments),
        support_desk=support_desk,
    )


def service_calendar_blocked(calendar, start, end, disruptive=True, departments=None):
    return _calendar_module().blocked(
        service_calendar_conflicts(calendar, start, end, disruptive, departments)
    )


def service_calendar_day(calendar, day):
    value = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return _calendar_module().day_info(value, calendar)


def jp_holiday(day, country="JP"):
    value = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    return _calendar_module().public_holiday(value, country) or ""


class FilterModule:
    def filters(self):
        return {
            "service_calendar_conflicts": service_calendar_conflicts,
            "service_calendar_blocked": service_calendar_blocked,
            "service_calendar_day": service_calendar_day,
            "jp_holiday": jp_holiday,
        }
