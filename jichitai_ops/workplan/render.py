"""Renders 作業計画書 and 作業報告書 as Markdown and HTML (templates/ beside this file) and Excel (.xlsx)."""

from __future__ import annotations

import os

from ..jinja_env import environment
from . import chart
from .model import KINDS, fmt_jp, fmt_minutes
from .presentation import (
    SEVERITY_JA,
    STATE_JA,
    at_offset,
    diff_html,
    impact_basis_text,
    jp_date,
    jp_until,
    listify,
    ordered_entries,
    service_slots_text,
    unified,
)
from .record import HIDDEN
from .report import VERDICTS

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def md_cell(value) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _env(autoescape: bool):
    import markupsafe

    env = environment(
        TEMPLATE_DIR,
        autoescape,
        jp=fmt_jp,
        jp_date=jp_date,
        at_offset=at_offset,
        jp_until=jp_until,
        minutes=fmt_minutes,
        unified=unified,
        diff_html=diff_html,
        cell=md_cell,
        gantt=lambda timeline: markupsafe.Markup(chart.gantt_svg(timeline)),
        listify=listify,
        state_ja=lambda s: STATE_JA.get(s, s),
        severity_ja=lambda s: SEVERITY_JA.get(s, s),
        service_slots_text=service_slots_text,
        impact_basis_text=impact_basis_text,
    )
    env.globals.update(KINDS=KINDS, HIDDEN=HIDDEN, VERDICT_JA={k: v[0] for k, v in VERDICTS.items()})
    return env


def plan_context(plan: dict, plan_digest: str) -> dict:
    changes = ordered_entries(plan["tasks"], "changed")
    unpredictable = ordered_entries(plan["tasks"], "unpredictable")
    return {"plan": plan, "digest": plan_digest, "changes": changes, "unpredictable": unpredictable}


def render_plan(plan: dict, plan_digest: str, fmt: str) -> str:
    return _env(fmt == "html").get_template(f"plan.{fmt}.j2").render(**plan_context(plan, plan_digest))


def render_report(report: dict, fmt: str) -> str:
    return _env(fmt == "html").get_template(f"report.{fmt}.j2").render(report=report)
