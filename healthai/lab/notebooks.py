"""Notebooks that become Dagster assets: the convention, discovery, and headless runs.

A data scientist drops `<name>.ipynb` into `notebooks/analyses/` (`LAB_NOTEBOOKS_DIR`). Its
cell tagged `parameters` (papermill's convention; JupyterLab: cell tags) declares, as plain
literal assignments:

    reads = ["users", "daily_activity"]  # what it reads: published tables, "features", ...
    output = "steps_by_plan"             # the table it writes (Dagster asset lab/steps_by_plan)
    as_of = None                         # dataset version read (None: Dagster pins the latest)
    output_path = None                   # where lab.save_output writes (set by Dagster)

and optionally `owner = "someone@healthai-coach.fr"`. The first markdown cell describes it.
`assets/lab.py` turns every notebook found into one asset: nothing to register by hand. A
notebook whose declaration is wrong still becomes an asset, which fails with the reason, so
the mistake shows in the Dagster UI instead of breaking the whole code location.

`execute` runs a notebook headless with papermill, writes the executed copy and its HTML
rendering next to its output, and raises `NotebookFailed` (the failing cell, its source and
error) when a cell fails.
"""

from __future__ import annotations

import ast
import json
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import nbformat

NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# What a notebook may declare in its parameters cell, and what Dagster injects.
DECLARED = ("reads", "output", "as_of", "output_path", "owner")
INJECTED = ("as_of", "output_path")
# The environment variable naming the asset a kernel runs for (healthai.lab reads as the
# pipeline then: pseudonymised, logged under that name).
PIPELINE_ENV = "HEALTHAI_LAB_PIPELINE"
_ENVIRON_LOCK = threading.Lock()


@dataclass(frozen=True)
class AnalysisNotebook:
    """One notebook of the analyses folder and what its parameters cell declares."""

    path: Path
    output: str
    reads: tuple[str, ...] = ()
    description: str = ""
    owner: str | None = None
    as_of: int | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.path.stem


class NotebookFailed(Exception):
    """A cell of the notebook raised: which one, its source and the error."""

    def __init__(
        self,
        notebook: Path,
        cell: int | None,
        execution_count: int | None,
        source: str,
        error: str,
        traceback: str,
        html: Path | None,
    ) -> None:
        self.notebook, self.cell, self.execution_count = notebook, cell, execution_count
        self.source, self.error, self.traceback, self.html = source, error, traceback, html
        where = f"cell In [{execution_count}]" if execution_count else f"cell {cell}"
        super().__init__(f"{notebook.name} failed in {where}: {error}")


@dataclass(frozen=True)
class Executed:
    notebook: Path  # the executed copy (.ipynb)
    html: Path
    seconds: float


# ----------------------------------------------------------------------------- convention
def _literals(source: str) -> tuple[dict[str, Any], list[str]]:
    """Top-level `name = <literal>` assignments of a cell, and what could not be read."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return {}, [f"the parameters cell does not parse: {exc.msg} (line {exc.lineno})"]
    values: dict[str, Any] = {}
    problems: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id not in DECLARED:
            continue
        try:
            values[target.id] = ast.literal_eval(value)
        except ValueError:
            problems.append(f"`{target.id}` must be a literal value (a string, a list, None)")
    return values, problems


def _description(nb: nbformat.NotebookNode) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            text = cell.source.strip()
            title, _, rest = text.partition("\n")
            return (title.lstrip("# ").strip() + ("\n\n" + rest.strip() if rest.strip() else ""))[
                :2000
            ]
    return ""


def read(path: Path) -> AnalysisNotebook:
    """What a notebook declares; `problems` lists every violation of the convention."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, not raised
        return AnalysisNotebook(path, path.stem, problems=(f"not a readable notebook: {exc}",))
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        return AnalysisNotebook(
            path,
            path.stem,
            description=_description(nb),
            problems=(
                f"needs exactly one cell tagged `parameters` (found {len(tagged)}): "
                "see docs/data-scientists.md",
            ),
        )
    values, problems = _literals(tagged[0].source)
    output = values.get("output") or path.stem
    reads = values.get("reads", [])
    if not isinstance(output, str) or not NAME.match(output):
        problems.append(f"`output` must be a lower-case name (a-z, 0-9, _), not {output!r}")
        output = path.stem
    if not isinstance(reads, list | tuple) or not all(isinstance(r, str) for r in reads):
        problems.append("`reads` must be a list of names, e.g. ['users', 'daily_activity']")
        reads = []
    if "output_path" not in values:
        problems.append("the parameters cell must define `output_path = None` (Dagster sets it)")
    as_of = values.get("as_of")
    if as_of is not None and (not isinstance(as_of, int) or isinstance(as_of, bool) or as_of < 1):
        problems.append(f"`as_of` must be None or a dataset version (an integer), not {as_of!r}")
        as_of = None
    owner = values.get("owner")
    return AnalysisNotebook(
        path=path,
        output=output,
        reads=tuple(dict.fromkeys(reads)),
        description=_description(nb),
        owner=owner if isinstance(owner, str) else None,
        as_of=as_of,
        problems=tuple(problems),
    )


