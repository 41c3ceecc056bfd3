"""Snapshots: the consolidated dataset of one dataset version, written as Parquet with a
manifest and a datasheet, so that a model can be trained again on exactly the same data.

    var/snapshots/v000042/
        <table>.parquet      every published table as of version 42, pseudonymised as the
                             exports are, rows in a fixed order (by pseudonym)
        manifest.json        version, when it was made, batches included, rows, SHA-256 and
                             schema of every file, quality scores, erasures
        datasheet.md         what the data is, where it comes from, how it was cleaned, known
                             gaps and biases, licences (healthai.lab.datasheet)

A snapshot is a cache of `as_of` reads: written again for the same version, it holds the same
rows in the same order and its files have the same checksums, however many publications and
rollbacks happened since. Erasure is the exception: `forget_user` rewrites every stored
snapshot without the person and the manifest records it (and a snapshot written after an
erasure never had the person).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthai import privacy
from healthai.lab.reading import CONSOLIDATED, frame_of, pseudonymise, rows_as_of, table_of
from healthai.models import Batch, DatasetVersion, Source
from healthai.models.quality import QUALITY_DIMENSIONS
from healthai.pipeline import versions
from healthai.quality.read import newest_snapshots
from healthai.settings import Settings

MANIFEST = "manifest.json"
DATASHEET = "datasheet.md"
FORMAT = 1  # of the manifest


def root(settings: Settings) -> Path:
    return settings.var_dir / "snapshots"


def folder(settings: Settings, version: int) -> Path:
    return root(settings) / f"v{version:06d}"


def stored(settings: Settings) -> list[int]:
    """Versions with a complete snapshot on disk, oldest first."""
    base = root(settings)
    found = (
        [int(p.name[1:]) for p in base.glob("v[0-9]*") if (p / MANIFEST).is_file()]
        if base.is_dir()
        else []
    )
    return sorted(found)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_table(frame: pd.DataFrame, path: Path) -> dict[str, Any]:
    """Parquet with a schema of its own (no pandas index, no writer timestamp), so that the
    same rows always give the same bytes."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=False)
    return {
        "file": path.name,
        "rows": len(frame),
        "sha256": _sha256(path),
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
    }


def batches_in(session: Session, version: int) -> list[dict[str, Any]]:
    """The batches whose rows make up `version`."""
    rows = session.execute(
        select(
            Batch.id,
            Source.name,
            Batch.published_version,
            Batch.published_at,
            Batch.source_sha256,
            Batch.rows_by_table,
        )
        .join(Source, Source.id == Batch.source_id)
        .where(
            Batch.published_version <= version,
            or_(Batch.rolled_back_version.is_(None), Batch.rolled_back_version > version),
        )
        .order_by(Batch.id)
    ).all()
    return [
        {
            "batch": r.id,
            "source": r.name,
            "published_version": r.published_version,
            "published_at": r.published_at.isoformat() if r.published_at else None,
            "source_sha256": r.source_sha256,
            "rows_by_table": r.rows_by_table,
        }
        for r in rows
    ]


def quality_at(session: Session, version: int) -> dict[str, dict[str, Any]]:
    """Each source's latest quality evaluation measured before the next version was made
    (while `version` was the latest)."""
    following = session.scalar(
        select(DatasetVersion.at).where(DatasetVersion.version == version + 1)
    )
    rows = newest_snapshots(session, following)
    return {
        name: {
            "evaluation": s.id,
            "measured_at": s.measured_at.isoformat(),
            "score": s.score,
            **{d: getattr(s, d) for d in QUALITY_DIMENSIONS},
        }
        for s, name in rows
    }


def _erasures(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(DatasetVersion.version, DatasetVersion.at)
        .where(DatasetVersion.kind == "erasure")
        .order_by(DatasetVersion.version)
    ).all()
    return [{"version": v, "at": at.isoformat()} for v, at in rows]


