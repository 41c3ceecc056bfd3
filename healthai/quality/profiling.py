"""Profiling reports and notebook runs, shared by the notebooks, the Dagster profile assets and
the tests.

A source's report is two data-profiling HTML files (fg-data-profiling, the maintained successor
of ydata-profiling), the raw file as read and the rows kept after the contract (coerced,
quarantined and duplicate rows removed), plus one page showing them side by side. Above
`settings.profile_minimal_rows` rows (or 100 columns) the reports run in minimal mode (no
correlations, interactions or duplicate search) so large sources stay fast.
"""

from __future__ import annotations

import glob
import hashlib
import html
import importlib.metadata
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from healthai.pipeline.contract import validate
from healthai.pipeline.readers import RECORD, ReadResult, read_source
from healthai.pipeline.spec import SourceSpec
from healthai.settings import PROJECT_ROOT, get_settings

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
MAX_COLUMNS_FULL = 100


@dataclass
class Frames:
    read: ReadResult
    raw: pd.DataFrame  # as read (numbers recognised), sampled
    normalised: pd.DataFrame  # as read, after the source's normaliser (with `_record`)
    valid: pd.DataFrame  # rows passing the contract, coerced (with `_record`)
    cleaned: pd.DataFrame  # rows passing the contract, coerced, without duplicates
    rejected: list[Any]
    tables: dict[str, pd.DataFrame]


def default_input(spec: SourceSpec) -> Path | None:
    """The newest file of the source: shipped under raw/, else dropped in the landing zone
    (its declared location glob under each)."""
    if "://" in spec.location:
        return None
    settings = get_settings()
    for folder in (settings.raw_dir, settings.landing_dir):
        found = sorted(
            glob.glob(str(folder / spec.location)), key=lambda p: Path(p).stat().st_mtime
        )
        if found:
            return Path(found[-1])
    return None


def _numbers_recognised(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns whose every non-empty value parses as a number become numeric; a column with
    one unparsable value stays text, so the profile shows the defect."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.map(lambda v: isinstance(v, list | dict)).any():
            out[col] = values.map(lambda v: None if v is None else str(v))
            continue
        present = values.dropna()
        present = present[present.astype(str).str.strip() != ""]
        if present.empty:
            continue
        parsed = pd.to_numeric(present, errors="coerce")
        if parsed.notna().all():
            blank = values.map(lambda v: isinstance(v, str) and not v.strip())
            out[col] = pd.to_numeric(values.mask(blank, None), errors="coerce")
    return out


def _profilable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(
        lambda col: col.map(lambda v: str(v) if isinstance(v, list | dict | set) else v)
    )


def load(spec: SourceSpec, path: Path, sample_size: int | None = None) -> Frames:
    """Read `path` with the source's reader, validate it against its contract and clean it
    with its transform, exactly as the pipeline does (nothing is written anywhere)."""
    from datetime import UTC, datetime

    from healthai.pipeline.spec import CleanContext

    result = read_source(path, spec)
    raw = result.frame
    if sample_size and len(raw) > sample_size:
        raw = raw.sample(sample_size, random_state=0).sort_index()
    normalised = spec.normalise(raw.copy())
    validation = validate(normalised, spec.contract, raw)
    valid = validation.valid
    content = [c for c in valid.columns if c != RECORD]
    cleaned = valid[~_profilable(valid[content]).duplicated()] if content else valid
    ctx = CleanContext(spec.name, "0" * 64, datetime.now(UTC))
    tables = spec.transform(valid, ctx) if len(valid) else {}
    return Frames(
        result,
        _numbers_recognised(raw.drop(columns=[RECORD])),
        normalised,
        valid,
        cleaned.drop(columns=[RECORD]),
        validation.rejected,
        tables,
    )


def minimal_mode(frame: pd.DataFrame, threshold: int | None = None) -> bool:
    threshold = get_settings().profile_minimal_rows if threshold is None else threshold
    return len(frame) > threshold or frame.shape[1] > MAX_COLUMNS_FULL


def profile(
    frame: pd.DataFrame, title: str, path: Path, minimal: bool | None = None
) -> dict[str, Any]:
    """Write one data-profiling HTML report; returns what was done and how long it took."""
    from data_profiling import ProfileReport

    minimal = minimal_mode(frame) if minimal is None else minimal
    start = time.perf_counter()
    # Pairwise scatter plots ("interactions") cost 4/5 of a full report's time (33 s of 41 s
    # on the 15 numeric columns of gym_members) for little insight: off.
    extra = {} if minimal else {"interactions": {"continuous": False}}
    report = ProfileReport(
        _profilable(frame), title=title, minimal=minimal, progress_bar=False, **extra
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    report.to_file(path, silent=True)
    return {
        "path": str(path),
        "rows": len(frame),
        "columns": frame.shape[1],
        "minimal": minimal,
        "seconds": round(time.perf_counter() - start, 2),
    }


def side_by_side(source: str, raw: dict[str, Any], cleaned: dict[str, Any], out: Path) -> Path:
    """One page showing the raw and the cleaned report next to each other."""

    def pane(label: str, info: dict[str, Any]) -> str:
        name = html.escape(Path(info["path"]).name)
        mode = "minimal" if info["minimal"] else "full"
        return (
            f"<section><h2>{label}: {info['rows']} rows × {info['columns']} columns "
            f'({mode} profile)</h2><p><a href="{name}">Open {label.lower()} report</a></p>'
            f'<iframe src="{name}" title="{label} profile of {html.escape(source)}"></iframe>'
            "</section>"
        )

    out.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(source)}: raw and cleaned profiles</title><style>"
        "body{font-family:system-ui,sans-serif;margin:0 1rem}main{display:flex;gap:1rem}"
        "section{flex:1;min-width:0}iframe{width:100%;height:85vh;border:1px solid #888}"
        "</style></head><body>"
        f"<h1>{html.escape(source)}: raw file and cleaned rows, side by side</h1><main>"
        + pane("Raw", raw)
        + pane("Cleaned", cleaned)
        + "</main></body></html>",
        encoding="utf-8",
    )
    return out


