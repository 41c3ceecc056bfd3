"""The notebook convention: what a notebook of the analyses folder declares becomes an asset
with the right key and dependencies; a wrong declaration becomes an asset that says why."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from assets.lab import build_lab_assets, published_key
from healthai.lab import notebooks
from tests.lab.notebook_files import parameters, write_notebook


def _asset(folder: Path, output: str) -> dg.AssetsDefinition:
    found = {a.key: a for a in build_lab_assets(folder)}
    return found[dg.AssetKey(["lab", output])]


def test_a_notebook_dropped_in_the_folder_becomes_an_asset(tmp_path: Path) -> None:
    write_notebook(tmp_path, "plans", parameters(["users", "app_sessions"], "plan_counts"), "x = 1")
    asset = _asset(tmp_path, "plan_counts")
    deps = {d.asset_key for d in asset.specs_by_key[asset.key].deps}
    assert deps == {published_key("users"), published_key("app_sessions")}
    assert asset.group_names_by_key[asset.key] == "analyses"
    assert "A test analysis" in (asset.descriptions_by_key[asset.key] or "")
    condition = asset.automation_conditions_by_key[asset.key]
    assert condition is not None and "eager" in condition.get_label().lower()


def test_reads_may_name_the_lab_assets_and_other_notebooks(tmp_path: Path) -> None:
    write_notebook(tmp_path, "a", parameters(["features"], "first"), "x = 1")
    write_notebook(tmp_path, "b", parameters(["first", "snapshot"], "second"), "x = 1")
    asset = _asset(tmp_path, "second")
    deps = {d.asset_key for d in asset.specs_by_key[asset.key].deps}
    assert deps == {dg.AssetKey(["lab", "first"]), dg.AssetKey(["lab", "snapshot"])}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (None, "exactly one cell tagged `parameters`"),
        ("reads = ['users']\noutput = 'Bad Name'\noutput_path = None", "lower-case name"),
        ("reads = 'users'\noutput = 'x'\noutput_path = None", "`reads` must be a list"),
        ("reads = sorted(['users'])\noutput = 'x'\noutput_path = None", "literal value"),
        ("reads = ['users']\noutput = 'x'", "output_path = None"),
        ("reads = ['users']\noutput = 'x'\nas_of = 'latest'\noutput_path = None", "`as_of`"),
        ("reads = ['users'\n", "does not parse"),
    ],
)
def test_a_wrong_declaration_is_reported(tmp_path: Path, source: str | None, problem: str) -> None:
    path = write_notebook(tmp_path, "broken", source, "x = 1")
    found = notebooks.read(path)
    assert any(problem in p for p in found.problems), found.problems
    # still an asset (the mistake shows in Dagster), named after the file
    asset = build_lab_assets(tmp_path)[0]
    assert problem.split("`")[0] in (asset.descriptions_by_key[asset.key] or "")
    assert "Not runnable" in (asset.descriptions_by_key[asset.key] or "")


def test_an_unknown_table_in_reads_is_reported(tmp_path: Path) -> None:
    write_notebook(tmp_path, "n", parameters(["users", "no_such_table"], "n"), "x = 1")
    asset = _asset(tmp_path, "n")
    assert "'no_such_table'" in (asset.descriptions_by_key[asset.key] or "")


def test_two_notebooks_cannot_claim_the_same_output(tmp_path: Path) -> None:
    write_notebook(tmp_path, "one", parameters(["users"], "shared"), "x = 1")
    write_notebook(tmp_path, "two", parameters(["users"], "shared"), "x = 1")
    assets = {a.key.path[-1]: a for a in build_lab_assets(tmp_path)}
    assert set(assets) == {"shared", "two"}
    assert "already declared by one.ipynb" in (
        assets["two"].descriptions_by_key[assets["two"].key] or ""
    )


def test_checkpoints_and_other_files_are_not_notebooks(tmp_path: Path) -> None:
    write_notebook(tmp_path, "real", parameters(["users"], "real"), "x = 1")
    write_notebook(tmp_path / ".ipynb_checkpoints", "real-checkpoint", parameters([], "c"), "x")
    (tmp_path / "notes.md").write_text("not a notebook")
    assert [a.key.path[-1] for a in build_lab_assets(tmp_path)] == ["real"]


def test_the_shipped_analyses_follow_the_convention() -> None:
    found = notebooks.discover(Path(__file__).resolve().parents[2] / "notebooks" / "analyses")
    assert {nb.output for nb in found} >= {"engagement_by_plan", "baseline_weight_change"}
    assert all(not nb.problems for nb in found), [nb.problems for nb in found]
