"""The landing zone and the immutable raw store: each file kept once, under its content hash."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthai.models import RawFile, Source
from healthai.pipeline.spec import SourceSpec
from healthai.settings import Settings, get_settings


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_files(spec: SourceSpec, settings: Settings | None = None) -> list[Path]:
    """Files for this source: the shipped ones under raw/ and any dropped in the landing zone."""
    settings = settings or get_settings()
    found = sorted(settings.raw_dir.glob(spec.location))
    landing = settings.landing_dir / spec.name
    if landing.is_dir():
        found += sorted(p for p in landing.iterdir() if p.is_file() and not p.name.startswith("."))
    return found


def ensure_source(session: Session, spec: SourceSpec) -> Source:
    source = session.scalar(select(Source).where(Source.name == spec.name))
    if source is None:
        source = Source(name=spec.name)
        session.add(source)
    source.title = spec.title
    source.format = spec.format
    source.location = spec.location
    source.owner = spec.owner
    source.licence = spec.licence
    source.update_frequency = spec.update_frequency
    source.auto_approve = spec.auto_approve or spec.name in get_settings().auto_approved
    session.flush()
    return source


def known_file(session: Session, source: Source, sha256: str) -> RawFile | None:
    return session.scalar(
        select(RawFile).where(RawFile.source_id == source.id, RawFile.sha256 == sha256)
    )


def store(session: Session, source: Source, path: Path, sha256: str) -> RawFile:
    """Copy `path` into the raw store (read-only) and register it."""
    settings = get_settings()
    target_dir = settings.raw_store_dir / source.name
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{sha256}{''.join(path.suffixes[-1:])}"
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o444)
        tmp.replace(target)
    raw = RawFile(
        source_id=source.id,
        sha256=sha256,
        original_name=path.name,
        stored_path=str(target),
        size_bytes=path.stat().st_size,
    )
    session.add(raw)
    session.flush()
    return raw
