"""Fitness tracker (Kaggle `nadeemajeedch/fitness-tracker-dataset`): the gym members layout
(same 15 columns) with deliberately injected dirt.

The contract and the transform are gym_members' own, reused, not copied: the user key is
`<source>:<fingerprint>` (the transform prefixes it with the source name), so the two
sources' users never share a key. What this file adds:
- nulls in every column (441 rows): quarantined by the columns' `not_nullable` rules;
- literal `\\t182` / `\\nStrength` escapes: stripped by `strip_text` before validation;
- BMI contradicting weight / height² (1,643 rows): quarantined by
  `bmi_matches_weight_and_height` (which of the three values is wrong cannot be known);
- values piled at the range bounds (clipping): flagged by the soft rule `value_at_clipping_bound`.
"""

from __future__ import annotations

import copy

import pandas as pd

from healthai.pipeline.spec import SourceSpec
from healthai.sources import gym_members
from healthai.sources.common import strip_text

# The bounds the generator clipped to (SOURCES.md, section 5): value piled far above the
# original file's count.
CLIPPING_BOUNDS = {
    "Weight (kg)": 40.0,
    "BMI": 12.32,
    "Session_Duration (hours)": 2.0,
    "Calories_Burned": 1783.0,
    "Water_Intake (liters)": 1.5,
    "Fat_Percentage": 10.0,
}


def at_clipping_bound(df: pd.DataFrame) -> pd.Series:
    flagged = pd.Series(False, index=df.index)
    for column, bound in CLIPPING_BOUNDS.items():
        flagged |= (df[column] - bound).abs() < 1e-9
    return flagged


SPEC = SourceSpec(
    name="fitness_tracker",
    title="Fitness tracker (gym members, synthetic and dirty)",
    format="csv",
    accepts=("xlsx",),  # spreadsheet exports of the same table
    location="fitness_tracker/*.csv",
    contract=copy.deepcopy(gym_members.CONTRACT).set_name("fitness_tracker"),
    normalise=strip_text,
    transform=gym_members.transform,
    primary_table="users",
    primary_key="external_key",
    soft_rules={
        **gym_members.SPEC.soft_rules,
        "value_at_clipping_bound": (
            "Weight 40 kg, BMI 12.32, 2 h session, 1783 kcal, 1.5 L water or 10 % fat: the "
            "bounds the generator clipped to; the true value may lie beyond.",
            at_clipping_bound,
        ),
    },
    update_frequency="monthly",
    cron="0 2 1 * *",
    owner="data-team@healthai-coach.fr",
    licence="Not stated in any copy; a secondary doc claims CC0 (unverified, check the "
    "Kaggle card).",
    citation="Majeed, N., Gym Members Exercise Tracking Synthetic Dataset, Kaggle "
    "(nadeemajeedch/fitness-tracker-dataset), 2025.",
    origin="Kaggle nadeemajeedch/fitness-tracker-dataset (copy from Kabouri-Anass/HealthAI-Coach "
    "data/fitness_tracker.csv.csv, commit 3a3c3545, blob c0e1426a).",
    description="1,800 synthetic gym-member profiles and sessions in the gym members layout, "
    "with injected nulls, escapes, contradictions and clipping; no steps or active minutes.",
    defects=(
        "441 rows with at least one empty cell (quarantined: not_nullable).",
        "40 cells with literal \\t / \\n escapes (stripped before validation).",
        "BMI differs from weight / height² by more than 0.5 in 1,643 rows (quarantined).",
        "Avg_BPM above Max_BPM in 67 rows (quarantined).",
        "Values piled at range bounds (clipping), e.g. BMI 12.32 ×203 (flagged).",
        "No identifier and no date: key from the row's content, measurements stamped with the "
        "day the file was received.",
    ),
)
