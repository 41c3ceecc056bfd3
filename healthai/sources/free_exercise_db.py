"""free-exercise-db (yuhonas/free-exercise-db, The Unlicense): 873 exercises with a
difficulty level, force, mechanic, equipment, primary and secondary muscles, instructions."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from healthai.pipeline.readers import RECORD
from healthai.pipeline.spec import CleanContext, SourceSpec
from healthai.sources.vocabulary import equipment_name, muscle_links

LEVELS = ["beginner", "intermediate", "expert"]
FORCES = ["static", "pull", "push"]
MECHANICS = ["isolation", "compound"]
EQUIPMENT = [
    "medicine ball",
    "dumbbell",
    "body only",
    "bands",
    "kettlebells",
    "foam roll",
    "cable",
    "machine",
    "barbell",
    "exercise ball",
    "e-z curl bar",
    "other",
]
MUSCLES = [
    "abdominals",
    "abductors",
    "adductors",
    "biceps",
    "calves",
    "chest",
    "forearms",
    "glutes",
    "hamstrings",
    "lats",
    "lower back",
    "middle back",
    "neck",
    "quadriceps",
    "shoulders",
    "traps",
    "triceps",
]
CATEGORIES = [
    "powerlifting",
    "strength",
    "stretching",
    "cardio",
    "olympic weightlifting",
    "strongman",
    "plyometrics",
]


def _muscles_known(values: pd.Series) -> pd.Series:
    return values.map(lambda v: isinstance(v, list) and all(m in MUSCLES for m in v))


CONTRACT = pa.DataFrameSchema(
    {
        RECORD: pa.Column(int, coerce=True),
        "id": pa.Column(str, pa.Check.str_matches(r"^[0-9a-zA-Z_-]+$"), unique=True),
        "name": pa.Column(str, pa.Check.str_length(1, 200)),
        "force": pa.Column(str, pa.Check.isin(FORCES), nullable=True),
        "level": pa.Column(str, pa.Check.isin(LEVELS)),
        "mechanic": pa.Column(str, pa.Check.isin(MECHANICS), nullable=True),
        "equipment": pa.Column(str, pa.Check.isin(EQUIPMENT), nullable=True),
        "primaryMuscles": pa.Column(
            object,
            [
                pa.Check(_muscles_known, name="muscles_known", error="unknown muscle name"),
                pa.Check(
                    lambda s: s.map(lambda v: isinstance(v, list) and len(v) > 0),
                    name="has_primary_muscle",
                    error="no primary muscle",
                ),
            ],
        ),
        "secondaryMuscles": pa.Column(
            object, pa.Check(_muscles_known, name="muscles_known", error="unknown muscle name")
        ),
        "instructions": pa.Column(object, nullable=True),
        "category": pa.Column(str, pa.Check.isin(CATEGORIES)),
    },
    strict=False,
    name="free_exercise_db",
)


def transform(valid: pd.DataFrame, ctx: CleanContext) -> dict[str, pd.DataFrame]:
    code = ctx.source + ":" + valid["id"]
    exercises = pd.DataFrame(
        {
            RECORD: valid[RECORD],
            "code": code,
            "source": ctx.source,
            "source_key": valid["id"],
            "name": valid["name"].str.strip(),
            "exercise_type": valid["category"],
            "equipment_key": valid["equipment"].map(
                lambda e: equipment_name(e) if isinstance(e, str) else None
            ),
            "level": valid["level"],
            "force": valid["force"],
            "mechanic": valid["mechanic"],
            "instructions": valid["instructions"].map(
                lambda steps: (
                    "\n".join(s.strip() for s in steps)
                    if isinstance(steps, list) and steps
                    else None
                )
            ),
        }
    )
    muscles = muscle_links(valid, code, "primaryMuscles", "secondaryMuscles")
    return {"exercises": exercises, "exercise_muscles": muscles}


SPEC = SourceSpec(
    name="free_exercise_db",
    title="free-exercise-db exercise catalogue",
    format="json",
    location="free_exercise_db/exercises.json",
    contract=CONTRACT,
    transform=transform,
    primary_table="exercises",
    primary_key="code",
    update_frequency="monthly",
    cron="0 4 1 * *",
    owner="coaching-team@healthai-coach.fr",
    licence="The Unlicense (public domain)",
    citation="yuhonas, free-exercise-db, GitHub, commit acd61f75 (2025-04-21).",
    origin="github.com/yuhonas/free-exercise-db dist/exercises.json",
    description="873 exercises with difficulty level, force, mechanic, equipment, primary and "
    "secondary muscles and step-by-step instructions.",
    defects=(
        "Nulls in force (29), mechanic (87) and equipment (77): kept as unknown.",
        "5 exercises without instructions: published without them.",
        "Muscle vocabulary differs from ExerciseDB's: mapped to one canonical vocabulary.",
    ),
    auto_approve=False,
)
