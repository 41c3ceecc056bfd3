"""ExerciseDB (GitHub `ExerciseDB/exercisedb-api`, AGPL-3.0), read through its REST API.

The data is AGPL: it is never shipped. `fetch()` reads `<EXERCISEDB_URL>/api/v1/exercises`
at run time (both paging shapes, retries, rate limit: healthai.pipeline.http_source) and lands
the records as one JSON file in `<landing>/exercisedb/`; from there the standard pipeline reads,
validates, cleans and stages it like any file. The file's SHA-256 is the lineage fingerprint of
the API response and each row's record key is its position in that file.

Cleaning: mojibake (`45в°`) repaired, `Step:N ` prefixes stripped from instructions, muscles,
equipment and body parts mapped to the canonical vocabulary (healthai.sources.vocabulary), a
target muscle repeated as secondary kept once, exact duplicates under another id quarantined,
and each exercise matched to the same exercise of the published free-exercise-db catalogue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import httpx
import pandas as pd
import pandera.pandas as pa

from healthai.logging import get_logger
from healthai.pipeline.contract import cross_field
from healthai.pipeline.http_source import (
    ApiClient,
    Fetched,
    FetchError,
    HttpPolicy,
    land_response,
    response_bytes,
)
from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.settings import Settings, get_settings
from healthai.sources.vocabulary import body_part_name, equipment_name, muscle_links

log = get_logger("healthai.pipeline")

NAME = "exercisedb"
ENDPOINT = "api/v1/exercises"
MATCH_SOURCE = "free_exercise_db"

# The API's own vocabularies (its bodyparts/equipments/muscles lookups, v1 dataset).
BODY_PARTS = [
    "back", "cardio", "chest", "lower arms", "lower legs", "neck", "shoulders", "upper arms",
    "upper legs", "waist",
]  # fmt: skip
EQUIPMENT = [
    "assisted", "band", "barbell", "body weight", "bosu ball", "cable", "dumbbell",
    "elliptical machine", "ez barbell", "hammer", "kettlebell", "leverage machine",
    "medicine ball", "olympic barbell", "resistance band", "roller", "rope", "skierg machine",
    "sled machine", "smith machine", "stability ball", "stationary bike", "stepmill machine",
    "tire", "trap bar", "upper body ergometer", "weighted", "wheel roller",
]  # fmt: skip
MUSCLES = [
    "abdominals", "abductors", "abs", "adductors", "ankle stabilizers", "ankles", "back",
    "biceps", "brachialis", "calves", "cardiovascular system", "chest", "core", "deltoids",
    "delts", "feet", "forearms", "glutes", "grip muscles", "groin", "hamstrings", "hands",
    "hip flexors", "inner thighs", "lats", "latissimus dorsi", "levator scapulae", "lower abs",
    "lower back", "obliques", "pectorals", "quadriceps", "quads", "rear deltoids", "rhomboids",
    "rotator cuff", "serratus anterior", "shins", "shoulders", "soleus", "spine",
    "sternocleidomastoid", "trapezius", "traps", "triceps", "upper back", "upper chest",
    "wrist extensors", "wrist flexors", "wrists",
]  # fmt: skip

# UTF-8 bytes decoded as CP1251 (then lower-cased): `°` (C2 B0) became `В°` / `в°`.
MOJIBAKE = {"в°": "°", "В°": "°", "вђ™": "'", "вЂ™": "'", "â°": "°", "Â°": "°"}
_MOJIBAKE_LEFT = re.compile(r"в°|вђ|вЂ|Ã.|Â|Ð.")
_STEP_PREFIX = re.compile(r"^\s*step\s*:?\s*\d+\s*[:.)\-]?\s*", re.IGNORECASE)
_VARIANT = re.compile(r"\bv\.?\s*\d+\b")


def repair_text(value: object) -> object:
    if not isinstance(value, str):
        return value
    for bad, good in MOJIBAKE.items():
        value = value.replace(bad, good)
    return " ".join(value.split())


def strip_step(step: str) -> str:
    return _STEP_PREFIX.sub("", step).strip()


def _names(value: object) -> object:
    """A list of vocabulary names, trimmed and lower-cased; anything else is left for the
    contract to reject."""
    if not isinstance(value, list):
        return value
    return [" ".join(v.strip().lower().split()) if isinstance(v, str) else v for v in value]


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    if "name" in frame:
        frame["name"] = frame["name"].map(repair_text)
    if "exerciseId" in frame:
        frame["exerciseId"] = frame["exerciseId"].map(
            lambda v: v.strip() if isinstance(v, str) else v
        )
    for column in ("targetMuscles", "secondaryMuscles", "bodyParts", "equipments"):
        if column in frame:
            frame[column] = frame[column].map(_names)
    return frame


def _content_key(df: pd.DataFrame) -> pd.Series:
    cols = ["name", "targetMuscles", "bodyParts", "equipments", "secondaryMuscles",
            "instructions"]  # fmt: skip
    return df[cols].apply(lambda r: json.dumps(list(r), sort_keys=True, default=str), axis=1)


def _all_in(vocabulary: list[str], min_items: int = 0) -> pa.Check:
    known = set(vocabulary)
    return pa.Check(
        lambda s: s.map(
            lambda v: isinstance(v, list) and len(v) >= min_items and all(x in known for x in v)
        ),
        name="in_vocabulary" if not min_items else f"at_least_{min_items}_known",
        error=f"names outside the ExerciseDB vocabulary (or fewer than {min_items})",
    )


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "exerciseId": pa.Column(str, pa.Check.str_matches(r"^[0-9A-Za-z_-]{1,40}$"), unique=True),
        "name": pa.Column(
            str,
            [
                pa.Check.str_length(1, 200),
                pa.Check(
                    lambda s: ~s.str.contains(_MOJIBAKE_LEFT),
                    name="no_mojibake",
                    error="mis-decoded characters left in the name",
                ),
            ],
        ),
        "targetMuscles": pa.Column(object, _all_in(MUSCLES, 1)),
        "secondaryMuscles": pa.Column(object, _all_in(MUSCLES)),
        "bodyParts": pa.Column(object, _all_in(BODY_PARTS, 1)),
        "equipments": pa.Column(object, _all_in(EQUIPMENT, 1)),
        "instructions": pa.Column(object, nullable=True),
        "gifUrl": pa.Column(str, nullable=True, required=False),
    },
    checks=[
        cross_field(
            "same_exercise_under_another_id",
            ["name"],
            lambda df: ~_content_key(df).duplicated(keep="first"),
            "same name, muscles, equipment and instructions as an earlier record under another id",
        ),
    ],
    strict=False,
    name=NAME,
)


# ------------------------------------------------------------------ cross-catalogue matching
def match_key(name: str) -> str:
    """A normalised exercise name: case, punctuation, `v. 2` variants, plural `s` and word
    order ignored (`Barbell Bench Press` ~ `bench press (barbell)`, `Pushups` ~ `push-up`)."""
    text = str(repair_text(name)).lower().replace("°", " ")
    text = _VARIANT.sub(" ", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in words]  # fmt: skip
    return "".join(sorted(words))


def match_names(names: Iterable[str], catalogue: dict[str, str]) -> list[str | None]:
    """For each name, the code of the catalogue entry (code -> name) with the same match key,
    the smallest code when several share it; None when none does."""
    index: dict[str, str] = {}
    for code, other in sorted(catalogue.items()):
        index.setdefault(match_key(other), code)
    return [index.get(match_key(n)) for n in names]


def published_catalogue(source: str = MATCH_SOURCE) -> dict[str, str]:
    """code -> name of the exercises of `source` already published. A staged row may only
    reference published rows (the audit's `references_resolve`), so the match is made against
    them; an exercise published later is matched at the next fetch that changes the data."""
    from sqlalchemy import select

    from healthai.db import get_engine
    from healthai.models import metadata

    table = metadata.tables["exercises"]
    try:
        with get_engine(get_settings().database_url).connect() as conn:
            rows = conn.execute(
                select(table.c.code, table.c.name).where(table.c.source == source)
            ).all()
    except Exception as exc:  # noqa: BLE001 - no catalogue to match is not an error
        log.warning("match_catalogue_unavailable", error=str(exc))
        return {}
    return {code: name for code, name in rows}


def exercise_type(body_part: str, name: str) -> str:
    if "stretch" in name:
        return "stretching"
    if body_part == "cardio":
        return "cardio"
    return "strength"


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    code = ctx.source + ":" + valid["exerciseId"]
    body_part = valid["bodyParts"].map(lambda v: body_part_name(v[0]))
    exercises = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "code": code,
            "source": ctx.source,
            "source_key": valid["exerciseId"],
            "name": valid["name"],
            "exercise_type": [
                exercise_type(b, n) for b, n in zip(body_part, valid["name"], strict=True)
            ],
            "body_part_key": body_part,
            "equipment_key": valid["equipments"].map(lambda v: equipment_name(v[0])),
            "instructions": valid["instructions"].map(
                lambda steps: (
                    "\n".join(strip_step(s) for s in steps if isinstance(s, str) and s.strip())
                    or None
                    if isinstance(steps, list)
                    else None
                )
            ),
            "same_as_key": match_names(valid["name"], published_catalogue()),
        }
    )
    muscles = muscle_links(valid, code, "targetMuscles", "secondaryMuscles")
    return {"exercises": exercises, "exercise_muscles": muscles}


# ------------------------------------------------------------------ fetching
# 25 per page is the API's documented maximum; 4 requests/s keeps a full read (60 pages)
# polite at ~15 s. Tests replace this with a fast policy.
POLICY = HttpPolicy(page_size=25, requests_per_second=4.0)


def fetch(
    settings: Settings | None = None,
    *,
    policy: HttpPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Fetched | None:
    """Read every exercise from the API into one landing file. None when no URL is configured
    (source disabled); FetchError with a clear message when the API cannot be read."""
    settings = settings or get_settings()
    if not settings.exercisedb_url.strip():
        return None
    url = settings.exercisedb_url.strip()
    with ApiClient(url, policy or POLICY, transport=transport) as client:
        records = client.fetch_all(ENDPOINT)
        if not records:
            raise FetchError(f"{client.base_url}/{ENDPOINT} answered no exercise")
        payload = response_bytes(records, key="exerciseId")
        path, sha, existing = land_response(settings.landing_dir / NAME, NAME, payload)
        return Fetched(path, sha, len(records), client.requests, client.retries, existing)


def off_reason() -> str | None:
    """Off while no API URL is configured: nothing to read (the data is never shipped)."""
    if get_settings().exercisedb_url.strip():
        return None
    return "off: EXERCISEDB_URL is empty (set it to the API's base URL to read ExerciseDB)"


SPEC = SourceSpec(
    name=NAME,
    fetch=fetch,
    off_reason=off_reason,
    title="ExerciseDB exercise catalogue (REST API)",
    format="json",
    # Nothing shipped under raw/: files come from fetch() into the landing zone.
    location="exercisedb/*.json",
    contract=CONTRACT,
    normalise=normalise,
    transform=transform,
    primary_table="exercises",
    primary_key="code",
    soft_rules={
        "duplicate_name": (
            "The same name under two ids with different content (variants to review).",
            lambda df: df["name"].duplicated(keep=False),
        ),
        "target_also_secondary": (
            "The target muscle is listed as a secondary muscle too (kept once, as primary).",
            lambda df: pd.Series(
                [
                    bool(set(t) & set(s))
                    for t, s in zip(df["targetMuscles"], df["secondaryMuscles"], strict=True)
                ],
                index=df.index,
            ),
        ),
    },
    update_frequency="monthly",
    cron="0 5 1 * *",
    owner="coaching-team@healthai-coach.fr",
    licence="AGPL-3.0 (ExerciseDB/exercisedb-api): fetched at run time, never shipped.",
    citation="ExerciseDB, exercisedb-api v1 dataset (1,500 exercises), GitHub "
    "ExerciseDB/exercisedb-api, 2025.",
    origin="REST API <EXERCISEDB_URL>/api/v1/exercises (e.g. https://oss.exercisedb.dev), "
    "offset or cursor paging, landed as one JSON file per distinct response.",
    description="1,500 exercises with target and secondary muscles, body part, equipment and "
    "step-by-step instructions; merged with free-exercise-db into one catalogue.",
    defects=(
        "Mojibake `45в°` in 5 names (UTF-8 ° read as CP1251): repaired.",
        "6 names twice under different ids; 3 are exact copies (quarantined), 3 differ "
        "(published, flagged).",
        "Short and long muscle forms (abs/abdominals, delts/deltoids, traps/trapezius...): "
        "mapped to the canonical vocabulary.",
        "`Step:N ` prefix inside each instruction: stripped.",
        "2 records list their target muscle as secondary too: kept once, as primary.",
    ),
)


def landing_folder(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).landing_dir / NAME
