"""Writes one exploratory notebook per declared source (notebooks/<source>.ipynb).

The notebooks are plain files a data scientist opens in JupyterLab (`make notebook`) and runs
unchanged; the Dagster `<source>_profile` assets and the tests run the same files headless with
papermill. Every analysis calls the project's own reader, contract, transform and quality
functions, so what the notebook shows is what the pipeline does.

Regenerate after editing the texts below:  .venv/bin/python notebooks/_build.py
(a notebook edited by hand in JupyterLab is kept unless --force is given).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from healthai.sources import SOURCES  # noqa: E402

# What was found in each source and which cleaning rule answers which defect. Figures are the
# ones of the shipped file (or reference response); the notebook recomputes them below.
FINDINGS: dict[str, str] = {
    "gym_members": """
**What the file holds.** 973 rows × 15 columns: one gym member per row (age, sex, weight,
height, BMI, body fat, water intake, workout frequency, experience level) and a typical session
(type, duration in hours, calories, average / maximum / resting heart rate). Synthetic teaching
data (Kaggle, 2024). No identifier, no date.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| `Avg_BPM` above `Max_BPM` in 23 rows | `avg_bpm_not_above_max_bpm` (contract, cross-field) | quarantined with the two values |
| BMI that does not match weight / height² | `bmi_matches_weight_and_height` (contract, ±0.5) | quarantined (0 rows in the shipped file) |
| Values outside physical ranges (age, BPM, weight…) | `in_range` checks per column (contract) | quarantined (0 rows in the shipped file) |
| BMI below 16 (68 rows) or above 40 (34 rows) | soft rule `bmi_extreme` (audit) | published, flagged for review |
| `Max_BPM` above 220 − age (434 rows) | soft rule `max_bpm_above_age_maximum` (audit) | published, flagged |
| No identifier | `row_fingerprint` → `users.external_key` (transform) | same member twice = duplicate, never published twice |
| Spaces and literal `\\t` around values | `strip_text` (normaliser) | trimmed before validation |
| Hours, metres and ages instead of minutes, cm and birth years | transform | `duration_min`, `height_cm`, `birth_year` (reference year 2024) |
| No measurement date | transform | measurements stamped with the day the file was received |
""",
    "free_exercise_db": """
**What the file holds.** A JSON array of 873 exercises (yuhonas/free-exercise-db, The
Unlicense): id, name, force, level, mechanic, equipment, primary and secondary muscles (lists),
step-by-step instructions (list), category, image paths.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| `force` (29), `mechanic` (87), `equipment` (77) missing | nullable columns (contract) | kept as unknown (null), not quarantined |
| 5 exercises without instructions | `instructions` nullable (contract) | published without instructions |
| Unknown muscle names, empty primary-muscle list | `muscles_known`, `has_primary_muscle` (contract) | quarantined (0 rows in the shipped file) |
| Level, force, mechanic, category outside their vocabularies | `isin` checks (contract) | quarantined (0 rows) |
| Duplicate ids | `id` unique (contract) | quarantined (0 rows) |
| Muscle and equipment names differ from ExerciseDB's | `muscle_name`, `equipment_name` (transform, healthai.sources.vocabulary) | one canonical vocabulary |
| Muscles as lists inside a record | transform (explode) | one `exercise_muscles` row per exercise × muscle × role |
""",
    "exercisedb": """
**What the data holds.** ExerciseDB (AGPL-3.0), read through its REST API at run time and
landed as one JSON file per distinct response: about 1,500 exercises with target and secondary
muscles, body part, equipment and step-by-step instructions. Never shipped in the repository:
pass `input_path` (a landed response) or let the notebook take the newest file of the landing
zone.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| Mojibake `45в°` in 5 names (UTF-8 ° read as CP1251) | `no_mojibake` (contract) after the normaliser's repair | repaired; a name still broken is quarantined |
| 6 names twice under different ids, 3 exact copies | duplicate content (contract) / soft rule `duplicate_name` (audit) | copies quarantined, variants published and flagged |
| Short and long muscle forms (abs / abdominals, delts / deltoids…) | vocabulary checks (contract) + canonical mapping (transform) | one vocabulary shared with free-exercise-db |
| `Step:N ` prefix inside each instruction | normaliser | stripped |
| Target muscle listed as secondary too (2 records) | soft rule `target_also_secondary` (audit) + transform | kept once, as primary |
""",
    "fitness_tracker": """
