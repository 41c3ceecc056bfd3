"""Simulated biometrics and business data: deterministic from a seed, consistent with the user
profiles, scalable from a few hundred users to millions of rows.

Per user: weight, body fat, BMI, sleep, resting heart rate and steps over time; app sessions;
plan changes (free -> Premium -> Premium+, or B2B through an organisation); satisfaction
surveys (0-10). Written into the landing zone as the pipeline's sources expect them:

    <out>/sim_users/users-NNN.csv               profiles (generated mode only)
    <out>/sim_biometrics/biometrics-NNN.csv     one row per user and day (wide)
    <out>/sim_app_sessions/app_sessions-NNN.json
    <out>/sim_subscriptions/subscriptions-NNN.xlsx   sheet "subscriptions"
    <out>/sim_surveys/surveys-NNN.xlsx               sheet "surveys"

Profiles are either generated (sex, birth year, height, a BMI drawn around the population's)
or the published ones (`published_profiles`: sex, birth year, height and the last weight of
users already in the database, e.g. gym members); the series start from each profile's weight
and BMI, and body fat follows the profile (Deurenberg: 1.2 BMI + 0.23 age - 10.8 male - 5.4).

Determinism: every random draw comes from a generator seeded by (seed, stream, block of
BLOCK users), so the same seed gives the same bytes whatever the machine, and generation
runs block by block (vectorised numpy, chunked writes) in bounded memory. XLSX files are
written with fixed timestamps so they too are byte-identical.

Splitting: every file holds at most `rows_per_file` data rows (default 1,000,000) and an XLSX
sheet at most 1,048,575 (Excel's 1,048,576 rows minus the header): larger outputs are split
into numbered parts, each ingested as its own batch.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BLOCK = 1000  # users per random stream block: fixed, so bytes never depend on chunking
XLSX_MAX_ROWS = 1_048_575  # 1,048,576 rows per sheet, one of them the header
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2020-01-01T00:00:00Z"

# Fictional B2B tenants; they must exist in `organisations` before B2B users are published
# (users.organisation_key is resolved against organisations.slug): see seed_organisations.
ORGANISATIONS: tuple[dict[str, str], ...] = (
    {"slug": "sim-gym-lumiere", "name": "Salle Lumière (simulated)", "kind": "gym"},
    {"slug": "sim-gym-rivage", "name": "Rivage Fitness (simulated)", "kind": "gym"},
    {"slug": "sim-mutuelle-azur", "name": "Mutuelle Azur (simulated)", "kind": "insurer"},
    {"slug": "sim-assur-vita", "name": "Assur Vita (simulated)", "kind": "insurer"},
    {"slug": "sim-acme-logistique", "name": "Acme Logistique (simulated)", "kind": "employer"},
    {"slug": "sim-nova-conseil", "name": "Nova Conseil (simulated)", "kind": "employer"},
)

SEXES = np.array(["female", "male"])
GOALS = np.array(
    ["lose_weight", "gain_muscle", "maintain", "improve_fitness", "improve_sleep", "health"]
)
GOAL_P = [0.32, 0.18, 0.15, 0.18, 0.07, 0.10]
ACTIVITY = np.array(["sedentary", "light", "moderate", "active", "very_active"])
ACTIVITY_P = [0.18, 0.27, 0.27, 0.18, 0.10]
STEPS_MEAN = np.array([3500.0, 5500.0, 7500.0, 10000.0, 13000.0])
WORKOUTS = np.array([0, 2, 3, 4, 6])
PLATFORMS = np.array(["ios", "android", "web"])
COMMENTS = np.array(
    [
        "",
        "",
        "",
        "Great coaching plans",
        "Too many notifications",
        "The meal suggestions help",
        "Sync with my watch fails sometimes",
        "Worth the price",
        "Would like more recipes",
    ]
)
# stream ids: one independent random stream per kind of data
_PROFILES, _BIOMETRICS, _SESSIONS, _PLANS, _SURVEYS = range(5)


@dataclass(frozen=True)
class SimConfig:
    users: int = 500
    days: int = 90
    seed: int = 42
    start: date = date(2025, 1, 1)
    rows_per_file: int = 1_000_000
    key_prefix: str = "sim"


@dataclass
class SimResult:
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[Path]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _rng(cfg: SimConfig, stream: int, block: int) -> np.random.Generator:
    return np.random.default_rng([cfg.seed, stream, block])


# ------------------------------------------------------------------ profiles
def make_profiles(cfg: SimConfig) -> pd.DataFrame:
    """Generated profiles, block by block (the same seed gives the same people)."""
    frames = []
    for b, lo in enumerate(range(0, cfg.users, BLOCK)):
        n = min(BLOCK, cfg.users - lo)
        rng = _rng(cfg, _PROFILES, b)
        male = rng.random(n) < 0.48
        height = np.where(male, rng.normal(177, 7, n), rng.normal(164, 6.5, n))
        height = np.clip(height, 145, 205).round(1)
        bmi = np.clip(rng.lognormal(np.log(25.0), 0.14, n), 17.0, 42.0)
        weight = (bmi * (height / 100) ** 2).round(1)
        frames.append(
            pd.DataFrame(
                {
                    "external_key": [f"{cfg.key_prefix}:u{i:07d}" for i in range(lo, lo + n)],
                    "birth_year": rng.integers(1955, 2007, n),
                    "sex": np.where(male, "male", "female"),
                    "height_cm": height,
                    "weight_kg": weight,
                    "goal": rng.choice(GOALS, n, p=GOAL_P),
                    "activity_level": rng.choice(ACTIVITY, n, p=ACTIVITY_P),
                    "experience_level": rng.choice([1, 2, 3], n, p=[0.5, 0.35, 0.15]),
                }
            )
        )
    profiles = pd.concat(frames, ignore_index=True)
    level = pd.Series(ACTIVITY).reset_index().set_index(0)["index"]
    profiles["workouts_per_week"] = WORKOUTS[profiles["activity_level"].map(level).to_numpy()]
    return profiles


def published_profiles(session: Any) -> pd.DataFrame:
    """Profiles of users already published (sex, birth year, height, last weight), e.g. the
    gym members; users without a height or weight are left out."""
    from sqlalchemy import func, select

    from healthai.models import BiometricMeasurement, metadata

    users = metadata.tables["users"]
    bio = BiometricMeasurement.__table__
    last = (
        select(bio.c.user_id, func.max(bio.c.measured_at).label("at"))
        .where(bio.c.metric == "weight_kg")
        .group_by(bio.c.user_id)
        .subquery()
    )
    rows = session.execute(
        select(
            users.c.external_key,
            users.c.birth_year,
            users.c.sex,
            users.c.height_cm,
            bio.c.value.label("weight_kg"),
            users.c.goal,
            users.c.activity_level,
        )
        .join(last, last.c.user_id == users.c.id)
        .join(
            bio,
            (bio.c.user_id == users.c.id)
            & (bio.c.metric == "weight_kg")
            & (bio.c.measured_at == last.c.at),
        )
        .where(users.c.height_cm.is_not(None), users.c.birth_year.is_not(None))
        .order_by(users.c.external_key)
    ).all()
    frame = pd.DataFrame(rows, columns=[c for c in rows[0]._fields] if rows else None)
    if frame.empty:
        return frame
    frame["sex"] = frame["sex"].where(frame["sex"].isin(SEXES), "female")
    frame["goal"] = frame["goal"].fillna("health")
    frame["activity_level"] = frame["activity_level"].fillna("moderate")
    return frame.reset_index(drop=True)


def _blocks(profiles: pd.DataFrame) -> Iterator[tuple[int, pd.DataFrame]]:
    for b, lo in enumerate(range(0, len(profiles), BLOCK)):
        yield b, profiles.iloc[lo : lo + BLOCK].reset_index(drop=True)


def _signup_days(cfg: SimConfig, block: int, n: int) -> np.ndarray:
    """Day (0-based) each user joins: 60 % were there from the start, the others join during
    the first 60 % of the period."""
    rng = _rng(cfg, _PLANS, 10_000 + block)
    late = rng.random(n) < 0.4
    return np.where(late, rng.integers(0, max(1, int(cfg.days * 0.6)), n), 0)


# ------------------------------------------------------------------ series
def biometrics_block(cfg: SimConfig, block: int, prof: pd.DataFrame) -> pd.DataFrame:
    """One row per user and day with data: weight, body fat and BMI on weigh-in days; sleep,
    resting heart rate and steps on the days the tracker was worn."""
    rng = _rng(cfg, _BIOMETRICS, block)
    n, d = len(prof), cfg.days
    t = np.arange(d, dtype=float)[None, :]
    signup = _signup_days(cfg, block, n)[:, None]
    active = t >= signup
    worn = active & (rng.random((n, d)) > 0.08)
    weigh_rate = rng.uniform(0.15, 0.6, n)[:, None]
    weighs = active & ((rng.random((n, d)) < weigh_rate) | (t == signup))
    since = np.maximum(t - signup, 0)

    goal = prof["goal"].to_numpy()[:, None]
    base_w = prof["weight_kg"].to_numpy(float)[:, None]
    change = np.where(
        goal == "lose_weight",
        rng.uniform(-0.10, -0.02, n)[:, None],
        np.where(goal == "gain_muscle", rng.uniform(0.0, 0.04, n)[:, None], 0.0),
    )
    walk = np.cumsum(rng.normal(0, 0.06, (n, d)), axis=1)
    walk -= walk[np.arange(n), np.minimum(signup[:, 0], d - 1)][:, None]  # 0 at signup
    weight = base_w * (1 + change * (1 - np.exp(-since / 90))) + walk
    weight = np.clip(weight + rng.normal(0, 0.3, (n, d)), 30, 300)
    h2 = (prof["height_cm"].to_numpy(float) / 100)[:, None] ** 2
    bmi = weight / h2
    age = (cfg.start.year - prof["birth_year"].to_numpy(float))[:, None]
    male = (prof["sex"].to_numpy() == "male")[:, None]
    fat = 1.2 * bmi + 0.23 * age - 10.8 * male - 5.4 + rng.normal(0, 2.0, n)[:, None]
    fat = np.clip(fat + rng.normal(0, 0.4, (n, d)), 4, 60)

    level = pd.Series(range(len(ACTIVITY)), index=ACTIVITY)
    act = level.reindex(prof["activity_level"]).fillna(2).to_numpy(int)
    weekday = (np.arange(d) + cfg.start.weekday()) % 7
    weekend = (weekday >= 5)[None, :]
    sleep = rng.normal(7.1, 0.6, n)[:, None] + 0.4 * weekend + rng.normal(0, 0.8, (n, d))
    sleep = np.clip(sleep, 3, 12)
    rhr = rng.normal(68 - 3.5 * act, 6, n)[:, None] - 0.01 * since + rng.normal(0, 2.5, (n, d))
    rhr = np.clip(rhr, 38, 110)
    steps = STEPS_MEAN[act][:, None] * rng.lognormal(0, 0.25, n)[:, None]
    steps = steps * np.where(weekend, 0.85, 1.0) * rng.lognormal(-0.06, 0.35, (n, d))
    steps = np.clip(steps, 0, 60_000)

    keep = worn | weighs
    u, day = np.nonzero(keep)
    w, s = weighs[u, day], worn[u, day]
    dates = np.datetime64(cfg.start) + day.astype("timedelta64[D]")
    return pd.DataFrame(
        {
            "user_key": prof["external_key"].to_numpy()[u],
            "date": np.datetime_as_string(dates, unit="D"),
            "weight_kg": np.where(w, weight[u, day].round(1), np.nan),
            "body_fat_pct": np.where(w, fat[u, day].round(1), np.nan),
            "bmi": np.where(w, bmi[u, day].round(2), np.nan),
            "sleep_hours": np.where(s, sleep[u, day].round(1), np.nan),
            "resting_hr_bpm": pd.array(np.where(s, rhr[u, day].round(), np.nan), dtype="Int64"),
            "steps": pd.array(np.where(s, steps[u, day].round(), np.nan), dtype="Int64"),
        }
    )


def plans_block(cfg: SimConfig, block: int, prof: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Plan periods per user and the organisation of B2B users. Journeys: free, then maybe
    Premium, then maybe Premium+, sometimes back to free; 15 % are B2B from their first day."""
    rng = _rng(cfg, _PLANS, block)
    n, d = len(prof), cfg.days
    signup = _signup_days(cfg, block, n)
    b2b = rng.random(n) < 0.15
    org = np.where(b2b, rng.choice([o["slug"] for o in ORGANISATIONS], n), None)
    up1 = rng.random(n) < 0.30
    up2 = rng.random(n) < 0.30
    down = rng.random(n) < 0.12
    t1 = signup + rng.integers(7, max(8, d), n)
    t2 = t1 + rng.integers(14, max(15, d), n)
    t3 = np.where(up2, t2, t1) + rng.integers(20, max(21, d), n)
    users, tiers, starts = [], [], []
    keys = prof["external_key"].to_numpy()
    for i in range(n):
        if b2b[i]:
            steps = [("b2b", signup[i])]
        else:
            steps = [("free", signup[i])]
            if up1[i] and t1[i] < d:
                steps.append(("premium", t1[i]))
                if up2[i] and t2[i] < d:
                    steps.append(("premium_plus", t2[i]))
                if down[i] and t3[i] < d:
                    steps.append(("free", t3[i]))
        for tier, day in steps:
            users.append(keys[i])
            tiers.append(tier)
            starts.append(day)
    frame = pd.DataFrame({"user_key": users, "plan_tier": tiers, "day": starts})
    nxt = frame.groupby("user_key", sort=False)["day"].shift(-1)
    start = pd.Timestamp(cfg.start)
    frame["started_on"] = start + pd.to_timedelta(frame["day"], unit="D")
    frame["ended_on"] = start + pd.to_timedelta(nxt - 1, unit="D")
    frame = frame.drop(columns="day")
    return frame, pd.Series(org, index=keys)


