"""Experiment files: scenarios x a parameter design x replicates, and the outcomes to keep.

An experiment is TOML, validated like a scenario: every problem is one line naming the
file, the field and what is allowed (:class:`ExperimentError`), before anything runs. See
``docs/experiments.md`` for the format and ``experiments/`` for examples.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, field_validator, model_validator

from sim.experiments.factors import Factor, apply_factors
from sim.inputs.parameters import parameter_specs
from sim.inputs.scenario import SCENARIO_DIR, Scenario, find_scenario, load_scenario
from sim.io.input_files import (
    MAX_REPLICATES,
    MAX_SEED,
    FiniteFloat,
    InputError,
    SafeName,
    Strict,
    read_input,
    validation_line,
)
from sim.model.outcomes import VariableRef, window_mean

EXPERIMENT_DIR = Path(__file__).resolve().parents[2] / "experiments"
# Columns of every run row, before the parameters and outcomes.
RUN_COLUMNS = ("scenario", "point", "replicate", "seed", "draw")
# Run columns holding whether a pattern of the experiment's patterns file holds, and its
# statistic (sim.inference.patterns.Pattern.statistic).
PATTERN_PREFIX = "pass_"
STATISTIC_PREFIX = "stat_"


class ExperimentError(InputError):
    """An experiment problem, as one line: ``file: field: what is wrong and what is allowed``."""


class Design(Strict):
    """How parameter values are drawn from their ranges.

    ``none``: the scenarios' own values. ``grid``: ``levels`` evenly spaced values per
    parameter, all combinations. ``latin``: ``samples`` points of a Latin hypercube.
    ``sobol``: Saltelli's scheme for Sobol' indices with base sample ``samples`` (a power of
    two), N(2k+2) points with ``second_order``, else N(k+2). ``morris``: ``samples``
    trajectories on a ``levels``-level grid, N(k+1) points. Sampling is done by SALib.
    """

    method: Literal["none", "grid", "latin", "sobol", "morris"] = "none"
    samples: int = Field(default=0, ge=0, le=10_000_000)
    levels: int = Field(default=4, ge=2, le=1000)
    second_order: bool = False
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _samples_given(self) -> Design:
        if self.method in ("latin", "sobol", "morris") and self.samples < 1:
            raise ValueError(f"design.samples: the {self.method} design needs samples >= 1")
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"design.samples = {self.samples}: the sobol design needs a power of two (512, 1024...)")
        return self


class Summary(Strict):
    """One number per run: a variable in one ``year``, or its mean over ``years = [first, last]``;
    with ``relative_to = [first, last]``, less its mean over those years (a change: "does
    integration keep rising?")."""

    variable: str
    year: int | None = None
    years: list[int] | None = Field(default=None, min_length=2, max_length=2)
    relative_to: list[int] | None = Field(default=None, min_length=2, max_length=2)

    @field_validator("variable")
    @classmethod
    def _known_variable(cls, text: str) -> str:
        VariableRef.parse(text)
        return text

    @model_validator(mode="after")
    def _one_window(self) -> Summary:
        if (self.year is None) == (self.years is None):
            raise ValueError("give exactly one of year or years = [first, last]")
        for name in ("years", "relative_to"):
            years = getattr(self, name)
            if years is not None and years[0] > years[1]:
                raise ValueError(f"{name} = {years}: the first year must not be after the last")
        return self

    @property
    def window(self) -> tuple[int, int]:
        return (self.year, self.year) if self.year is not None else (self.years[0], self.years[1])

    @property
    def span(self) -> tuple[int, int]:
        """Every year the summary reads."""
        first, last = self.window
        if self.relative_to is not None:
            first, last = min(first, self.relative_to[0]), max(last, self.relative_to[1])
        return first, last

    def value(self, trajectory):
        """The summary in each run (R,)."""
        ref = VariableRef.parse(self.variable)
        value = window_mean(trajectory, ref, *self.window)
        return value if self.relative_to is None else value - window_mean(trajectory, ref, *self.relative_to)


class Discovery(Strict):
    """Scenario discovery: which parameter box makes ``outcome`` below (or above) a value likely.

    ``threshold`` is the share of runs in the box that must meet the condition (PRIM's
    peeling stops there).
    """

    outcome: str
    below: FiniteFloat | None = None
    above: FiniteFloat | None = None
    threshold: FiniteFloat = Field(default=0.8, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _one_side(self) -> Discovery:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of below or above")
        return self

    def describe(self) -> str:
        return f"{self.outcome} < {self.below}" if self.below is not None else f"{self.outcome} > {self.above}"


class Analysis(Strict):
    """What ``casim analyze`` does beyond the defaults."""

    discover: list[Discovery] = Field(default_factory=list)


def _float_ranges(values):
    """TOML integers are fine where a float is expected in ``{name: [low, high]}``."""
    if isinstance(values, dict):
        return {name: [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in bounds]
                if isinstance(bounds, list) else bounds for name, bounds in values.items()}
    return values


def _check_ranges(values: dict[str, list[float]]) -> dict[str, list[float]]:
    """Parameter ranges ``{name: [low, high]}``: known names, low < high, inside the documented range."""
    specs = parameter_specs()
    for name, bounds in values.items():
        if name not in specs:
            raise ValueError(f"unknown parameter {name!r}; see sim/data/parameters.csv for the allowed names")
        spec = specs[name]
        if len(bounds) != 2 or not bounds[0] < bounds[1]:
            raise ValueError(f"{name} = {bounds}: give a range [low, high] with low < high")
        if bounds[0] < spec.min or bounds[1] > spec.max:
            raise ValueError(f"{name} = {bounds} leaves the documented range [{spec.min}, {spec.max}] ({spec.unit})")
    return values


# The largest design a batch builds (its table alone must fit in memory).
MAX_DESIGN_POINTS = 10_000_000

# Parameter ranges by name, as experiments and calibrations give them.
ParameterRanges = Annotated[dict[str, list[FiniteFloat]], BeforeValidator(_float_ranges), AfterValidator(_check_ranges)]


class Experiment(Strict):
    """A validated experiment."""

    name: SafeName
    description: str = ""
    scenarios: list[str] = Field(min_length=1)
    replicates: int = Field(default=1, ge=1, le=MAX_REPLICATES)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    chunk_runs: int = Field(default=1000, ge=1, le=100_000)
    design: Design = Field(default_factory=Design)
    parameters: ParameterRanges = Field(default_factory=dict)
    factors: dict[str, Factor] = Field(default_factory=dict)
    outcomes: dict[str, Summary] = Field(default_factory=dict)
    series: list[str] = Field(default_factory=list)
    patterns: str | None = None
    parameters_from: str = "posterior"
    analysis: Analysis = Field(default_factory=Analysis)

    @field_validator("series")
    @classmethod
    def _known_series(cls, values: list[str]) -> list[str]:
        for text in values:
            VariableRef.parse(text)
        return values

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if self.design.method == "none" and (self.parameters or self.factors):
            raise ValueError("parameters: ranges need a design; set design.method to grid, latin, sobol or morris")
        if self.design.method != "none" and not (self.parameters or self.factors):
            raise ValueError(f"parameters: the {self.design.method} design needs at least one parameter range "
                             "or driver factor")
        dimensions = len(self.parameters) + len(self.factors)
        points = {"none": 1, "grid": self.design.levels ** dimensions, "latin": self.design.samples,
                  "sobol": self.design.samples * (2 * dimensions + 2 if self.design.second_order else dimensions + 2),
                  "morris": self.design.samples * (dimensions + 1)}[self.design.method]
        if points > MAX_DESIGN_POINTS:
            raise ValueError(f"design: the {self.design.method} design over {dimensions} ranges gives {points:,} "
                             f"points; allowed: at most {MAX_DESIGN_POINTS:,} (fewer levels or samples)")
        for name in self.factors:
            if name in self.parameters or name in RUN_COLUMNS or not name.isidentifier():
                raise ValueError(f"factors.{name}: a factor needs a name that is an identifier and is not a "
                                 "parameter or a run column")
        taken = set(RUN_COLUMNS) | set(self.parameters) | set(self.factors)
        for name in self.outcomes:
            if name in taken or not name.isidentifier() or name.startswith((PATTERN_PREFIX, STATISTIC_PREFIX)):
                raise ValueError(f"outcomes.{name}: an outcome needs a name that is an identifier, does not start "
                                 f"with {PATTERN_PREFIX!r} or {STATISTIC_PREFIX!r} and is not one of "
                                 f"{', '.join(sorted(taken))}")
        if not self.outcomes and not self.series and self.patterns is None:
            raise ValueError("outcomes: name at least one outcome, series or patterns file to keep")
        for k, discovery in enumerate(self.analysis.discover):
            if discovery.outcome not in self.outcomes:
                raise ValueError(f"analysis.discover[{k}].outcome: {discovery.outcome!r} is not an outcome; "
                                 f"allowed: {', '.join(self.outcomes)}")
        return self

    def digest(self) -> str:
        """SHA-256 of the validated experiment."""
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def resolve_experiment(reference: str | Path) -> Path:
    """An experiment path, or a bare name looked up in the project's ``experiments/`` folder."""
    path = Path(reference)
    if not path.exists() and path.suffix == "" and (EXPERIMENT_DIR / f"{path}.toml").is_file():
        path = EXPERIMENT_DIR / f"{path}.toml"
    return path


def scenario_paths(path: Path, experiment: Experiment) -> list[Path]:
    """The experiment's scenario files: next to the experiment file, else shipped ones by name."""
    found = [find_scenario(reference, path) for reference in experiment.scenarios]
    for reference, scenario in zip(experiment.scenarios, found):
        if not scenario.is_file():
            names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")))
            raise ExperimentError(f"{path}: scenarios: no scenario {reference!r} next to the experiment file "
                                  f"or among the shipped ones ({names})")
    return found


def patterns_path(path: Path, experiment: Experiment) -> Path:
    """The experiment's patterns file: next to the experiment file, else a shipped one by name."""
    from sim.inference.patterns import find_patterns

    return find_patterns(experiment.patterns, path, ExperimentError)


def load_experiment(reference: str | Path) -> tuple[Experiment, list[Scenario]]:
    """Load and validate an experiment and the scenarios it names.

    Scenarios are found next to the experiment file, else among the shipped ``scenarios/``.

    Raises:
        InputError: one line naming the file (experiment or scenario), the field and what is allowed.
    """
    from sim.inference.patterns import load_patterns

    path = resolve_experiment(reference)
    experiment = read_input(path, "experiment", Experiment, ExperimentError)
    scenarios = [load_scenario(scenario_path) for scenario_path in scenario_paths(path, experiment)]
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise ExperimentError(f"{path}: scenarios: scenario names must differ; got {', '.join(names)}")
    if experiment.patterns is not None:
        patterns = load_patterns(patterns_path(path, experiment))
        for scenario in scenarios:
            if scenario.start_year > patterns.first_year or scenario.end_year < patterns.last_year:
                raise ExperimentError(f"{path}: patterns: they look at years {patterns.first_year}-"
                                      f"{patterns.last_year}; scenario {scenario.name} writes "
                                      f"{scenario.start_year}-{scenario.end_year}; allowed: scenarios that write "
                                      "every year the patterns look at")
    for scenario in scenarios:  # every corner of the factors' box must give a valid scenario
        for corner in ({n: f.range[0] for n, f in experiment.factors.items()},
                       {n: f.range[1] for n, f in experiment.factors.items()}):
            try:
                apply_factors(scenario, experiment.factors, corner).driver_paths()
            except ValidationError as error:
                reason = validation_line(Path(scenario.name), error, Scenario).partition(": ")[2]
                raise ExperimentError(f"{path}: factors: with {corner} scenario {scenario.name} is not valid: "
                                      f"{reason}") from None
            except ValueError as error:
                raise ExperimentError(f"{path}: factors: with {corner} scenario {scenario.name} is not valid: "
                                      f"{str(error).splitlines()[0]}") from None
    for name, summary in experiment.outcomes.items():
        for scenario in scenarios:
            first, last = summary.span
            if first < scenario.start_year or last > scenario.end_year:
                raise ExperimentError(f"{path}: outcomes.{name}: years {first}-{last} leave scenario {scenario.name}'s "
                                      f"output years; allowed: {scenario.start_year}-{scenario.end_year}")
    return experiment, scenarios
