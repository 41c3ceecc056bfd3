"""The landing zone and the immutable raw store: each file kept once, under its content hash.

Hashing is what makes a known file cheap to recognise, so a file is hashed once: its hash is
remembered with its size, modification and change times and inode (`var/file_hashes/`, one
small JSON per folder, like git's index), and a file whose stat has not changed is not read
again. Lose that folder and files are simply hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthai.models import RawFile, Source
from healthai.pipeline.spec import SourceSpec
from healthai.settings import Settings, get_settings


def hash_file(path: Path) -> str:
    """The SHA-256 of the file's bytes (reads the whole file)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _cache_file(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]
    return get_settings().var_dir / "file_hashes" / f"{key}.json"


def _read_cache(cache: Path) -> dict[str, list]:
    try:
        return json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read again only if its size, times or inode changed since it was
    last hashed."""
    path = Path(path)
    stamp = _stamp(path)
    cache = _cache_file(path.parent)
    entries = _read_cache(cache)
    known = entries.get(path.name)
    if known and known[:4] == stamp:
        return known[4]
    sha = hash_file(path)
    if _stamp(path) != stamp or time.time_ns() - stamp[1] < 2_000_000_000:
        return sha  # changed while read, or so recently that a change could hide: not kept
    entries = _read_cache(cache)  # another process may have added entries meanwhile
    entries[path.name] = [*stamp, sha]
    present = {p.name for p in path.parent.iterdir()}
    entries = {name: e for name, e in entries.items() if name in present}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries))
        tmp.replace(cache)
    except OSError:  # a read-only working folder only costs a hash next time
        pass
    return sha


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


def newest_file(session: Session, source_name: str) -> RawFile | None:
    """The source's most recently stored file (what its profile and its freshness read)."""
    return session.scalars(
        select(RawFile)
        .join(Source, Source.id == RawFile.source_id)
        .where(Source.name == source_name)
        .order_by(RawFile.created_at.desc(), RawFile.id.desc())
        .limit(1)
    ).first()


def known_file(session: Session, source: Source, sha256: str) -> RawFile | None:
    """The file already ingested with these bytes: as it came in (`sha256`), or as an erasure
    rewrote it without a person's records (`content_sha256`), so that a landing-zone copy an
    erasure rewrote is not ingested again as a new file."""
    return session.scalar(
        select(RawFile)
        .where(
            RawFile.source_id == source.id,
            or_(RawFile.sha256 == sha256, RawFile.content_sha256 == sha256),
        )
        .order_by(RawFile.id)
        .limit(1)
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