**What the file holds.** 1,800 rows × 15 columns in the gym members layout (same column names,
same units: hours, metres, litres), synthetic profiles and sessions with deliberately injected
dirt (Kaggle `nadeemajeedch/fitness-tracker-dataset`). No identifier, no date. The contract,
soft rules and transform are gym_members' own, reused; one soft rule is added.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| BMI that does not match weight / height² (1,643 rows) | `bmi_matches_weight_and_height` (contract, ±0.5) | quarantined: which of the three values is wrong cannot be known |
| Empty cells in every column (441 rows with at least one; e.g. `Gender` 71, `Workout_Type` 61) | `not_nullable` per column (contract) | quarantined with the column |
| `Avg_BPM` above `Max_BPM` (67 rows) | `avg_bpm_not_above_max_bpm` (contract) | quarantined |
| Literal `\\t182`, `\\nStrength` escapes (40 cells) | `strip_text` (normaliser) | stripped before validation, not a reason to quarantine |
| Values piled at the generator's clipping bounds (BMI 12.32 in 203 rows, weight 40 kg, 2 h…) | soft rule `value_at_clipping_bound` (audit) | published, flagged (21 of the rows that pass) |
| BMI below 16 / above 40, `Max_BPM` above 220 − age | gym_members' soft rules (audit) | published, flagged (22 and 34 rows that pass) |
| No identifier | `row_fingerprint` → `fitness_tracker:<fingerprint>` (transform) | never shares a key with gym_members |

In all, 1,735 of 1,800 rows are quarantined (a row can break several rules) and 65 pass:
65 users, 65 workout sessions, 325 biometric measurements stamped with the day the file was
received. This is teaching data for the quarantine path, not a source of users.

*Figures* are those of the whole file, measured by running `profiling.load` (reader, normaliser,
contract, transform) with `sample_size = 0`; sections 1–3 and the table counts above recompute
them. The 441 rows and the 203 BMI values were counted on `frames.normalised`, the 40 escapes on
the file's raw text.
""",
    "daily_food_nutrition": """
**What the file holds.** 651 lines, 12 columns: a catalogue of foods and drinks (name with its
portion, category, energy, macronutrients, fibre, sugars, sodium, cholesterol, meal type, water)
whose values are **per stated portion** (`Almonds (1 oz)`, `Milk (2%, 1 cup)`), not per 100 g,
and with no portion weight.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| 6 lines with an unquoted comma in the name (13 fields for 12) | reader: `malformed_line` | set aside with their raw text (shown in section 1), quarantined, never repaired by guessing: 645 rows read |
| Values per portion, `foods` holds per 100 g | `portion_grams` (normaliser) + transform | 64 rows whose name states a mass in ounces (solid foods) are converted to per 100 g (1 oz = 28.3495 g, salt = sodium × 2.5); the other 581 are published without nutrient values, flagged `no_gram_portion` |
| A converted value above what 100 g of food can hold | `per_100g_within_food_bounds` (contract) | quarantined (0 rows) |
| Sugars above carbohydrates | `sugars_not_above_carbohydrates` (contract) | quarantined (0 rows) |
| 54 exact duplicate rows, 4 more names repeated with another `Meal_Type` | key `daily_food_nutrition:<Food_Item>` (transform) | 58 repeated names count as duplicates: 587 distinct foods |
| Energy more than 30 % off 4P + 4C + 9F above 20 kcal (19 rows; 44 without the 20 kcal floor) | soft rule `energy_not_matching_macros` (audit) | published, flagged (alcoholic drinks) |
| Fibre above carbohydrates (2 rows, herb garnishes) | soft rule `fibre_above_carbohydrates` (audit) | published, flagged |
| `Meal_Type`, `Water_Intake (ml)` describe a serving, not the food | transform | not published |

The contract quarantines no row; the uniqueness figure of section 3 shows the 54 duplicates.

