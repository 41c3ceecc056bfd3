"""See the package docstring. Every chart's numbers come from one DataFrame: the summary
sentence, the plot and the table are all computed from it, so they cannot disagree."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.custom import JSComponent

from dashboard.components.chart import Series, svg_chart
from dashboard.i18n import t

# Paul Tol's "bright" qualitative scheme: distinguishable with the common colour-vision
# deficiencies; used with labels and tables, never as the only carrier of meaning.
PALETTE = ["#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"]

# Panel/Bokeh widgets (selects) live in shadow roots of their own: this sheet gives them the
# page's type size, a 3:1 border and the visible focus ring (WCAG 1.4.11, 1.4.4; RGAA 3.3, 10.7).
FOCUS_CSS = """
:host *:focus-visible, :host *:focus { outline: 3px solid #0b3d91 !important; outline-offset: 2px; }
:host { font-size: 1rem; --font-size: 1rem; }
label, .bk-input-group label { color: #1a1a1a; font-weight: 600; font-size: 1rem; }
select, input, textarea, .bk-input { font-size: 1rem !important; color: #1a1a1a;
  border: 1px solid #767676 !important; background-color: #ffffff; min-height: 2.25rem; }
"""

CONTENT_CSS = (Path(__file__).parents[1] / "templates" / "content.css").read_text(encoding="utf-8")


def styled(widget: Any) -> Any:
    """Give a Panel/Bokeh widget the visible focus ring (its styles live in a shadow root)."""
    widget.stylesheets = [*widget.stylesheets, FOCUS_CSS]
    if widget.width and widget.sizing_mode in (None, "fixed"):
        # reflow at 320 px: never wider than the screen, up to the width asked for
        widget.param.update(max_width=widget.width, width=None, sizing_mode="stretch_width")
    return widget


def _html(body: str, **kwargs: Any) -> pn.pane.HTML:
    return pn.pane.HTML(body, stylesheets=[CONTENT_CSS], sizing_mode="stretch_width", **kwargs)


class Html(str):
    """Text already written as safe HTML (escaped parts, `<span lang>` marks): a table cell
    shows it as is."""


def _cell(value: Any) -> tuple[str, bool]:
    if isinstance(value, Html):
        return str(value), False
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—", False
    if isinstance(value, bool):
        return escape(str(value)), False
    if isinstance(value, int | float):
        return escape(str(value)), True
    return escape(str(value)), False


def table_html(
    frame: pd.DataFrame,
    caption: str,
    labels: dict[str, str] | None = None,
    langs: dict[str, str] | list[dict[str, str]] | None = None,
) -> str:
    """A semantic table: caption, column headers with scope, the first column as row headers.
    Its wrapper scrolls sideways on a narrow screen; the page's `hai-scroll` element makes
    the table itself a tab stop (named by its caption) only while it overflows, so a keyboard
    can scroll it and no table is a needless stop. `langs` marks cells holding data in
    another language than the page's (RGAA 8.7): {column: lang} for every row, or one such
    dict per row."""
    labels = labels or {}
    cols = list(frame.columns)
    head = "".join(f'<th scope="col">{escape(labels.get(c, str(c)))}</th>' for c in cols)
    body = []
    for n, row in enumerate(frame.itertuples(index=False)):
        row_langs = (langs[n] if n < len(langs) else {}) if isinstance(langs, list) else langs
        cells = []
        for i, value in enumerate(row):
            text, numeric = _cell(value)
            lang = (row_langs or {}).get(cols[i])
            attr = f' lang="{escape(lang)}"' if lang and not numeric and text != "—" else ""
            if i == 0:
                cells.append(f'<th scope="row"{attr}>{text}</th>')
            else:
                cls = ' class="num"' if numeric else ""
                cells.append(f"<td{cls}{attr}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<hai-scroll><table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></hai-scroll>"
    )


def html_table(
    frame: pd.DataFrame,
    caption: str,
    labels: dict[str, str] | None = None,
    empty: str = "",
    langs: dict[str, str] | list[dict[str, str]] | None = None,
) -> pn.pane.HTML:
    return _html(table_or_notice(frame, caption, labels, empty, langs))


def table_or_notice(
    frame: pd.DataFrame,
    caption: str,
    labels: dict[str, str] | None = None,
    empty: str = "",
    langs: dict[str, str] | list[dict[str, str]] | None = None,
) -> str:
    if frame.empty:
        return f'<p class="notice">{escape(empty or caption)}</p>'
    return table_html(frame, caption, labels, langs)


def section(title: str, summary: str = "", level: int = 2) -> pn.pane.HTML:
    p = f"<p>{escape(summary)}</p>" if summary else ""
    return _html(f"<h{level}>{escape(title)}</h{level}>{p}")


def notice(text: str, error: bool = False) -> pn.pane.HTML:
    cls = "notice error" if error else "notice"
    return _html(f'<p class="{cls}">{escape(text)}</p>')


def kpi_list(items: list[tuple[str, str]], caption: str) -> pn.pane.HTML:
    """Key figures as a list (label, value); readable in order by a screen reader."""
    lis = "".join(
        f'<li><span class="label">{escape(k)}</span> <span class="value">{escape(v)}</span></li>'
        for k, v in items
    )
    return _html(f'<ul class="kpis" aria-label="{escape(caption)}">{lis}</ul>')


def accessible_chart(
    title: str,
    summary: str,
    frame: pd.DataFrame,
    x: str,
    y: str | list[Series],
    labels: dict[str, str],
    table_caption: str,
    kind: str = "bar",
    level: int = 2,
    lang: str = "fr",
    table: pd.DataFrame | None = None,
) -> pn.pane.HTML:
    """Heading + one-sentence summary + the chart (an SVG picture whose text alternative is
    the title and the summary, pointing at the table) + the same numbers as a table, in one
    pane. `y` is a column, or several series; `table` replaces `frame` in the table when the
    table shows the numbers differently written (French thousands, labels)."""
    series = [Series(y, labels.get(y, y))] if isinstance(y, str) else y
    parts = [f"<h{level}>{escape(title)}</h{level}>", f"<p>{escape(summary)}</p>"]
    if not frame.empty:
        hint = t("chart_alt_hint", lang, caption=table_caption)
        label = f"{title}. {summary} {hint}"
        y_label = series[0].label if len(series) == 1 else labels.get("value", "")
        svg = svg_chart(frame, x, series, kind, labels.get(x, x), y_label, label, lang)
        parts.append(f'<div class="chart-picture">{svg}</div>')
    shown = frame if table is None else table
    if not shown.empty:  # without data, the summary says so
        parts.append(table_html(shown, table_caption, labels))
    return _html("".join(parts), css_classes=["chart"])


class Announcer(JSComponent):
    """Writes `message` into the template's light-DOM live region (#annonces), so screen
    readers announce status changes; renders nothing visible itself."""

    message = param.String(default="")

    _esm = """
    export function render({ model }) {
      const say = () => {
        const region = document.getElementById("annonces");
        if (!region) return;
        region.textContent = "";
        setTimeout(() => { region.textContent = model.message; }, 50);
      };
      model.on("message", say);
      const span = document.createElement("span");
      span.hidden = true;
      return span;
    }
    """

    def say(self, text: str) -> None:
        # Re-announcing the same text still triggers the region.
        if self.message == text:
            self.message = ""
        self.message = text
