"""Patterns: the articles' narrative as checkable statements on the model's output.

Pattern-oriented modelling (Grimm et al. 2005): each pattern names one output variable, a
time window, a kind of statement, a tolerance and the article passage it encodes. It is
checked in every replicate; its pass rate is the share of replicates that satisfy it.
Relative statements (rises, falls, peaks) are preferred where the articles give no number.

Kinds:
    ``below`` / ``above``: the mean over ``window`` is below (above) ``value``; with
        ``every_year = true`` each year of the window must be.
    ``rises`` / ``falls``: the mean over ``window`` exceeds (falls short of) the mean over
        ``reference`` by more than ``tolerance``.
    ``peak``: the mean over ``window`` exceeds the mean over the rest of ``span`` by more
        than ``tolerance``.

Besides pass or fail, each pattern gives a continuous *statistic* per run (the window mean,
the largest or smallest year with ``every_year``, or the difference of two means) and its
*margin*: how far the statistic lies on the passing side of the threshold, in units of the
pattern's ``scale`` (its tolerance where it has one, else the size of its threshold). The
calibration measures distances with the margins, not with pass counts (docs/ODD.md, 7.8).

References:
    Grimm, V. et al. (2005) Pattern-oriented modeling of agent-based complex systems:
    lessons from ecology. Science 310, 987-991.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from sim.inputs.drivers import FIRST_YEAR
from sim.inputs.scenario import LAST_YEAR, find_scenario
from sim.io.input_files import FiniteFloat, InputError, Strict, read_input
from sim.model.engine import Trajectory
from sim.model.outcomes import VariableRef

PATTERNS_FILE = Path(__file__).resolve().parents[2] / "experiments" / "patterns.toml"
Factor = Literal["water", "territory", "economy", "leaders_trust", "institutions", "integration"]
# A year the model can simulate.
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


class PatternError(InputError):
    """A patterns-file problem, as one line naming the file, the field and what is allowed."""


class Pattern(Strict):
    """One checkable statement of the narrative."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    factor: Factor
    statement: str = Field(min_length=1)
    variable: str
    kind: Literal["below", "above", "rises", "falls", "peak"]
    window: list[Year] = Field(min_length=2, max_length=2)
    reference: list[Year] | None = Field(default=None, min_length=2, max_length=2)
    span: list[Year] | None = Field(default=None, min_length=2, max_length=2)
    value: FiniteFloat | None = None
    every_year: bool = False
    tolerance: FiniteFloat = Field(default=0.0, ge=0.0)
    scale: FiniteFloat | None = Field(default=None, gt=0.0)
    tags: list[str] = Field(default_factory=list)
    source: str = Field(min_length=1)

    @field_validator("variable")
    @classmethod
    def _known_variable(cls, text: str) -> str:
        VariableRef.parse(text)
        return text

    @field_validator("value", "tolerance", "scale", mode="before")
    @classmethod
    def _number(cls, value):
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _complete(self) -> Pattern:
        for name in ("window", "reference", "span"):
            years = getattr(self, name)
            if years is not None and years[0] > years[1]:
                raise ValueError(f"{name} = {years}: the first year must not be after the last")
        needs = {"below": "value", "above": "value", "rises": "reference", "falls": "reference", "peak": "span"}
        if getattr(self, needs[self.kind]) is None:
            raise ValueError(f"a {self.kind} pattern needs {needs[self.kind]}")
        if self.kind == "peak" and not (self.span[0] <= self.window[0] and self.window[1] <= self.span[1]
                                        and self.span != self.window):
            raise ValueError(f"span {self.span} must contain the window {self.window} and more years")
        if self.scale is None and self.tolerance == 0.0 and not self.value:
            raise ValueError("give scale: the size of a clear miss (the pattern has no tolerance or value to take it from)")
        return self

    @property
    def unit(self) -> float:
        """How far off counts as one unit of miss: ``scale``, else the tolerance, else |value|."""
        if self.scale is not None:
            return self.scale
        return self.tolerance if self.tolerance > 0.0 else abs(self.value)

    @property
    def first_year(self) -> int:
        return min(years[0] for years in (self.window, self.reference, self.span) if years is not None)

    @property
    def last_year(self) -> int:
        """The last year the pattern looks at (decides in-sample or out-of-sample)."""
        return max(years[1] for years in (self.window, self.reference, self.span) if years is not None)

    def describe_window(self) -> str:
        text = f"{self.window[0]}-{self.window[1]}"
        if self.reference is not None:
            text += f" vs {self.reference[0]}-{self.reference[1]}"
        if self.span is not None:
            text += f" within {self.span[0]}-{self.span[1]}"
        return text

    def statistic(self, trajectory: Trajectory) -> np.ndarray:
        """The pattern's statistic in each replicate (R,).

        ``below`` / ``above``: the window mean, or with ``every_year`` its largest (smallest)
        year; ``rises`` / ``falls``: window mean less reference mean; ``peak``: window mean
        less the mean of the rest of the span.
        """
        values = VariableRef.parse(self.variable).values(trajectory)
        years = trajectory.years
        if self.first_year < years[0] or self.last_year > years[-1]:
            raise ValueError(f"pattern {self.id} needs {self.first_year}-{self.last_year}; the run has "
                             f"{years[0]}-{years[-1]}")

        def rows(first: int, last: int) -> np.ndarray:
            return (years >= first) & (years <= last)

        inside = values[rows(*self.window)]
        if self.kind in ("below", "above"):
            if not self.every_year:
                return inside.mean(axis=0)
            return inside.max(axis=0) if self.kind == "below" else inside.min(axis=0)
        if self.kind in ("rises", "falls"):
            return inside.mean(axis=0) - values[rows(*self.reference)].mean(axis=0)
        rest = rows(*self.span) & ~rows(*self.window)
        return inside.mean(axis=0) - values[rest].mean(axis=0)

    def margin(self, statistic: np.ndarray) -> np.ndarray:
        """How far each statistic lies on the passing side of the threshold, in units of
        :attr:`unit` (positive: the pattern holds)."""
        if self.kind == "below":
            distance = self.value + self.tolerance - statistic
        elif self.kind == "above":
            distance = statistic - (self.value - self.tolerance)
        elif self.kind == "falls":
            distance = -self.tolerance - statistic
        else:  # rises, peak
            distance = statistic - self.tolerance
        return distance / self.unit

    def check(self, trajectory: Trajectory) -> np.ndarray:
        """Whether each replicate satisfies the pattern (R,) bool."""
        return self.margin(self.statistic(trajectory)) > 0.0


