"""One canonical vocabulary for muscles and equipment across exercise sources."""

from __future__ import annotations

import pandas as pd

from healthai.pipeline.readers import RECORD

# source spelling -> canonical name (ExerciseDB short forms and free-exercise-db names)
MUSCLES = {
    "abs": "abdominals",
    "delts": "shoulders",
    "deltoids": "shoulders",
    "lats": "latissimus dorsi",
    "quads": "quadriceps",
    "traps": "trapezius",
    "middle back": "upper back",
    "pectorals": "chest",
    "latissimus": "latissimus dorsi",
}
EQUIPMENT = {
    "body only": "body weight",
    "bands": "resistance band",
    "kettlebells": "kettlebell",
    "e-z curl bar": "ez barbell",
    "exercise ball": "stability ball",
    # ExerciseDB spellings of free-exercise-db equipment
    "band": "resistance band",
    "roller": "foam roll",
    "leverage machine": "machine",
    "olympic barbell": "barbell",
}
# ExerciseDB body parts are already canonical; free-exercise-db has none. Spelling variants:
BODY_PARTS = {
    "upperarms": "upper arms",
    "lowerarms": "lower arms",
    "upperlegs": "upper legs",
    "lowerlegs": "lower legs",
    "abs": "waist",
}


def muscle_name(name: str) -> str:
    name = name.strip().lower()
    return MUSCLES.get(name, name)


def equipment_name(name: str) -> str:
    name = name.strip().lower()
    return EQUIPMENT.get(name, name)


def body_part_name(name: str) -> str:
    name = " ".join(name.strip().lower().split())
    return BODY_PARTS.get(name, name)


def muscle_links(
    valid: pd.DataFrame, codes: pd.Series, primary: str, secondary: str
) -> pd.DataFrame:
    """exercise_muscles rows from list columns of muscle names, in the canonical vocabulary.
    A muscle listed as primary and secondary (or under two spellings) is kept once, primary."""
    links = []
    for role, column in (("primary", primary), ("secondary", secondary)):
        exploded = valid[[RECORD, column]].assign(exercise_key=codes).explode(column)
        exploded = exploded[exploded[column].notna()]
        links.append(
            pd.DataFrame(
                {
                    RECORD: exploded[RECORD],
                    "exercise_key": exploded["exercise_key"],
                    "muscle_key": exploded[column].map(muscle_name),
                    "role": role,
                }
            )
        )
    muscles = pd.concat(links, ignore_index=True)
    return muscles.drop_duplicates(["exercise_key", "muscle_key"], keep="first")
