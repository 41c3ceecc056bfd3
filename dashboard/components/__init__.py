"""Accessible building blocks: HTML tables, chart = heading + summary + hidden canvas + table,
labelled widgets with a visible focus ring, text fields
with their error message tied to the input, and the announcer writing to the page's live region."""

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
)
from dashboard.components.field import Field, text_field

__all__ = [
    "FOCUS_CSS",
    "PALETTE",
    "Announcer",
    "Field",
    "accessible_chart",
    "html_table",
    "kpi_list",
    "notice",
    "section",
    "styled",
    "text_field",
]
