"""The benchmark's input files, written with the simulator's own generators
(healthai.simulate): a users file, a sim_biometrics file of exactly `rows` rows, an
increment of 1 % new rows on later days, and the same users' app sessions, plans and
surveys. A fixed small share of rows is made invalid so the
quarantine accounting is exercised; the expected counts are computed here, independently of
the pipeline, so the harness can check that every row ends where it should."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from healthai import simulate
from healthai.sources.simulated import METRIC_COLUMNS

DAYS = 365  # days of history in the full file
START = date(2024, 1, 1)
BAD_EVERY = 200  # one row in 200 (0.5 %) is made invalid, of five kinds in turn
BAD_KINDS = ("out_of_range", "impossible_date", "malformed_user_key", "no_measurement", "duplicate")
ROWS_PER_USER_DAY = 0.8  # about how many rows a user gives per day (signups, gaps)
# App sessions, plan periods and surveys of the same users over the first BUSINESS_DAYS
# days (published at setup, not measured): enough for the business analytics to work on.
BUSINESS_DAYS = 60


@dataclass
class FileFacts:
    """What the pipeline must do with one file: rows in, rows quarantined, measurements
    published (one per non-empty metric of a valid row)."""

    path: str
    rows: int
    bad_rows: int
    bad_by_kind: dict[str, int]
    measurements: int
    bytes: int

    @property
    def good_rows(self) -> int:
        return self.rows - self.bad_rows


@dataclass
class Dataset:
    users_csv: str
    users: int
    full: FileFacts
    increment: FileFacts
    business_files: dict[str, list[str]]
    business_rows: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {
            "users_csv": self.users_csv,
            "users": self.users,
            "full": asdict(self.full),
            "increment": asdict(self.increment),
            "business_rows": self.business_rows,
        }


def _blocks(profiles: pd.DataFrame) -> Iterator[tuple[int, pd.DataFrame]]:
    for b, lo in enumerate(range(0, len(profiles), simulate.BLOCK)):
        yield b, profiles.iloc[lo : lo + simulate.BLOCK].reset_index(drop=True)


def write_users(cfg: simulate.SimConfig, profiles: pd.DataFrame, path: Path) -> None:
    """The users file as `healthai simulate` writes it (plan and organisation included)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        for block, prof in _blocks(profiles):
            plans, orgs = simulate.plans_block(cfg, block, prof)
            users = prof.assign(
                plan_tier=plans.groupby("user_key", sort=False)["plan_tier"]
                .last()
                .reindex(prof["external_key"])
                .to_numpy(),
                organisation=orgs.reindex(prof["external_key"]).to_numpy(),
            )
            users[simulate.USER_COLUMNS].to_csv(
                fh, header=block == 0, index=False, lineterminator="\n"
            )


def _spoil(frame: pd.DataFrame, first_row: int, counts: dict[str, int]) -> pd.Series:
    """Make every BAD_EVERY-th row (file-wide numbering) invalid in place; returns the mask
    of the rows made invalid. Bad rows are never adjacent, so a duplicate always copies a
    valid row (which stays valid: the first of two rows with the same key is kept)."""
    numbers = np.arange(first_row, first_row + len(frame))
    bad = (numbers % BAD_EVERY) == BAD_EVERY // 2
    bad &= np.arange(len(frame)) > 0  # a duplicate needs a previous row in the frame
    for i in np.flatnonzero(bad):
        kind = BAD_KINDS[(numbers[i] // BAD_EVERY) % len(BAD_KINDS)]
        counts[kind] += 1
        if kind == "out_of_range":
            frame.iat[i, frame.columns.get_loc("weight_kg")] = 999.0
        elif kind == "impossible_date":
            frame.iat[i, frame.columns.get_loc("date")] = "2024-02-30"
        elif kind == "malformed_user_key":
            frame.iat[i, frame.columns.get_loc("user_key")] = "not a key"
        elif kind == "no_measurement":
            for col in METRIC_COLUMNS:
                frame.iat[i, frame.columns.get_loc(col)] = None
        else:  # duplicate: the same user and day as the row before
            for col in ("user_key", "date"):
                frame.iat[i, frame.columns.get_loc(col)] = frame.iat[
                    i - 1, frame.columns.get_loc(col)
                ]
    return pd.Series(bad, index=frame.index)


def write_biometrics(
    cfg: simulate.SimConfig, profiles: pd.DataFrame, rows: int, path: Path
) -> FileFacts:
    """Exactly `rows` rows of the sim_biometrics CSV, block by block (bounded memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(BAD_KINDS, 0)
    written, measurements = 0, 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        for block, prof in _blocks(profiles):
            if written >= rows:
                break
            frame = simulate.biometrics_block(cfg, block, prof).head(rows - written)
            frame = frame.astype({c: object for c in ("weight_kg", "date", "user_key")})
            frame[METRIC_COLUMNS] = frame[METRIC_COLUMNS].astype(object)
            bad = _spoil(frame, written, counts)
            good = frame.loc[~bad, METRIC_COLUMNS]
            measurements += int(good.notna().to_numpy().sum())
            frame.to_csv(fh, header=written == 0, index=False, lineterminator="\n")
            written += len(frame)
    if written < rows:
        raise ValueError(f"{path.name}: only {written} rows for {rows} asked (too few users)")
    return FileFacts(
        str(path), written, sum(counts.values()), counts, measurements, path.stat().st_size
    )


def last_days(n: int) -> tuple[date, date]:
    """The last `n` days of the full file's period (for the analytics' date ranges)."""
    end = START + timedelta(days=DAYS - 1)
    return end - timedelta(days=n - 1), end


def build(folder: Path, rows: int, seed: int = 42) -> Dataset:
    """Users, the full file of `rows` rows and the increment (1 % of `rows`, later days)."""
    users = max(1, math.ceil(rows / (DAYS * ROWS_PER_USER_DAY)))
    cfg = simulate.SimConfig(users=users, days=DAYS, seed=seed, start=START)
    profiles = simulate.make_profiles(cfg)
    users_csv = folder / "users.csv"
    write_users(cfg, profiles, users_csv)
    full = write_biometrics(cfg, profiles, rows, folder / "biometrics-full.csv")
    new_rows = max(1, rows // 100)
    # The increment: the same users on the days after the full file (no overlap).
    inc_days = max(2, math.ceil(new_rows / (users * ROWS_PER_USER_DAY)) + 1)
    inc_cfg = simulate.SimConfig(
        users=users, days=inc_days, seed=seed + 1, start=START + timedelta(days=DAYS)
    )
    increment = write_biometrics(inc_cfg, profiles, new_rows, folder / "biometrics-new.csv")
    business = simulate.SimConfig(users=users, days=BUSINESS_DAYS, seed=seed, start=START)
    written = simulate.simulate(business, folder / "business", profiles)
    extra = {
        name: [str(p) for p in written.files[name]]
        for name in ("sim_app_sessions", "sim_subscriptions", "sim_surveys")
    }
    return Dataset(str(users_csv), users, full, increment, extra, dict(written.rows))