*Figures* are those of the whole file, measured by running `profiling.load` with
`sample_size = 0`; sections 1–3 recompute them (the repeated names and the gram portions were
counted on `frames.normalised`, the 44 with the soft rule's formula without its 20 kcal floor).
""",
    "daily_food_nutrition_v1_log": """
**What the file holds.** 10,000 rows × 14 columns, an earlier layout of the Daily Food &
Nutrition dataset: a daily intake log, user × date (2024) × meal × food (35 foods), with energy,
macronutrients, fibre, sugars, sodium, cholesterol and water. 1,000 users with no profile.
The nutrient values are uniform random numbers unrelated to the food.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| Energy more than 30 % off 4·protein + 4·carbohydrate + 9·fat (7,242 rows) | `energy_matches_macros` (contract) | quarantined |
| Sugars above carbohydrates (2,091 rows) | `sugars_not_above_carbohydrates` (contract) | quarantined |
| Water logged with energy or macronutrients (276 rows) | `non_caloric_drink` (contract) | quarantined |
| Fibre above carbohydrates (128 rows) | `fibre_not_above_carbohydrates` (contract) | quarantined |
| The same entry logged twice | `entry_not_repeated` (contract) | quarantined (0 rows) |
| Eggs and Salmon filed under Meat | soft rule `food_in_unexpected_category` (audit) | published, flagged (113 of the rows that pass) |
| Several entries for one user, day and meal (22 triples in the file) | soft rule `same_user_day_meal` (audit) | published, flagged (2 rows that pass): several foods per meal is possible |
| No natural key (a fact source: no primary table) | transform | users `daily_food_log:<User_ID>` from their first valid entry, entries to `meal_logs` |

In all 8,053 rows are quarantined (a row can break several rules) and 1,947 pass: 1,947 meal
logs of 853 users (147 users have no valid entry). What passes has a realistic *shape*, still
not nutritional truth: never use these values for advice.

*Figures* are those of the whole file, measured by running `profiling.load` with
`sample_size = 0`; run this notebook with `sample_size = 0` to recompute them (the default
5,000-row sample shows about half of each count). The 22 triples were counted on
`frames.normalised`.
""",
    "diet_recommendations": """
**What the file holds.** 1,000 rows × 20 columns: synthetic patients (id, age, sex, weight,
height, BMI), a disease label and severity, clinical measures (cholesterol, blood pressure,
glucose), activity level, weekly exercise hours, dietary restrictions, allergies, preferred
cuisine and a recommended diet (Kaggle `ziya07/diet-recommendations-dataset`). No date.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| `None` is a category (no disease / restriction / allergy), not a null | vocabularies list `None` (contract); transform | kept; a `None` restriction or allergy publishes no row, an empty cell is quarantined (0 rows) |
| BMI that does not match weight / height² (height in cm) | `bmi_matches_weight_and_height_cm` (contract, ±0.5) | quarantined (0 rows) |
| Values outside physical ranges, unknown categories | `in_range`, `isin` per column (contract) | quarantined (0 rows) |
| Obesity with BMI < 30 (140), BMI ≥ 30 without it (311) | soft rules `obesity_label_without_bmi_30`, `bmi_30_without_obesity_label` | published, flagged |
| Diabetes with glucose < 126 (98), no disease with glucose ≥ 126 (120) | soft rules `diabetes_label_with_normal_glucose`, `no_disease_with_diabetic_glucose` | published, flagged (a treated patient is possible) |
| Hypertension with blood pressure < 130 (88) | soft rule `hypertension_label_with_normal_pressure` | published, flagged |
| A severity without a disease (204), sedentary yet ≥ 5 h exercise a week (174) | soft rules `severity_without_disease`, `sedentary_but_exercising` | published, flagged |
| BMI below 16 (38) | soft rule `bmi_below_16` | published, flagged |
| Ages instead of birth years; disease, measures and recommendation are teaching labels | transform | `birth_year` (reference year 2025); labels not published as health data |

No row is quarantined: 1,000 users, 666 dietary restrictions, 677 allergies and 2,000 biometric
measurements (weight and BMI, stamped with the day the file was received).

*Figures* are those of the whole file, measured by running `profiling.load` with
`sample_size = 0`; sections 2–4 recompute them.
""",
    "ciqual": """
**What the file holds.** The CIQUAL 2020 table (ANSES), an `.xls` workbook read from its sheet
`compo` (the reader's option: no encoding or delimiter to detect): 3,186 foods × 76 columns, the
food group codes and names, the food code and French name, and 67 nutrients per 100 g of edible
part. Nine nutrients are published to `foods` (energy, protein, carbohydrate, fat, fibre, sugars,
salt, sodium, cholesterol).

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| Numbers as text with decimal commas (`45,4`) | `parse_cell` (normaliser) | 45.4 |
| `-` (not measured) and empty cells | `parse_cell` (normaliser) | null, kept |
| `traces` and `< x` (below the limit of quantification), e.g. 81 and 5 protein cells | `parse_cell` (normaliser) | 0, as a label declares; the bound stays in the raw file |
| Any other text in a nutrient cell, a value above what 100 g can hold | column types and `in_range` (contract) | quarantined (0 rows) |
| `alim_code` 9621 (Son de blé) twice, under two sub-groups | key `ciqual:<alim_code>` (transform) | the second counts as a duplicate at staging (both rows are in the table below) |
| No EU-regulation energy value (888 rows, 871 of them `-`) | soft rule `no_energy_value` (audit) | published without energy, flagged |
| No food group (45 rows, group 00 aggregates) | soft rule `no_food_group` (audit) | published, flagged |
| Protein + carbohydrate + fat above 101 g per 100 g | soft rule `macros_above_100g` (audit) | flagged (0 rows) |
| French column names with accents, `N°`, `µ` | transform | mapped to the `foods` columns |

No row is quarantined: 3,186 rows reach `foods` (3,185 distinct codes), each with its category
`group / sub-group`.

*Figures* are those of the whole file, measured by running `profiling.load` with
`sample_size = 0`; sections 1–4 recompute them (the `-`, `traces` and `< x` cells were counted
on `frames.raw`).
""",
    "fitbit_daily_activity": """
**What the file holds.** 940 rows × 15 columns: real Fitbit tracker days of 33 users from
2016-04-12 to 2016-05-12 (Furberg et al. 2016): steps, total / tracker / logged distances,
distances and minutes by intensity (very, fairly, lightly active, sedentary), calories.
A fact source: no primary table, one row per user and day.

**What was found, and the rule that answers each defect**

| Defect | Rule (where) | Outcome |
|---|---|---|
| US dates `M/D/YYYY` | normaliser (exact format `%m/%d/%Y`) | parsed; a day-first or ISO date becomes null and is quarantined (0 rows) |
| The same user and day twice | `one_row_per_user_and_day` (contract) | quarantined (0 rows) |
| Activity minutes adding up to more than a day | `minutes_within_day` (contract) | quarantined (0 rows); less than 1,440 (462 days: sleep, non-wear) is allowed |
| Values outside physical ranges | `in_range` per column (contract) | quarantined (0 rows) |
| Non-wear days: 0 steps (77), 1,440 sedentary minutes (79), 0 calories (4) | soft rules `no_steps`, `whole_day_sedentary`, `no_calories` (audit) | published, flagged |
| TrackerDistance differs from TotalDistance (15 rows, logged activities) | soft rule `tracker_distance_differs` (audit) | published, flagged |
| Float artefacts (1.879999995) | transform | distance rounded to 3 decimals |
| User ids match no other dataset | transform | users `fitbit:<Id>` (key only), from their first valid day |

No row is quarantined: 33 users and 940 `daily_activity` rows.

*Figures* are those of the whole file, measured by running `profiling.load` with
`sample_size = 0`; sections 2–4 recompute them (the 462 days were counted by summing the four
minute columns of `frames.valid`).
""",
}

SIMULATED_FINDINGS = """
**What the data holds.** Simulated HealthAI Coach data (`healthai simulate`, deterministic from
a seed), written into the landing zone; nothing is shipped. Values are consistent with the user
profiles by construction, so the contract is expected to find nothing: what this notebook checks
is that the files really are what the simulation promises, and that every row refers to a user
that exists (the users of `sim_users`, or published ones).

**What to look for, and the rule that answers it**

| Possible defect | Rule (where) | Outcome |
|---|---|---|
| A value outside its physical range, an unknown category | range and vocabulary checks (contract) | quarantined |
| The same user and day (or period) twice | uniqueness checks (contract) | quarantined |
| Gaps: days without a weigh-in or without the tracker | nullable columns (contract) | kept as missing, by design |
| A row whose user is not published yet | foreign key at publication; `foreign_key_exists` (quality) | the batch waits: its users' batch (`sim_users`) is staged first |
| An implausible but possible value (BMI below 16 or above 40) | soft rule (audit) | published, flagged |
"""

GENERIC_FINDINGS = """
**What was found.** The declaration of this source lists its known defects (printed below);
the contract section shows every rule the file breaks, with counts, and the soft rules show
what is flagged for review without being quarantined.
"""


def build(name: str) -> nbformat.NotebookNode:
    spec = SOURCES[name]
    default_input = "" if "://" in spec.location else ""
    cells = [
        new_markdown_cell(
            f"# {spec.title} (`{name}`): exploration and data quality\n\n"
            f"{spec.description}\n\n"
            f"- **Origin:** {spec.origin or 'see the declaration'}\n"
            f"- **Licence:** {spec.licence}\n"
            f"- **Format:** {spec.format}, location `{spec.location}`\n"
            f"- **Update frequency:** {spec.update_frequency} (schedule `{spec.cron}`), "
            f"owner {spec.owner}\n\n"
            "This notebook reads the file with the pipeline's own reader, checks it against the "
            "source's contract, cleans it with the source's transform and measures it with "
            "`healthai.quality`: what it shows is what the pipeline does. It ends with two "
            "data-profiling reports, the raw file and the cleaned rows, side by side.\n\n"
            "*Run it* in JupyterLab (`make notebook`) as is, or headless: "
            f"`papermill notebooks/{name}.ipynb out.ipynb -p sample_size 1000`. "
            "The Dagster asset "
            f"`{name}_profile` runs it after every new batch and writes the executed copy and the "
            "reports into `profiles_reports/`."
        ),
        new_code_cell(
            "# Parameters (papermill replaces this cell's values)\n"
            f'source = "{name}"\n'
            f'input_path = "{default_input}"  # empty: the newest file of the source\n'
            "sample_size = 5000  # rows read at most (0: all)\n"
            'output_dir = "../profiles_reports"  # where the profiles are written\n'
            "profile = True  # False: skip the data-profiling reports (quick checks)",
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell(
            "import sys\n"
            "from pathlib import Path\n\n"
            "ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / 'healthai').is_dir())\n"
            "sys.path.insert(0, str(ROOT))\n\n"
            "import pandas as pd\n"
            "from IPython.display import HTML, Markdown, display\n\n"
            "from healthai.quality import metrics as qm\n"
            "from healthai.quality import profiling\n"
            "from healthai.sources import SOURCES\n\n"
            "pd.set_option('display.max_columns', 50)\n"
            "spec = SOURCES[source]\n"
            "path = Path(input_path) if input_path else profiling.default_input(spec)\n"
            "if path is None:\n"
            "    raise SystemExit(f'no file for {source}: pass input_path (a landed file)')\n"
            "print(f'{spec.title}\\nfile: {path} ({path.stat().st_size:,} bytes)')"
        ),
        new_markdown_cell(
            "## 1. Reading the file as the pipeline does\n\n"
            "`healthai.pipeline.readers` detects the encoding, the delimiter and the decimal "
            "separator, keeps every value as read (text) and sets aside malformed lines instead "
            "of skipping them. `sample_size` keeps a reproducible random sample."
        ),
        new_code_cell(
            "frames = profiling.load(spec, path, sample_size or None)\n"
            "read = frames.read\n"
            "if read.encoding is None:  # a workbook or JSON: no encoding or delimiter to detect\n"
            "    print(f'format={spec.format} reader options={spec.read_options or \"none\"}')\n"
            "else:\n"
            "    print(f'encoding={read.encoding} delimiter={read.delimiter!r} decimal={read.decimal!r}')\n"
            "print(f'rows in the file: {read.rows_in:,}; malformed lines: {len(read.malformed)}; '\n"
            "      f'rows studied: {len(frames.raw):,} × {frames.raw.shape[1]} columns')\n"
            "if read.malformed:  # set aside with their raw text, quarantined by the pipeline\n"
            "    display(pd.DataFrame([{'record': m['_record'], 'rule': m['reason']['rule'],\n"
            "                           'reason': m['reason'].get('value'),\n"
            "                           'raw': str(next(iter(m['raw'].values()), ''))}\n"
            "                          for m in read.malformed]))\n"
            "frames.raw.head()"
        ),
        new_code_cell(
            "# Missing values and types as read\n"
            "pd.DataFrame({\n"
            "    'type': frames.raw.dtypes.astype(str),\n"
            "    'missing': frames.raw.isna().sum(),\n"
            "    'distinct': frames.raw.astype(str).nunique(),\n"
            "})"
        ),
        new_markdown_cell(
            "## 2. What the contract finds\n\n"
            "The contract (a pandera schema in `healthai/sources/" + name + ".py`) is validated "
            "lazily: every failing row leaves for quarantine with *every* rule it broke, never "
            "silently dropped. Soft rules flag plausible-but-rare rows for review."
        ),
        new_code_cell(
            "reasons = pd.DataFrame(\n"
            "    [{'rule': r['rule'], 'column': r.get('column')} for q in frames.rejected for r in q.reasons],\n"
            "    columns=['rule', 'column'],\n"
            ")\n"
            "print(f'{len(frames.rejected)} rows would be quarantined '\n"
            "      f'({len(frames.rejected) / max(len(frames.raw), 1):.1%} of the rows studied)'\n"
            "      + (f', plus the {len(read.malformed)} malformed lines set aside by the reader'\n"
            "         if read.malformed else ''))\n"
            "reasons.value_counts().rename('rows').to_frame() if len(reasons) else 'no rule broken'"
        ),
        new_code_cell(
            "soft = {\n"
            "    rule: (description, int(check(frames.valid).sum()) if len(frames.valid) else 0)\n"
            "    for rule, (description, check) in spec.soft_rules.items()\n"
            "}\n"
            "pd.DataFrame(soft, index=['description', 'rows flagged']).T if soft else 'no soft rule'"
        ),
        new_markdown_cell(
            "## 3. Quality figures on this file\n\n"
            "The same functions as the `" + name + "_quality` asset (see docs/quality.md): "
            "completeness of the required columns, duplicate rows, validity (share of rows "
            "passing every rule), and the cross-field / cross-table consistency rules on the "
            "cleaned tables."
        ),
        new_code_cell(
            "required = [c for c, col in spec.contract.columns.items()\n"
            "            if c != '_record' and col.required and not col.nullable]\n"
            "measures = qm.completeness(frames.normalised, required, 'raw')\n"
            "content = [c for c in frames.normalised.columns if c != '_record']\n"
            "measures.append(qm.uniqueness(frames.normalised[content], None, 'raw'))\n"
            "measures.append(qm.validity(len(frames.raw), len(frames.rejected)))\n"
            "measures += qm.consistency(frames.tables)\n"
            "figures = pd.DataFrame(\n"
            "    [(x.dimension, x.table, x.column or x.rule, x.value, x.numerator, x.denominator)\n"
            "     for x in measures],\n"
            "    columns=['dimension', 'table', 'column / rule', 'share', 'numerator', 'denominator'],\n"
            ")\n"
            "figures.round(4)"
        ),
        new_markdown_cell(
            "## 4. What was found and which cleaning rule answers which defect\n"
            + FINDINGS.get(
                name, SIMULATED_FINDINGS if name.startswith("sim_") else GENERIC_FINDINGS
            )
        ),
        new_code_cell(
            "print('Defects declared for this source (healthai/sources):')\n"
            "for defect in spec.defects:\n"
            "    print(' -', defect)\n"
            "print('\\nCleaned tables (what would be staged):')\n"
            "for table, frame in frames.tables.items():\n"
            "    print(f'  {table}: {len(frame):,} rows')"
        ),
        new_code_cell(
            "# The primary table (one row per natural key); a fact source (no primary table)\n"
            "# shows the first rows of each table it publishes.\n"
            "shown = [spec.primary_table] if spec.primary_table in frames.tables else list(frames.tables)\n"
            "for table in shown:\n"
            "    display(Markdown(f'**{table}**'), frames.tables[table].head())\n"
            "if not shown:\n"
            "    print('no row passed the contract: nothing to stage')"
        ),
        new_markdown_cell(
            "## 5. Profiles: the raw file and the cleaned rows, side by side\n\n"
            "Two data-profiling reports (minimal mode above `PROFILE_MINIMAL_ROWS` rows) and one "
            "page showing them next to each other, written to `output_dir`."
        ),
        new_code_cell(
            "if profile:\n"
            "    info = profiling.write_profiles(source, frames.raw, frames.cleaned, output_dir)\n"
            "    for side in ('raw', 'cleaned'):\n"
            "        i = info[side]\n"
            "        print(f\"{side}: {i['rows']} rows, {'minimal' if i['minimal'] else 'full'} mode, \"\n"
            "              f\"{i['seconds']} s -> {i['path']}\")\n"
            "    display(Markdown(f\"Side by side: `{info['page']}`\"))\n"
            "else:\n"
            "    print('profiles skipped (profile = False)')"
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main(force: bool = False) -> None:
    for name in SOURCES:
        path = HERE / f"{name}.ipynb"
        if path.exists() and not force:
            print(f"kept {path.name} (use --force to rewrite)")
            continue
        nbformat.write(build(name), path)
        print(f"wrote {path.name}")


if __name__ == "__main__":
    main(force="--force" in sys.argv)
