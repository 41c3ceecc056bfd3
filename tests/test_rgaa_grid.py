"""The RGAA audit grid is true to the repository: 106 criteria in 13 themes, each applicable
one has a result and a verification, every test it names exists, and the rate the statement
declares is the grid's."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from dashboard.rgaa_grid import grid, summary

ROOT = Path(__file__).resolve().parents[1]
THEMES = {1: 9, 2: 2, 3: 3, 4: 13, 5: 8, 6: 2, 7: 5, 8: 10, 9: 4, 10: 14, 11: 13, 12: 11, 13: 12}


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    }


def test_every_criterion_once() -> None:
    ids = [c["id"] for c in grid()["criteria"]]
    assert len(ids) == len(set(ids)) == 106
    assert Counter(int(i.split(".")[0]) for i in ids) == THEMES


def test_each_applicable_criterion_has_a_result_and_a_verification() -> None:
    for c in grid()["criteria"]:
        assert c["result"] in {"C", "NC", "NA"}, c["id"]
        if c["applicable"]:
            v = c["verification"]
            assert c["result"] in {"C", "NC"}, c["id"]
            assert v.get("tests") or v.get("manual"), c["id"]
            if v.get("manual"):
                assert v.get("last_result"), f"{c['id']}: a manual check without its last result"
        else:
            assert c["result"] == "NA" and c.get("why"), c["id"]


def test_named_tests_exist() -> None:
    missing = []
    for c in grid()["criteria"]:
        for node in c.get("verification", {}).get("tests", []):
            path, _, name = node.partition("::")
            file = ROOT / path
            if not file.is_file() or name not in _tests_in(file):
                missing.append(f"{c['id']}: {node}")
    assert missing == []


def test_rate_and_state_come_from_the_grid() -> None:
    s = summary()
    assert s["met"] + len(s["not_met"]) == s["applicable"]
    assert s["rate"] == round(100 * s["met"] / s["applicable"], 1)
    assert (s["state"] == "totale") == (s["not_met"] == [])
    # the same computation on a grid with one criterion not met
    data = {**grid(), "criteria": [dict(c) for c in grid()["criteria"]]}
    first = next(c for c in data["criteria"] if c["applicable"])
    first["result"] = "NC"
    assert summary(data)["state"] == "partielle" and summary(data)["not_met"] == [first]


def test_the_statement_declares_the_grid() -> None:
    from dashboard.components import Announcer
    from dashboard.pages import accessibilite
    from dashboard.shell import Context

    s = summary()
    html = accessibilite.build(Context("fr", None, Announcer(), "accessibilite")).object
    rate = f"{s['rate']:.1f}".replace(".", ",").replace(",0", "")
    assert f"{rate} %" in html
    assert {"totale": "totalement conforme", "partielle": "partiellement conforme"}.get(
        s["state"], "non conforme"
    ) in html
    assert "mailto:" in html  # a contact means (mandatory)
    assert "ydata" not in html
