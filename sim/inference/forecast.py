"""Registered forecasts: probabilities of named future events over the posterior, and their scores.

A forecast file (``forecasts/events.toml``) names future events the way a patterns file names
the narrative (:class:`sim.inference.patterns.Pattern`: a variable, a window of years, a statement
kind and a threshold), each with the source that makes it a question worth asking.
``casim forecast`` runs the scenario over the posterior (each run a posterior draw with the
dispositions it infers, the later leaders' drawn dispositions and a seed) and writes the
probability of every event to ``forecasts/registered/<date>-<commit>.csv`` with a JSON record (date, commit, posterior
hash, scenario hash, seed, runs). A registered file is never rewritten.

``casim forecast --score`` scores every registered probability whose window has ended and
whose outcome is recorded in ``forecasts/outcomes.toml`` (happened or not, with the date
and the source): the Brier score, (p - outcome)^2, is 0 for a sure and right forecast and 1
for a sure and wrong one; always saying 0.5 scores 0.25. A forecast registered after its
window ended is scored but flagged: it is a hindcast, not a forecast.

References:
    Brier, G.W. (1950) Verification of forecasts expressed in terms of probability. Monthly
    Weather Review 78(1), 1-3.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from pydantic import Field

from sim.inference.patterns import Pattern, PatternSet, check_all
from sim.inputs.posterior import parameter_source, plan
from sim.inputs.scenario import load_scenario, resolve_path, shipped_scenarios
from sim.io.input_files import InputError, SafeName, Strict, read_csv, read_input
from sim.io.output import git_commit, write_csv, write_json
from sim.model.engine import simulate_plan

ROOT = Path(__file__).resolve().parents[2]
FORECAST_DIR = ROOT / "forecasts"
REGISTERED = "registered"
SEED = 20261130
RUNS = 1000


# What casim forecast names a registration: its date and commit (a JSON record lies beside it).
_REGISTRATION = re.compile(r"^\d{4}-\d{2}-\d{2}-[0-9a-z]+\.csv$")


class ForecastError(InputError):
    """A forecast or outcomes file problem, as one line naming the file, the field and what is allowed."""


class ForecastSet(Strict):
    """The events to forecast, with the scenario they are forecast under."""

    description: str = ""
    scenario: SafeName = "baseline"
    events: list[Pattern] = Field(min_length=1)


class Outcome(Strict):
    """What happened: whether the event's statement held, when that was known, and the source."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    happened: bool
    known: date
    source: str = Field(min_length=10)


class Outcomes(Strict):
    outcomes: list[Outcome] = Field(default_factory=list)


def load_events(path: Path) -> ForecastSet:
    """A forecast file, validated (event ids unique)."""
    forecast = read_input(Path(path), "forecast", ForecastSet, ForecastError)
    PatternSet.model_validate({"patterns": [e.model_dump() for e in forecast.events]})
    return forecast


@dataclass
class Registration:
    """What ``casim forecast`` wrote: the probabilities and their record."""

    table: pd.DataFrame
    record: dict
    path: Path