def write(session: Session, settings: Settings, version: int | None = None) -> dict[str, Any]:
    """Write the snapshot of `version` (None: the latest) and return its manifest. An existing
    snapshot of that version is replaced, atomically (a reader sees the old or the new)."""
    from healthai.lab import datasheet

    version = versions.current(session) if version is None else version
    made_at = versions.made_at(session, version)
    target = folder(settings, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        tables: dict[str, Any] = {}
        frames: dict[str, pd.DataFrame] = {}
        for name in CONSOLIDATED:
            frame = pseudonymise(
                frame_of(session, rows_as_of(session, name, version)), table_of(name), settings
            )
            frames[name] = frame
            tables[name] = _write_table(frame, work / f"{name}.parquet")
        erasures = _erasures(session)
        manifest = {
            "format": FORMAT,
            "dataset_version": version,
            "made_at": made_at.isoformat() if made_at else None,
            "written_at": datetime.now(UTC).isoformat(),
            "pseudonymised": True,
            "tables": tables,
            "batches": batches_in(session, version),
            "quality": quality_at(session, version),
            "erasures": {
                "before_this_version": sum(e["version"] <= version for e in erasures),
                "since_this_version": [e for e in erasures if e["version"] > version],
                "note": "An erased person is absent from every version, this one included, "
                "even where this version held them (RGPD right to erasure).",
            },
            "erased_from_files": [],
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str) + "\n")
        (work / DATASHEET).write_text(datasheet.render(session, manifest, frames))
        old = target.with_name(target.name + ".old")
        if target.exists():
            target.rename(old)
        work.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def manifest(settings: Settings, version: int) -> dict[str, Any]:
    path = folder(settings, version) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"no snapshot of version {version} in {path.parent}")
    return json.loads(path.read_text())


def read(settings: Settings, version: int, verify: bool = True) -> dict[str, pd.DataFrame]:
    """The tables of a stored snapshot; `verify` checks every file against its checksum."""
    info = manifest(settings, version)
    out = {}
    for name, entry in info["tables"].items():
        path = folder(settings, version) / entry["file"]
        if verify and _sha256(path) != entry["sha256"]:
            raise ValueError(f"{path} does not match its checksum in the manifest")
        out[name] = pd.read_parquet(path)
        out[name].attrs["dataset_version"] = version
    return out


def forget_user(settings: Settings, user_id: int) -> dict[int, dict[str, int]]:
    """Erasure: rewrite every stored snapshot without the person's rows (their user pseudonym)
    and record it in its manifest; returns the rows removed per version and table."""
    target = privacy.pseudonym(settings, user_id)
    removed: dict[int, dict[str, int]] = {}
    for version in stored(settings):
        base = folder(settings, version)
        info = manifest(settings, version)
        counts: dict[str, int] = {}
        for name, entry in info["tables"].items():
            columns = privacy.user_columns(table_of(name))
            if not columns:
                continue
            path = base / entry["file"]
            frame = pd.read_parquet(path)
            keep = pd.Series(True, index=frame.index)
            for column in (c for c in columns if c in frame):
                keep &= frame[column] != target
            if keep.all():
                continue
            counts[name] = int((~keep).sum())
            tmp = path.with_suffix(".tmp")
            info["tables"][name] = _write_table(frame[keep].reset_index(drop=True), tmp)
            info["tables"][name]["file"] = entry["file"]
            tmp.replace(path)
        if counts:
            info["erased_from_files"].append(
                {"at": datetime.now(UTC).isoformat(), "rows_removed": counts}
            )
            (base / MANIFEST).write_text(json.dumps(info, indent=1, default=str) + "\n")
            removed[version] = counts
    return removed


def prune(settings: Settings, keep: int) -> list[int]:
    """Remove all but the `keep` newest snapshots (any of them can be written again from its
    version); returns the versions removed."""
    versions_on_disk = stored(settings)
    gone = versions_on_disk[:-keep] if keep > 0 else versions_on_disk
    for version in gone:
        shutil.rmtree(folder(settings, version), ignore_errors=True)
    return gone
