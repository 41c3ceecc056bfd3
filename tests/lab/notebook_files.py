"""Notebooks written by the tests into a folder of analyses, as a data scientist would save
them from JupyterLab."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def write_notebook(
    folder: Path,
    name: str,
    parameters: str | None,
    *cells: str,
    title: str = "A test analysis",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = [new_markdown_cell(f"# {title}\n\nWhat it does.")]
    if parameters is not None:
        body.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    body += [new_code_cell(c) for c in cells]
    nb = new_notebook(cells=body)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def parameters(reads: list[str], output: str) -> str:
    return f"reads = {reads!r}\noutput = {output!r}\nas_of = None\noutput_path = None\n"


# A notebook that reads two published tables through healthai.lab and writes a summary.
PLAN_COUNTS = (
    "from healthai import lab\n"
    "db = lab.connect()\n"
    "users = db.table('users', as_of=as_of)\n"
    "sessions = db.table('app_sessions', as_of=as_of)",
    "summary = users.groupby('plan_tier').size().rename('people').reset_index()\n"
    "summary['sessions'] = len(sessions)\n"
    "summary['as_of'] = as_of\n"
    "summary['reader'] = db.principal.username",
    "lab.save_output(summary, output_path, metrics={'people': int(len(users))})",
)