def forecast(events_file: Path, out: Path = FORECAST_DIR / REGISTERED, runs: int = RUNS, seed: int = SEED,
             today: date | None = None) -> Registration:
    """Register the probability of every event of ``events_file`` over the posterior."""
    events_file = Path(events_file)
    events = load_events(events_file)
    if not resolve_path(events.scenario).is_file():
        raise ForecastError(f"{events_file}: scenario: no scenario {events.scenario!r}; allowed: a shipped scenario "
                            f"({', '.join(shipped_scenarios())}) or the path of a .toml file")
    last = max(e.last_year for e in events.events)
    scenario = load_scenario(events.scenario, end_year=max(last, load_scenario(events.scenario).end_year))
    source = parameter_source("posterior")
    runs_plan = plan(seed, runs, 1, source)
    patterns = PatternSet.model_validate({"patterns": [e.model_dump() for e in events.events]})
    trajectory = simulate_plan(scenario, runs_plan, record=patterns.recorded())
    held = check_all(patterns, trajectory)
    today = today or datetime.now(UTC).date()
    commit = git_commit() or "unknown"
    table = pd.DataFrame({
        "id": [e.id for e in events.events],
        "statement": [e.statement for e in events.events],
        "window": [e.describe_window() for e in events.events],
        "probability": held.mean(axis=1),
        "runs": held.shape[1],
        "registered": today.isoformat(),
    })
    record = {
        "registered": today.isoformat(),
        "git_commit": commit,
        "events_file": events_file.name,
        "events_sha256": hashlib.sha256(events_file.read_bytes()).hexdigest(),
        "scenario": scenario.name,
        "scenario_sha256": scenario.digest(),
        "parameters": source.record(),
        "seed": seed,
        "runs": runs,
    }
    path = Path(out) / f"{today.isoformat()}-{commit[:8]}.csv"
    if path.exists():
        raise ForecastError(f"{path}: a forecast registered today from this commit exists; a registered forecast "
                            "is never rewritten (allowed: another --out)")
    write_csv(table, path)
    write_json(record, path.with_suffix(".json"))
    return Registration(table, record, path)


def load_outcomes(path: Path) -> dict[str, Outcome]:
    """The recorded outcomes by event id."""
    return {o.id: o for o in read_input(Path(path), "outcomes", Outcomes, ForecastError).outcomes}


def score(registered: Path, outcomes_file: Path, events_file: Path, today: date | None = None) -> pd.DataFrame:
    """One row per registered probability whose window has ended and whose outcome is recorded.

    Columns: the event, the registration date, the probability, the outcome (0/1), its source,
    the Brier score, and ``hindcast`` (registered after the window ended).
    """
    today = today or datetime.now(UTC).date()
    outcomes = load_outcomes(outcomes_file)
    windows = {e.id: e.last_year for e in load_events(events_file).events}
    folder = Path(registered)
    if not folder.is_dir():
        raise ForecastError(f"{folder}: not a folder; allowed: a folder of forecasts registered by casim forecast")
    rows = []
    for path in sorted(folder.glob("*.csv")):
        if not _REGISTRATION.match(path.name) or not path.with_suffix(".json").is_file():
            continue  # scores.csv and any other table: only registrations are scored
        table = read_csv(path, "registered forecast", ("id", "registered", "probability", "runs"), ForecastError)
        try:
            table["probability"] = table["probability"].astype(float)
            table["runs"] = table["runs"].astype(int)
        except ValueError:
            raise ForecastError(f"{path}: probability and runs must be numbers; allowed: the table casim forecast "
                                "wrote") from None
        for row in table.itertuples(index=False):
            ended = windows.get(row.id, 9999) < today.year
            if not ended or row.id not in outcomes:
                continue
            outcome = outcomes[row.id]
            hit = float(outcome.happened)
            rows.append({"id": row.id, "file": path.name, "registered": row.registered,
                         "probability": row.probability, "runs": row.runs, "outcome": int(hit),
                         "brier": (row.probability - hit) ** 2, "known": outcome.known.isoformat(),
                         "source": outcome.source,
                         "hindcast": date.fromisoformat(row.registered).year > windows[row.id]})
    return pd.DataFrame(rows, columns=["id", "file", "registered", "probability", "runs", "outcome", "brier",
                                       "known", "source", "hindcast"])


def summary(scores: pd.DataFrame) -> str:
    """One line: how many were scored, the mean Brier score of forecasts and of hindcasts."""
    if scores.empty:
        return "no registered forecast has an ended window and a recorded outcome yet"
    parts = []
    for label, rows in (("forecasts", scores[~scores["hindcast"]]), ("hindcasts", scores[scores["hindcast"]])):
        if len(rows):
            parts.append(f"{len(rows)} {label}, mean Brier score {rows['brier'].mean():.3f}")
    return "; ".join(parts) + " (0 is perfect; always saying 0.5 scores 0.25)"
