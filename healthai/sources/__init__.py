"""The registry of declared sources. Assets, checks, schedules and the source inventory are
built from it; adding a source is adding its module here."""

from __future__ import annotations

from healthai.pipeline.spec import SourceSpec
from healthai.sources import free_exercise_db, gym_members

SOURCES: dict[str, SourceSpec] = {s.name: s for s in (gym_members.SPEC, free_exercise_db.SPEC)}

# API sources: their files come from a fetch step (assets/fetch.py) into the landing zone.
# Simulated sources: their files come from `healthai simulate` into the landing zone.
from healthai.sources import exercisedb, simulated  # noqa: E402

SOURCES |= {s.name: s for s in (exercisedb.SPEC, *simulated.SPECS)}

# File sources shipped under raw/ (see raw/README.md).
from healthai.sources import (  # noqa: E402
    ciqual,
    daily_food_nutrition,
    daily_food_nutrition_v1_log,
    diet_recommendations,
    fitbit_daily_activity,
    fitness_tracker,
)

SOURCES |= {
    s.SPEC.name: s.SPEC
    for s in (
        fitness_tracker,
        daily_food_nutrition,
        daily_food_nutrition_v1_log,
        diet_recommendations,
        ciqual,
        fitbit_daily_activity,
    )
}