def sessions_block(
    cfg: SimConfig, block: int, prof: pd.DataFrame, plans: pd.DataFrame
) -> pd.DataFrame:
    """App sessions: a Poisson number per user and day (premium users come more often),
    started during waking hours (UTC), lasting a few minutes (log-normal)."""
    rng = _rng(cfg, _SESSIONS, block)
    n, d = len(prof), cfg.days
    signup = _signup_days(cfg, block, n)[:, None]
    paying = plans.groupby("user_key", sort=False)["plan_tier"].agg(
        lambda s: bool(set(s) & {"premium", "premium_plus", "b2b"})
    )
    boost = np.where(paying.reindex(prof["external_key"]).fillna(False).to_numpy(), 1.6, 1.0)
    rate = rng.gamma(2.0, 0.45, n) * boost
    # engagement fades after signup for most users
    decay = np.exp(
        -np.maximum(np.arange(d)[None, :] - signup, 0) / rng.uniform(60, 400, n)[:, None]
    )
    lam = np.where(np.arange(d)[None, :] >= signup, rate[:, None] * (0.3 + 0.7 * decay), 0)
    counts = rng.poisson(lam)
    u, day = np.nonzero(counts)
    reps = counts[u, day]
    u, day = np.repeat(u, reps), np.repeat(day, reps)
    m = len(u)
    seconds = rng.integers(6 * 3600, 23 * 3600, m)
    order = np.lexsort((seconds, day, u))
    u, day, seconds = u[order], day[order], seconds[order]
    pref = rng.choice(3, n, p=[0.55, 0.40, 0.05])
    platform = np.where(rng.random(m) < 0.85, pref[u], rng.choice(3, m))
    duration = np.clip(rng.lognormal(np.log(240), 0.8, m), 5, 86_400).round().astype(int)
    started = np.datetime64(cfg.start, "s") + (day.astype("int64") * 86_400 + seconds).astype(
        "timedelta64[s]"
    )
    return pd.DataFrame(
        {
            "user_key": prof["external_key"].to_numpy()[u],
            "started_at": np.char.add(np.datetime_as_string(started, unit="s"), "Z"),
            "duration_s": duration,
            "platform": PLATFORMS[platform],
        }
    )


