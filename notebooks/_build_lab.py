"""Writes the data scientists' notebooks: notebooks/getting_started.ipynb (what `make notebook`
opens) and the example notebook assets of notebooks/analyses/ (docs/data-scientists.md).

They are plain notebooks, free to edit in JupyterLab; this script only writes them the first
time (or with --force).  .venv/bin/python notebooks/_build_lab.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _parameters(source: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"tags": ["parameters"]})


def getting_started() -> nbformat.NotebookNode:
    return _notebook(
        [
            new_markdown_cell(
                "# Getting started: the published data in one line\n\n"
                "`healthai.lab` reads what the platform published, with the same rules as the "
                "API: you read as **your account** (its role decides what you see), people are "
                "**pseudonymised** unless your role may see identities, a partner sees only its "
                "members, and every read of personal data is written to the access log.\n\n"
                "**Who you are.** Once, in a terminal (JupyterLab: File → New → Terminal): "
                "`healthai lab login` (your platform account), or set `HEALTHAI_API_KEY` to an "
                "API key an admin issued for you. The demo's accounts are in "
                "`var/demo-accounts.txt` after `make run`.\n\n"
                "Guide: `docs/data-scientists.md`."
            ),
            _parameters(
                "# Parameters (papermill replaces these when the notebook runs headless)\n"
                "as_of = None  # a dataset version, or None for the latest"
            ),
            new_code_cell(
                "import pandas as pd\n\n"
                "from healthai import lab\n\n"
                "db = lab.connect()\n"
                "print(f'reading as {db.principal.username} ({db.principal.role})')\n"
                "version = db.version() if as_of is None else as_of\n"
                "print(f'dataset version {version}')\n"
                "db.versions().tail()"
            ),
            new_markdown_cell(
                "## A table, as of a version\n\n"
                "Every publication, rollback, correction, erasure and API write makes a new "
                "**dataset version**. Reading `as_of` a version gives exactly the rows that "
                "were published then, today or in a year (an erased person excepted). Write "
                "the version down next to any result."
            ),
            new_code_cell(
                "users = db.table('users', as_of=version)\n"
                "print(len(users), 'people;', users.attrs['dataset_version'], '= version read')\n"
                "users.head()"
            ),
            new_code_cell(
                "weights = db.table('biometric_measurements', as_of=version)\n"
                "weights = weights[weights['metric'] == 'weight_kg']\n"
                "weights.groupby('user_id')['value'].agg(['count', 'first', 'last']).describe()"
            ),
            new_markdown_cell(
                "## Everything at once, and the features\n\n"
                "`consolidated` reads every table of one version. `features` is the table "
                "prepared for the AI modules: one row per person and day, built **point in "
                "time** (the features of a day use only what was published before it began); "
                "each column is described in `docs/features.md`."
            ),
            new_code_cell(
                "tables = db.consolidated(as_of=version)\n"
                "pd.Series({name: len(frame) for name, frame in tables.items()}, name='rows')"
            ),
            new_code_cell(
                "features = db.features(as_of=version)\n"
                "features.tail()"
            ),
            new_markdown_cell(
                "## From here to a scheduled asset\n\n"
                "Copy `notebooks/analyses/engagement_by_plan.ipynb`, change its parameters "
                "cell (`reads`, `output`) and its analysis, and end it with "
                "`lab.save_output(frame, output_path)`. Saved in `notebooks/analyses/`, it is "
                "a Dagster asset at the next reload of the code location: it runs when the "
                "tables it reads change, and its output table and executed notebook are in "
                "`var/lab/<output>/`."
            ),
        ]
    )


def engagement_by_plan() -> nbformat.NotebookNode:
    return _notebook(
        [
            new_markdown_cell(
                "# Engagement by plan\n\n"
                "App sessions per person and week, and minutes per session, by plan tier: "
                "do paying members use the app more? An example of a notebook that is also a "
                "Dagster asset (`lab/engagement_by_plan`): it runs again whenever the tables "
                "it reads change."
            ),
            _parameters(
                "# Parameters: Dagster sets as_of (the version it read) and output_path.\n"
                "reads = ['users', 'app_sessions']  # published tables read (Dagster deps)\n"
                "output = 'engagement_by_plan'  # the table this notebook writes\n"
                "as_of = None  # dataset version (None: the latest)\n"
                "output_path = None  # where lab.save_output writes (None: not written)"
            ),
            new_code_cell(
                "import pandas as pd\n\n"
                "from healthai import lab\n\n"
                "db = lab.connect()\n"
                "version = db.version() if as_of is None else as_of\n"
                "users = db.table('users', as_of=version)\n"
                "sessions = db.table('app_sessions', as_of=version)\n"
                "print(f'version {version}: {len(users)} people, {len(sessions)} sessions')"
            ),
            new_code_cell(
                "sessions['started_at'] = pd.to_datetime(sessions['started_at'], utc=True)\n"
                "weeks = max((sessions['started_at'].max() - sessions['started_at'].min()).days"
                " / 7, 1) if len(sessions) else 1\n"
                "per_user = sessions.groupby('user_id').agg(\n"
                "    sessions=('id', 'size'), minutes=('duration_s', lambda s: s.sum() / 60)\n"
                ")\n"
                "people = users[['id', 'plan_tier']].rename(columns={'id': 'user_id'})\n"
                "people = people.merge(per_user, on='user_id', how='left').fillna(\n"
                "    {'sessions': 0, 'minutes': 0}\n"
                ")\n"
                "summary = people.groupby('plan_tier').agg(\n"
                "    people=('user_id', 'size'), sessions=('sessions', 'sum'),\n"
                "    minutes=('minutes', 'sum'),\n"
                ").reset_index()\n"
                "per_person = summary['sessions'] / summary['people']\n"
                "summary['sessions_per_person_week'] = per_person / weeks\n"
                "per_session = summary['minutes'] / summary['sessions'].clip(lower=1)\n"
                "summary['minutes_per_session'] = per_session\n"
                "summary['dataset_version'] = version\n"
                "summary.round(2)"
            ),
            new_code_cell(
                "lab.save_output(summary, output_path, metrics={'people': int(len(people))})"
            ),
        ]
    )


def baseline() -> nbformat.NotebookNode:
    return _notebook(
        [
            new_markdown_cell(
                "# Baseline: next-week weight change\n\n"
                "The starting point of the prediction modules: from a person's features on "
                "day D (intake, activity, sleep, measurements, workouts, app use, plan), "
                "predict how their weight will have changed 7 days later. Trained on a "
                "**dataset snapshot** (`lab/snapshot`: Parquet files whose checksums are in "
                "its manifest), so the same version gives the same model: the version and "
                "the metrics are recorded with the asset (`lab/baseline_weight_change`).\n\n"
                "Model: gradient-boosted trees (scikit-learn `HistGradientBoostingRegressor`, "
                "which takes missing values as they are), against the naive forecast "
                "*no change*. The split is by time (the last quarter of the days is the test "
                "set), never at random: days of one person are not independent."
            ),
            _parameters(
                "# Parameters: Dagster sets as_of (the version it read) and output_path.\n"
                "reads = ['snapshot']  # trains on the dataset snapshot\n"
                "output = 'baseline_weight_change'  # the metrics table this notebook writes\n"
                "as_of = None  # dataset version (None: the latest)\n"
                "output_path = None  # where lab.save_output writes (None: not written)\n"
                "horizon_days = 7  # predict the change over this many days\n"
                "test_share = 0.25  # the latest share of the days held out for the test\n"
                "seed = 0"
            ),
            new_code_cell(
                "import numpy as np\n"
                "import pandas as pd\n"
                "from sklearn.ensemble import HistGradientBoostingRegressor\n"
                "from sklearn.metrics import mean_absolute_error, r2_score\n\n"
                "from healthai import lab\n"
                "from healthai.lab import features as lab_features\n\n"
                "db = lab.connect()\n"
                "version = db.version() if as_of is None else as_of\n"
                "tables = db.snapshot(as_of=version)\n"
                "table = lab_features.from_tables(tables)\n"
                "print(f'version {version}: {len(table)} person-days, '\n"
                "      f\"{table['user_id'].nunique()} people\")"
            ),
            new_code_cell(
                "# Target: the weight known 7 days later minus the weight known on day D.\n"
                "later = table[['user_id', 'day', 'weight_kg_last']].copy()\n"
                "later['day'] = pd.to_datetime(later['day']) - pd.Timedelta(days=horizon_days)\n"
                "later['day'] = later['day'].dt.date\n"
                "data = table.merge(later.rename(columns={'weight_kg_last': 'weight_later'}),\n"
                "                   on=['user_id', 'day'], how='inner')\n"
                "data['target'] = data['weight_later'] - data['weight_kg_last']\n"
                "data = data[data['target'].notna()].reset_index(drop=True)\n"
                "categorical = ['sex', 'goal', 'activity_level', 'plan_tier']\n"
                "numeric = [f.name for f in lab_features.FEATURES if f.name not in categorical]\n"
                "X = pd.get_dummies(data[numeric + categorical], columns=categorical,\n"
                "                   dummy_na=True, dtype=float)\n"
                "X = X.astype(float)\n"
                "# features never measured in this dataset (no meal log, no tracker...) or\n"
                "# constant carry nothing: left out\n"
                "X = X.loc[:, X.notna().any() & (X.nunique() > 1)]\n"
                "days = np.sort(data['day'].unique())\n"
                "cut = days[int(len(days) * (1 - test_share))] if len(days) > 1 else days[-1]\n"
                "train, test = data['day'] < cut, data['day'] >= cut\n"
                "print(f'{train.sum()} training rows, {test.sum()} test rows, split at {cut}; '\n"
                "      f'{X.shape[1]} features used')"
            ),
            new_code_cell(
                "model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05,\n"
                "                                      random_state=seed)\n"
                "model.fit(X[train], data.loc[train, 'target'])\n"
                "predicted = model.predict(X[test])\n"
                "actual = data.loc[test, 'target']\n"
                "metrics = {\n"
                "    'dataset_version': int(version),\n"
                "    'rows_train': int(train.sum()),\n"
                "    'rows_test': int(test.sum()),\n"
                "    'features_used': int(X.shape[1]),\n"
                "    'mae_model_kg': float(mean_absolute_error(actual, predicted)),\n"
                "    'mae_no_change_kg': float(mean_absolute_error(actual, 0 * actual)),\n"
                "    'r2_model': float(r2_score(actual, predicted)) if len(actual) > 1 else None,\n"
                "}\n"
                "metrics"
            ),
            new_code_cell(
                "result = pd.DataFrame([\n"
                "    {'model': 'hist_gradient_boosting', 'mae_kg': metrics['mae_model_kg']},\n"
                "    {'model': 'no_change', 'mae_kg': metrics['mae_no_change_kg']},\n"
                "]).assign(dataset_version=version, rows_train=metrics['rows_train'],\n"
                "          rows_test=metrics['rows_test'])\n"
                "lab.save_output(result, output_path, metrics=metrics)\n"
                "result"
            ),
        ]
    )


NOTEBOOKS = {
    HERE / "getting_started.ipynb": getting_started,
    HERE / "analyses" / "engagement_by_plan.ipynb": engagement_by_plan,
    HERE / "analyses" / "baseline_weight_change.ipynb": baseline,
}


def main(force: bool = False) -> None:
    for path, build in NOTEBOOKS.items():
        if path.exists() and not force:
            print(f"kept {path.relative_to(HERE)} (use --force to rewrite)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build(), path)
        print(f"wrote {path.relative_to(HERE)}")


if __name__ == "__main__":
    main(force="--force" in sys.argv)
