"""The Jinja environment every report renders with: the report templates beside this file, the work plan's
page layout (_layout.html.j2), HTML autoescaped, undefined names an error, and the report's own filters."""

from __future__ import annotations

import os

from jichitai_ops import jinja_env
from jichitai_ops.workplan.render import md_cell

HERE = os.path.dirname(os.path.abspath(__file__))
LAYOUT_DIR = os.path.join(os.path.dirname(HERE), "workplan", "templates")


def environment(**filters):
    import jinja2

    return jinja_env.environment(
        [os.path.join(HERE, "templates"), LAYOUT_DIR],
        jinja2.select_autoescape(["html.j2"]),
        cell=md_cell,
        **filters,
    )