def surveys_block(
    cfg: SimConfig, block: int, prof: pd.DataFrame, plans: pd.DataFrame
) -> pd.DataFrame:
    """A satisfaction survey every ~90 days, answered by about half the users; paying users
    score a little higher."""
    rng = _rng(cfg, _SURVEYS, block)
    n, d = len(prof), cfg.days
    signup = _signup_days(cfg, block, n)
    waves = np.arange(30, d, 90)
    if not len(waves):
        return pd.DataFrame(columns=["user_key", "answered_on", "score", "comment"])
    last_tier = plans.groupby("user_key", sort=False)["plan_tier"].last()
    tier = last_tier.reindex(prof["external_key"]).fillna("free").to_numpy()
    mood = rng.normal(7.0, 1.5, n) + np.where(tier == "free", -0.6, 0.4)
    answers = (rng.random((n, len(waves))) < 0.5) & (waves[None, :] >= signup[:, None])
    u, w = np.nonzero(answers)
    day = waves[w] + rng.integers(0, 14, len(u))
    day = np.minimum(day, d - 1)
    score = np.clip(np.rint(mood[u] + rng.normal(0, 1.2, len(u))), 0, 10).astype(int)
    comment = COMMENTS[rng.integers(0, len(COMMENTS), len(u))]
    return pd.DataFrame(
        {
            "user_key": prof["external_key"].to_numpy()[u],
            "answered_on": pd.Timestamp(cfg.start) + pd.to_timedelta(day, unit="D"),
            "score": score,
            "comment": comment,
        }
    )


