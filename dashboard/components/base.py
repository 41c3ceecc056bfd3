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

# Paul Tol's "bright" qualitative scheme: distinguishable with the common colour-vision
# deficiencies; used with labels and tables, never as the only carrier of meaning.
PALETTE = ["#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB"]

FOCUS_CSS = """
:host *:focus-visible, :host *:focus { outline: 3px solid #0b3d91 !important; outline-offset: 2px; }
label, .bk-input-group label { color: #1a1a1a; font-weight: 600; }
.bk-btn { font-size: 1rem; }
.bk-btn-primary { background-color: #0b3d91; border-color: #0b3d91; color: #fff; }
.bk-btn-danger { background-color: #a4161a; border-color: #a4161a; color: #fff; }
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


def _cell(value: Any) -> tuple[str, bool]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—", False
    if isinstance(value, bool):
        return escape(str(value)), False
    if isinstance(value, int | float):
        return escape(str(value)), True
    return escape(str(value)), False


def table_html(frame: pd.DataFrame, caption: str, labels: dict[str, str] | None = None) -> str:
    """A semantic table: caption, column headers with scope, the first column as row headers."""
    labels = labels or {}
    cols = list(frame.columns)
    head = "".join(f'<th scope="col">{escape(labels.get(c, str(c)))}</th>' for c in cols)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for i, value in enumerate(row):
            text, numeric = _cell(value)
            if i == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{escape(caption)}">'
        f"<table><caption>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def html_table(
    frame: pd.DataFrame, caption: str, labels: dict[str, str] | None = None, empty: str = ""
) -> pn.pane.HTML:
    if frame.empty:
        return _html(f'<p class="notice">{escape(empty or caption)}</p>')
    return _html(table_html(frame, caption, labels))


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


def _plot(frame: pd.DataFrame, x: str, y: str, kind: str, xlabel: str, ylabel: str) -> Any:
    import hvplot.pandas  # noqa: F401 - registers .hvplot

    opts = dict(x=x, y=y, height=260, responsive=True, xlabel=xlabel, ylabel=ylabel, toolbar=None)
    data = frame[[x, y]].copy()
    data[x] = data[x].astype(str) if kind == "bar" else data[x]
    if kind == "line":
        plot = data.hvplot.line(color=PALETTE[0], line_width=3, **opts) * data.hvplot.scatter(
            color=PALETTE[0], size=40, marker="square", **opts
        )
    else:
        plot = data.hvplot.bar(color=PALETTE[0], rot=30 if len(data) > 6 else 0, **opts)
    return plot.opts(toolbar=None, default_tools=[], active_tools=[])


def accessible_chart(
    title: str,
    summary: str,
    frame: pd.DataFrame,
    x: str,
    y: str,
    labels: dict[str, str],
    table_caption: str,
    kind: str = "bar",
    level: int = 2,
) -> pn.Column:
    """Heading + one-sentence summary + the chart (canvas hidden from assistive tech, no
    toolbar) + the same numbers as a table."""
    parts: list[Any] = [section(title, summary, level)]
    if not frame.empty:
        parts.append(
            pn.pane.HoloViews(
                _plot(frame, x, y, kind, labels.get(x, x), labels.get(y, y)),
                sizing_mode="stretch_width",
                height=270,
            )
        )
    parts.append(html_table(frame, table_caption, labels, empty=summary))
    return pn.Column(*parts, sizing_mode="stretch_width", css_classes=["chart"])


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