def write_profiles(
    source: str,
    raw: pd.DataFrame,
    cleaned: pd.DataFrame,
    output_dir: Path | str,
    minimal: bool | None = None,
) -> dict[str, Any]:
    """`<source>_raw.html`, `<source>_cleaned.html` and `<source>_profile.html` (side by side)
    under `output_dir`."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    minimal = minimal_mode(raw) if minimal is None else minimal
    raw_info = profile(
        raw, f"{source}: raw file as read", output_dir / f"{source}_raw.html", minimal
    )
    clean_info = profile(
        cleaned,
        f"{source}: rows kept after the contract",
        output_dir / f"{source}_cleaned.html",
        minimal,
    )
    page = side_by_side(source, raw_info, clean_info, output_dir / f"{source}_profile.html")
    return {"raw": raw_info, "cleaned": clean_info, "page": str(page)}


def notebook_path(source: str) -> Path:
    return NOTEBOOKS_DIR / f"{source}.ipynb"


def report_files(source: str, output_dir: Path) -> list[Path]:
    """What profiling a source leaves in `output_dir`: the executed notebook and the three
    report pages (they show sample rows and frequent values of the file)."""
    pages = [f"{source}_{part}.html" for part in ("raw", "cleaned", "profile")]
    return [output_dir / name for name in [f"{source}.ipynb", *pages]]


def code_version(spec: SourceSpec) -> str:
    """What a source's report is made from besides its data: the notebook, the source's
    declaration (reader options, contract, cleaning), this module and the profiler's version.
    The profile asset's Dagster code version: when it changes, the report is made again."""
    digest = hashlib.sha256(importlib.metadata.version("fg-data-profiling").encode())
    declaration = sys.modules[spec.transform.__module__].__file__
    for path in (notebook_path(spec.name), Path(declaration or ""), Path(__file__)):
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()[:16]


def run_notebook(
    source: str,
    input_path: Path | str | None = None,
    output_dir: Path | str | None = None,
    sample_size: int | None = 5000,
    timeout: int = 600,
    profile: bool = True,
) -> dict[str, Any]:
    """Execute the source's notebook headless with papermill; the executed copy is written as
    `<output_dir>/<source>.ipynb` next to the profiles the notebook writes."""
    import papermill as pm

    output_dir = Path(output_dir or get_settings().reports_dir).resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    executed = output_dir / f"{source}.ipynb"
    start = time.perf_counter()
    pm.execute_notebook(
        str(notebook_path(source)),
        str(executed),
        parameters={
            "source": source,
            "input_path": str(input_path) if input_path else "",
            "sample_size": sample_size or 0,
            "output_dir": str(output_dir),
            "profile": profile,
        },
        # jupyter_client runs a `python3` kernelspec with this interpreter (sys.executable)
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
        execution_timeout=timeout,
    )
    return {
        "notebook": str(executed),
        "page": str(output_dir / f"{source}_profile.html"),
        "seconds": round(time.perf_counter() - start, 2),
    }