# ------------------------------------------------------------------ writers
class PartWriter:
    """Append frames to `<folder>/<stem>-NNN.<fmt>`, starting a new part every `cap` rows."""

    def __init__(self, folder: Path, stem: str, fmt: str, cap: int, sheet: str = "") -> None:
        if fmt == "xlsx":
            cap = min(cap, XLSX_MAX_ROWS)
        self.folder, self.stem, self.fmt, self.cap, self.sheet = folder, stem, fmt, cap, sheet
        self.files: list[Path] = []
        self.rows = 0
        self._in_part = 0
        self._fh: Any = None
        self._wb: Any = None
        self._ws: Any = None
        self._first = True
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, frame: pd.DataFrame) -> None:
        start = 0
        while start < len(frame):
            if self._fh is None and self._wb is None:
                self._open(list(frame.columns))
            take = min(self.cap - self._in_part, len(frame) - start)
            self._append(frame.iloc[start : start + take])
            start += take
            self._in_part += take
            self.rows += take
            if self._in_part >= self.cap:
                self._close()

    def _open(self, columns: list[str]) -> None:
        path = self.folder / f"{self.stem}-{len(self.files) + 1:03d}.{self.fmt}"
        self.files.append(path)
        self._in_part, self._first = 0, True
        if self.fmt == "csv":
            self._fh = path.open("w", encoding="utf-8", newline="")
            self._fh.write(",".join(columns) + "\n")
        elif self.fmt == "json":
            self._fh = path.open("w", encoding="utf-8")
            self._fh.write("[\n")
        else:
            from openpyxl import Workbook

            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet(self.sheet or self.stem)
            self._ws.append(columns)

    def _append(self, frame: pd.DataFrame) -> None:
        if self.fmt == "csv":
            frame.to_csv(self._fh, header=False, index=False, lineterminator="\n")
        elif self.fmt == "json":
            lines = frame.to_json(orient="records", lines=True, force_ascii=False)
            body = ",\n".join(line for line in lines.split("\n") if line)
            self._fh.write(("" if self._first else ",\n") + body)
        else:
            values = frame.astype(object).where(frame.notna(), None)
            for row in values.itertuples(index=False, name=None):
                self._ws.append([v.date() if isinstance(v, pd.Timestamp) else v for v in row])
        self._first = False

    def _close(self) -> None:
        path = self.files[-1]
        if self.fmt == "json":
            self._fh.write("\n]\n")
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._wb is not None:
            buffer = io.BytesIO()
            self._wb.save(buffer)
            path.write_bytes(_deterministic_zip(buffer.getvalue()))
            self._wb = self._ws = None

    def close(self) -> list[Path]:
        if self._fh is not None or self._wb is not None:
            self._close()
        return self.files