class PatternSet(Strict):
    """The patterns file: the calibration cut-off year and the patterns."""

    description: str = ""
    calibration_cutoff: int = Field(default=2016, ge=1991, le=2100)
    counterfactual: str | None = None
    patterns: list[Pattern] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> PatternSet:
        ids = [p.id for p in self.patterns]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"patterns: ids must be unique; repeated: {', '.join(duplicated)}")
        return self

    def in_sample(self, pattern: Pattern) -> bool:
        """Whether the pattern lies wholly before the calibration cut-off."""
        return pattern.last_year <= self.calibration_cutoff

    @property
    def first_year(self) -> int:
        return min(p.first_year for p in self.patterns)

    @property
    def last_year(self) -> int:
        return max(p.last_year for p in self.patterns)

    def recorded(self) -> set[tuple[str, str]]:
        """The (scope, variable) pairs a run must record to check every pattern."""
        return {(ref.scope, ref.variable) for ref in (VariableRef.parse(p.variable) for p in self.patterns)}


def load_patterns(path: str | Path = PATTERNS_FILE) -> PatternSet:
    """Load and validate a patterns file (default: ``experiments/patterns.toml``).

    Its ``counterfactual`` is a scenario next to the file, else a shipped one by name.
    """
    path = Path(path)
    patterns = read_input(path, "patterns", PatternSet, PatternError)
    if patterns.counterfactual is not None and not find_scenario(patterns.counterfactual, path).is_file():
        raise PatternError(f"{path}: counterfactual: no scenario {patterns.counterfactual!r} next to this file "
                           "or among the shipped ones")
    return patterns


def find_patterns(reference: str, beside: Path, error: type[InputError] = PatternError) -> Path:
    """The patterns file an experiment or calibration ``beside`` names: next to it, else a
    shipped one in ``experiments/`` (``.toml`` added if missing).

    Raises:
        error: there is no such file, naming ``beside`` and its ``patterns`` field.
    """
    candidate = beside.parent / reference
    shipped = PATTERNS_FILE.parent / f"{reference.removesuffix('.toml')}.toml"
    found = candidate if candidate.is_file() or "/" in reference else shipped
    if not found.is_file():
        raise error(f"{beside}: patterns: no patterns file {reference!r} next to this file or among the shipped "
                    f"ones in {PATTERNS_FILE.parent}")
    return found


def check_all(patterns: PatternSet, trajectory: Trajectory) -> np.ndarray:
    """Pass (True) or fail of every pattern in every replicate (P, R)."""
    return np.array([pattern.check(trajectory) for pattern in patterns.patterns])


def statistics(patterns: PatternSet, trajectory: Trajectory) -> np.ndarray:
    """Every pattern's statistic in every replicate (P, R)."""
    return np.array([pattern.statistic(trajectory) for pattern in patterns.patterns])


def margins(patterns: PatternSet, statistic: np.ndarray) -> np.ndarray:
    """Every pattern's margin (P, R) from its statistics (P, R); positive where it holds."""
    return np.array([pattern.margin(values) for pattern, values in zip(patterns.patterns, statistic)])


def score_table(patterns: PatternSet, passed: np.ndarray, pass_level: float = 0.8) -> pd.DataFrame:
    """One row per pattern: pass rate over replicates, replicates, sample, and whether it is
    reproduced (pass rate at least ``pass_level``)."""
    rates = passed.mean(axis=1)
    return pd.DataFrame({
        "pattern": [p.id for p in patterns.patterns],
        "factor": [p.factor for p in patterns.patterns],
        "statement": [p.statement for p in patterns.patterns],
        "window": [p.describe_window() for p in patterns.patterns],
        "sample": ["in-sample" if patterns.in_sample(p) else "out-of-sample" for p in patterns.patterns],
        "pass_rate": rates,
        "replicates": passed.shape[1],
        "reproduced": rates >= pass_level,
        "source": [p.source for p in patterns.patterns],
    })


def trajectory_from_table(table: pd.DataFrame) -> Trajectory:
    """A :class:`Trajectory` from a tidy table (``sim.run``'s columns), e.g. a hand-made one.

    Replicates are the table's seeds in sorted order; missing values are NaN.
    """
    from sim.model.engine import ENTITIES

    years = np.sort(table["year"].unique())
    seeds = np.sort(table["seed"].unique())
    series: dict[str, dict[str, np.ndarray]] = {}
    for (scope, variable), rows in table.groupby(["scope", "variable"], observed=True):
        entities = ENTITIES[scope]
        values = np.full((len(years), len(seeds), len(entities)), np.nan)
        values[np.searchsorted(years, rows["year"]), np.searchsorted(seeds, rows["seed"]),
               [entities.index(e) for e in rows["entity"]]] = rows["value"].to_numpy()
        series.setdefault(scope, {})[variable] = values[:, :, 0] if scope == "region" else values
    return Trajectory(years=years, seeds=seeds, series=series)
