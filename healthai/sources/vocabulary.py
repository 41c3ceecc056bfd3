"""One canonical vocabulary for muscles and equipment across exercise sources."""

from __future__ import annotations

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
}
EQUIPMENT = {
    "body only": "body weight",
    "bands": "resistance band",
    "kettlebells": "kettlebell",
    "e-z curl bar": "ez barbell",
    "exercise ball": "stability ball",
}


def muscle_name(name: str) -> str:
    name = name.strip().lower()
    return MUSCLES.get(name, name)


def equipment_name(name: str) -> str:
    name = name.strip().lower()
    return EQUIPMENT.get(name, name)