_DOC_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _deterministic_zip(data: bytes) -> bytes:
    """An XLSX with fixed timestamps (zip entries and document properties)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _DOC_TIMES.sub(rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<2>", content)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


# ------------------------------------------------------------------ entry point
USER_COLUMNS = [
    "external_key",
    "birth_year",
    "sex",
    "height_cm",
    "goal",
    "activity_level",
    "experience_level",
    "workouts_per_week",
    "plan_tier",
    "organisation",
]


def simulate(cfg: SimConfig, out: Path, profiles: pd.DataFrame | None = None) -> SimResult:
    """Generate everything into `out/<source>/`. With `profiles` (e.g. published_profiles),
    the series follow those users and no users file is written."""
    began = time.perf_counter()
    generated = profiles is None
    if profiles is None:
        profiles = make_profiles(cfg)
    if not len(profiles):
        raise ValueError("no user profile to simulate")
    cap = cfg.rows_per_file
    writers = {
        "sim_biometrics": PartWriter(out / "sim_biometrics", "biometrics", "csv", cap),
        "sim_app_sessions": PartWriter(out / "sim_app_sessions", "app_sessions", "json", cap),
        "sim_subscriptions": PartWriter(
            out / "sim_subscriptions", "subscriptions", "xlsx", cap, "subscriptions"
        ),
        "sim_surveys": PartWriter(out / "sim_surveys", "surveys", "xlsx", cap, "surveys"),
    }
    if generated:
        writers["sim_users"] = PartWriter(out / "sim_users", "users", "csv", cap)
    for block, prof in _blocks(profiles):
        plans, orgs = plans_block(cfg, block, prof)
        if generated:
            users = prof.assign(
                plan_tier=plans.groupby("user_key", sort=False)["plan_tier"]
                .last()
                .reindex(prof["external_key"])
                .to_numpy(),
                organisation=orgs.reindex(prof["external_key"]).to_numpy(),
            )
            writers["sim_users"].write(users[USER_COLUMNS])
        writers["sim_biometrics"].write(biometrics_block(cfg, block, prof))
        writers["sim_app_sessions"].write(sessions_block(cfg, block, prof, plans))
        writers["sim_subscriptions"].write(plans)
        writers["sim_surveys"].write(surveys_block(cfg, block, prof, plans))
    result = SimResult()
    for name, writer in writers.items():
        result.files[name] = writer.close()
        result.rows[name] = writer.rows
    result.seconds = time.perf_counter() - began
    return result


def seed_organisations(session: Any) -> int:
    """Create the simulated B2B organisations that do not exist yet; returns how many."""
    from sqlalchemy import insert, select

    from healthai.models import metadata

    table = metadata.tables["organisations"]
    known = set(session.scalars(select(table.c.slug)))
    missing = [o for o in ORGANISATIONS if o["slug"] not in known]
    if missing:
        session.execute(insert(table), missing)
    return len(missing)


def summary(result: SimResult) -> str:
    lines = [
        f"{name:18} {rows:>12,} rows in {len(result.files[name])} file(s)"
        for name, rows in result.rows.items()
    ]
    rate = result.total_rows / result.seconds if result.seconds else 0
    lines.append(f"{'total':18} {result.total_rows:>12,} rows in {result.seconds:.1f} s "
                 f"({rate:,.0f} rows/s)")  # fmt: skip
    return "\n".join(lines)


# ------------------------------------------------------------------ command line
def add_cli(sub: Any) -> None:
    """Register `healthai simulate` on the CLI's subparsers."""
    sim = sub.add_parser(
        "simulate",
        help="write simulated biometrics, app sessions, plans and surveys into the landing zone",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    sim.add_argument("--users", type=int, default=500, help="users to simulate (default 500)")
    sim.add_argument("--days", type=int, default=90, help="days of history (default 90)")
    sim.add_argument("--seed", type=int, default=42, help="random seed (same seed, same bytes)")
    sim.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1),
                     help="first simulated day, YYYY-MM-DD (default 2025-01-01)")  # fmt: skip
    sim.add_argument("--out", type=Path, default=None,
                     help="output folder (default: the landing zone, LANDING_DIR)")  # fmt: skip
    sim.add_argument("--rows-per-file", type=int, default=1_000_000,
                     help="split outputs into parts of at most this many rows "
                     "(XLSX: at most 1,048,575)")  # fmt: skip
    sim.add_argument("--from-published", action="store_true",
                     help="follow the users already published (e.g. gym members) instead of "
                     "generating profiles; no users file is written")  # fmt: skip
    sim.add_argument("--seed-organisations", action="store_true",
                     help="create the simulated B2B organisations in the database "
                     "(needed before B2B users are published)")  # fmt: skip
    sim.set_defaults(func=run_cli)


def run_cli(args: Any) -> None:
    from healthai.db import get_engine, session_scope
    from healthai.settings import get_settings

    settings = get_settings()
    cfg = SimConfig(args.users, args.days, args.seed, args.start, args.rows_per_file)
    profiles = None
    if args.from_published or args.seed_organisations:
        with session_scope(get_engine(settings.database_url)) as session:
            if args.seed_organisations:
                print(f"organisations created: {seed_organisations(session)}")
            if args.from_published:
                profiles = published_profiles(session)
                if profiles.empty:
                    raise SystemExit("no published user with a height and a weight to follow")
                profiles = profiles.head(args.users)
    result = simulate(cfg, args.out or settings.landing_dir, profiles)
    print(summary(result))
