"""Charts as static SVG pictures drawn on the server with Matplotlib, each with a text
alternative: `role="img"`, an `aria-label` holding the chart's title and one-sentence summary,
and a reference to the data table that follows it (its detailed description, RGAA 1.6).

Why not Bokeh's canvas (hvPlot's default): a Bokeh plot is a `<canvas>` with no text
alternative plus an events layer that is an unnamed tab stop with a 1 px dotted focus ring at
2.77:1; none of its interactive tools are used here. A picture made on the server has no
tab stop, no script, the same look on every browser, and prints."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import escape

import pandas as pd

from dashboard.i18n import fmt_num

INK = "#1a1a1a"
GRID = "#c8c8c8"
# Paul Tol's "bright" blue (4.6:1 on white) for the data; the comparison series is dark grey
# and dashed, so the two never differ by colour alone.
MAIN = "#4477AA"
OTHER = "#595959"


@dataclass(frozen=True)
class Series:
    column: str
    label: str
    color: str = MAIN
    dashed: bool = False


def _figure():  # noqa: ANN202
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.1), dpi=96)
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(INK)
    ax.tick_params(colors=INK, labelsize=10)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _svg(fig, label: str) -> str:  # noqa: ANN001
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "healthai"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r"<title>.*?</title>", "", text, flags=re.S)
    # responsive: as wide as its container, never wider than drawn
    return re.sub(
        r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"',
        lambda m: (
            f'<svg{m[1]} role="img" aria-label="{escape(label)}" focusable="false" '
            f'class="chart-svg" style="max-width:{float(m[2]) * 4 / 3:.0f}px"'
        ),
        text,
        count=1,
    )


def svg_chart(
    frame: pd.DataFrame,
    x: str,
    series: list[Series],
    kind: str,
    xlabel: str,
    ylabel: str,
    label: str,
    lang: str = "fr",
) -> str:
    """The chart of `series` against `x` as an SVG element whose text alternative is `label`."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, ax = _figure()
    xs = list(range(len(frame)))
    names = [str(v) for v in frame[x]]
    if kind == "line":
        for s in series:
            values = pd.to_numeric(frame[s.column], errors="coerce")
            ax.plot(
                xs,
                values,
                color=s.color,
                linewidth=2.5,
                linestyle=(0, (5, 3)) if s.dashed else "-",
                marker="s" if not s.dashed else "o",
                markersize=4,
                label=s.label,
            )
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _p: names[int(v)] if 0 <= int(v) < len(names) else "")
        )
    else:
        width = 0.8 / max(1, len(series))
        for i, s in enumerate(series):
            values = pd.to_numeric(frame[s.column], errors="coerce").fillna(0)
            offset = (i - (len(series) - 1) / 2) * width
            ax.bar(
                [p + offset for p in xs],
                values,
                width=width,
                color=s.color,
                hatch="//" if s.dashed else None,
                edgecolor="#ffffff" if s.dashed else s.color,
                label=s.label,
            )
        ax.set_xticks(
            xs,
            names,
            rotation=30 if len(names) > 6 else 0,
            ha="right" if len(names) > 6 else "center",
        )
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _p: fmt_num(v, lang, 0 if v == int(v) else 1))
    )
    ax.set_xlabel(xlabel, color=INK, fontsize=11)
    ax.set_ylabel(ylabel, color=INK, fontsize=11)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=10, labelcolor=INK)
    return _svg(fig, label)
