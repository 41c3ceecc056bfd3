"""Notebooks: the profile asset runs a source's notebook headless with papermill and writes the
executed notebook and the raw / cleaned profiling reports; every source's notebook runs on a
small input."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from healthai.quality import profiling
from healthai.settings import get_settings
from healthai.sources import SOURCES
from tests.conftest import SHARED_DATASETS
from tests.quality.helpers import materialize_with_quality


@pytest.mark.parametrize("engine", ["sqlite"])
def test_profile_asset_runs_the_notebook_with_papermill(
    engine: str, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    monkeypatch.setenv("REPORTS_DIR", str(reports))
    monkeypatch.setenv("PROFILE_MINIMAL_ROWS", "0")  # minimal mode: the test stays quick
    get_settings.cache_clear()

    result = materialize_with_quality(platform, "gym_members", profile=True)
    assert result.success
    for name in ("gym_members.ipynb", "gym_members_raw.html", "gym_members_cleaned.html"):
        assert (reports / name).stat().st_size > 0, name
    page = (reports / "gym_members_profile.html").read_text()
    assert "gym_members_raw.html" in page and "gym_members_cleaned.html" in page

    executed = nbformat.read(reports / "gym_members.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "gym_members" in injected[0].source
    text = "\n".join(
        o.get("text", "") for c in executed.cells for o in c.get("outputs", []) if "text" in o
    )
    assert "rows in the file: 973" in text and "minimal mode" in text
    assert "23 rows would be quarantined" in text
    meta = result.asset_materializations_for_node("gym_members_profile")[0].metadata
    assert meta["report"].value == str(reports / "gym_members_profile.html")


def _small_input(name: str, tmp_path: Path) -> Path | None:
    spec = SOURCES[name]
    if (path := profiling.default_input(spec)) is not None:
        return path
    if name == "exercisedb":
        return SHARED_DATASETS / "exercisedb" / "exercises.json"
    if name.startswith("sim_"):
        from healthai.simulate import SimConfig, simulate

        out = tmp_path / "sim"
        if not out.exists():
            simulate(SimConfig(users=30, days=40), out)
        files = sorted((out / name).glob("*"))
        return files[0] if files else None
    return None


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_source_has_a_notebook_that_runs(name: str, tmp_path: Path) -> None:
    """The notebook's code, with papermill's parameters injected, runs start to end on a small
    input (in this process, profiles off: the papermill run with profiles is the test above)."""
    path = profiling.notebook_path(name)
    assert path.exists(), f"no notebook for {name}: run notebooks/_build.py"
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for parameter in ("source", "input_path", "sample_size", "output_dir"):
        assert f"{parameter} =" in tagged[0].source
    assert sum(c.cell_type == "markdown" for c in notebook.cells) >= 5

    data = _small_input(name, tmp_path)
    if data is None:
        pytest.skip(f"no small input available for {name}")
    parameters = {
        "source": name,
        "input_path": str(data),
        "sample_size": 60,
        "output_dir": str(tmp_path),
        "profile": False,
    }
    # what papermill injects after the `parameters` cell
    injected = "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    at = cells.index(tagged[0].source) + 1
    cells.insert(at, injected)
    namespace: dict = {}
    for source in cells:
        exec(compile(source, f"{name}.ipynb", "exec"), namespace)  # noqa: S102
    assert namespace["source"] == name
    assert len(namespace["frames"].raw) <= 60