def discover(folder: Path) -> list[AnalysisNotebook]:
    """Every notebook of `folder` (not its checkpoints), by name; a second notebook declaring
    an output already taken gets a problem instead of a clashing asset."""
    found: list[AnalysisNotebook] = []
    taken: dict[str, str] = {}
    for path in sorted(folder.glob("*.ipynb")) if folder.is_dir() else []:
        nb = read(path)
        if nb.output in taken:
            clash = f"output {nb.output!r} is already declared by {taken[nb.output]}"
            nb = replace(nb, output=path.stem, problems=(*nb.problems, clash))
        if nb.output in taken:  # its file name is someone's output too: nothing to name it
            continue
        taken[nb.output] = path.name
        found.append(nb)
    return found


# ----------------------------------------------------------------------------- running
@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables while a kernel starts (it inherits them), then restore."""
    with _ENVIRON_LOCK:
        before = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def render_html(executed: Path, html: Path) -> Path:
    """The executed notebook as one HTML page (code, outputs, errors)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(executed))
    html.write_text(body, encoding="utf-8")
    return html


def execute(
    nb: AnalysisNotebook,
    out_dir: Path,
    parameters: Mapping[str, Any],
    env: Mapping[str, str],
    timeout_s: int | None = None,
) -> Executed:
    """Run `nb` headless with `parameters` injected and `env` in its kernel's environment;
    the executed copy and its HTML go to `out_dir/<output>.ipynb|.html`."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError, strip_color

    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{nb.output}.ipynb"
    html = out_dir / f"{nb.output}.html"
    start = time.monotonic()
    try:
        with _environ(env):
            pm.execute_notebook(
                str(nb.path),
                str(executed),
                parameters=dict(parameters),
                cwd=str(nb.path.parent),
                kernel_name="python3",
                progress_bar=False,
                execution_timeout=timeout_s,
            )
    except PapermillExecutionError as exc:
        written = executed if executed.exists() else None
        raise NotebookFailed(
            nb.path,
            _source_cell(nb.path, exc.source),
            exc.exec_count,
            exc.source,
            f"{exc.ename}: {strip_color(str(exc.evalue))}",
            strip_color("\n".join(exc.traceback)),
            render_html(written, html) if written else None,
        ) from exc
    render_html(executed, html)
    return Executed(executed, html, round(time.monotonic() - start, 2))


def _source_cell(path: Path, source: str) -> int | None:
    """The 1-based index, among the notebook's code cells, of the cell with `source`."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return code.index(source) + 1 if source in code else None


# ----------------------------------------------------------------------------- outputs
def metrics_path(output_path: Path) -> Path:
    return output_path.with_suffix(".metrics.json")


def read_metrics(output_path: Path) -> dict[str, Any]:
    path = metrics_path(output_path)
    return json.loads(path.read_text()) if path.exists() else {}
