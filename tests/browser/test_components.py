"""Without a browser: every French string has its English twin (rules apart), and an
accessible chart is a heading with its summary, an SVG picture whose text alternative says
what it shows and where its numbers are, and a table with caption and header scopes."""

from __future__ import annotations

import pandas as pd

from dashboard.components import accessible_chart
from dashboard.i18n import STRINGS


def test_every_string_in_both_languages() -> None:
    """(Rules' English sentences come from their registry: tests/test_wording.py.)"""
    french_only = {k for k in STRINGS["fr"] if k.startswith("rule.")}
    assert set(STRINGS["fr"]) - french_only == set(STRINGS["en"])
    assert all(v.strip() for lang in STRINGS.values() for v in lang.values())


def test_chart_has_heading_summary_picture_and_table() -> None:
    frame = pd.DataFrame({"band": ["18-24", "25-34"], "users": [3, 5]})
    chart = accessible_chart(
        "Titre", "Résumé : 8 utilisateurs.", frame, "band", "users", {"band": "Tranche"}, "Légende"
    )
    html = chart.object
    assert html.startswith("<h2>Titre</h2><p>Résumé : 8 utilisateurs.</p>")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'focusable="false"' in svg
    assert (
        'aria-label="Titre. Résumé : 8 utilisateurs. Les valeurs du graphique sont dans le '
        'tableau « Légende » qui suit."' in svg
    )
    assert "<caption>Légende</caption>" in html and '<th scope="col">Tranche</th>' in html
    assert '<th scope="row">25-34</th><td class="num">5</td>' in html
    assert html.index("</svg>") < html.index("<table>")  # the table follows the picture


def test_empty_chart_keeps_its_text() -> None:
    frame = pd.DataFrame({"band": [], "users": []})
    chart = accessible_chart("Titre", "Aucune donnée.", frame, "band", "users", {}, "Légende")
    assert "<svg" not in chart.object and chart.object.count("Aucune donnée.") == 1
