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
            "print(f'encoding={read.encoding} delimiter={read.delimiter!r} decimal={read.decimal!r}')\n"
            "print(f'rows in the file: {read.rows_in:,}; malformed lines: {len(read.malformed)}; '\n"
            "      f'rows studied: {len(frames.raw):,} × {frames.raw.shape[1]} columns')\n"
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
            "      f'({len(frames.rejected) / max(len(frames.raw), 1):.1%} of the rows studied)')\n"
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
            "first = next(iter(frames.tables.values()), pd.DataFrame())\n"
            "first.head()"
        ),
        new_markdown_cell(
            "## 5. Profiles: the raw file and the cleaned rows, side by side\n\n"
            "Two ydata-profiling reports (minimal mode above `PROFILE_MINIMAL_ROWS` rows) and one "
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
