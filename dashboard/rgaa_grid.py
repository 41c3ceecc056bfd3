"""The RGAA 4.1 audit grid kept in the repository (docs/accessibilite/grille-rgaa.json): the
106 criteria with, for each, whether it applies, its result and how it is verified (the
automated tests that check it, or a manual procedure and its last result). The conformance
rate and the state the accessibility statement declares are computed from it here, so the
statement (dashboard/pages/accessibilite.py) never says more than the grid."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

GRID = Path(__file__).resolve().parents[1] / "docs" / "accessibilite" / "grille-rgaa.json"


@lru_cache
def grid() -> dict[str, Any]:
    return json.loads(GRID.read_text(encoding="utf-8"))


def summary(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Counts, the rate (criteria met / applicable criteria, RGAA's method) and the state:
    totalement conforme (100 %), partiellement conforme (50 % or more), non conforme."""
    data = data or grid()
    criteria = data["criteria"]
    applicable = [c for c in criteria if c["applicable"]]
    met = [c for c in applicable if c["result"] == "C"]
    rate = round(100 * len(met) / len(applicable), 1) if applicable else 100.0
    state = "totale" if rate == 100 else "partielle" if rate >= 50 else "non"
    return {
        "criteria": len(criteria),
        "applicable": len(applicable),
        "met": len(met),
        "not_met": [c for c in applicable if c["result"] != "C"],
        "not_applicable": len(criteria) - len(applicable),
        "rate": rate,
        "state": state,
        "audited": data["audited"],
        "automated": sum(1 for c in applicable if c["verification"].get("tests")),
    }
