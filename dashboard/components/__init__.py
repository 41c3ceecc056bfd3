"""Accessible building blocks: HTML tables, chart = heading + summary + SVG picture with its
text alternative + table, labelled widgets with a visible focus ring, action buttons with
their progress and result, text fields with their error message tied to the input, and the
announcer writing to the page's live region."""

from dashboard.components.actions import ActionBar, action
from dashboard.components.base import (
    FOCUS_CSS,
    PALETTE,
    Announcer,
    accessible_chart,
    html_table,
    kpi_list,
    notice,
    section,
    styled,
    table_html,
    table_or_notice,
)
from dashboard.components.chart import Series
from dashboard.components.field import Field, text_field

__all__ = [
    "FOCUS_CSS",
    "PALETTE",
    "ActionBar",
    "Announcer",
    "Field",
    "Series",
    "accessible_chart",
    "action",
    "html_table",
    "kpi_list",
    "notice",
    "section",
    "styled",
    "table_html",
    "table_or_notice",
    "text_field",
]
