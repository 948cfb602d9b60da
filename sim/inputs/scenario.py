"""Scenario files: TOML, validated with pydantic, with ``extends`` for inheritance.

A scenario sets only outside drivers (:mod:`sim.inputs.drivers`), leader changes and run settings.
Anything else it wants to hold fixed is an assumption and goes in its ``[assumptions]`` table,
each with a note saying why: a parameter's value (:mod:`sim.inputs.parameters`), or a disposition
held without a change of leader. Manifests and reports flag a scenario with assumptions
(:meth:`Scenario.assumption_lines`); no other key sets a parameter or a disposition. Every
problem is reported as one line naming the file, the field and what is allowed
(:class:`ScenarioError`), before anything is written. See ``docs/scenarios.md`` for the format.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from sim.inputs import leaders
from sim.inputs.drivers import DRIVER_SPECS, FIRST_YEAR, DriverPaths
from sim.inputs.geography import STATES
from sim.inputs.parameters import parameter_specs
from sim.inputs.recorded_flows import apply_recorded_flows
from sim.inputs.recorded_gdp import apply_recorded_gdp, recorded_ratio
from sim.io.input_files import (
    MAX_REPLICATES,
    MAX_SEED,
    FiniteFloat,
    InputError,
    SafeName,
    Strict,
    read_text,
    read_toml,
    validation_line,
)

LAST_YEAR = 2100
SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"

StateCode = Literal["KAZ", "KGZ", "TJK", "TKM", "UZB"]


class ScenarioError(InputError):
    """A scenario problem, as one line: ``file: field: what is wrong and what is allowed``."""


def _float_list(values):
    """TOML integers are fine in a list of numbers (``disposition_range``)."""
    return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values] \
        if isinstance(values, list) else values


def _check_own_disposition(disposition: float | None, disposition_range: list[float] | None) -> None:
    """A disposition of a scenario's own: a range [low, high] inside [0, 1] holding its mode."""
    if disposition_range is not None:
        low, high = disposition_range
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"disposition_range = {disposition_range}: give [low, high] with 0 <= low <= high <= 1")
        if disposition is not None and not low <= disposition <= high:
            raise ValueError(f"disposition {disposition} lies outside disposition_range {disposition_range}")


def _own_disposition(key: str, disposition: float | None,
                     disposition_range: list[float] | None) -> leaders.Disposition | None:
    """A fixed value, or a range drawn with its mode at ``disposition`` (else the middle); None if neither."""
    if disposition_range is not None:
        low, high = disposition_range
        return leaders.Disposition(key, disposition if disposition is not None else (low + high) / 2, low, high)
    if disposition is not None:
        return leaders.Disposition(key, disposition, disposition, disposition)
    return None


def _reason(note: str) -> str:
    if not note.strip():
        raise ValueError("an assumption needs a note saying why it is made (its reason or source)")
    return note


# The note of an assumption: why it is made.
Reason = Annotated[str, AfterValidator(_reason)]


class _OwnDisposition(Strict):
    """Base of the entries that may give a disposition of their own (``disposition_range``)."""

    @field_validator("disposition_range", mode="before", check_fields=False)
    @classmethod
    def _range_numbers(cls, values):
        return _float_list(values)


class LeaderChange(_OwnDisposition):
    """A new leader takes office in ``year`` (his first full year in office).

    His disposition toward the neighbours comes from one of: ``leader``, a coded row of
    ``sim/data/leader_dispositions.csv`` (central value and range, drawn in each run);
    ``disposition`` alone, a fixed value; ``disposition_range = [low, high]``, drawn from a
    triangular distribution with its mode at ``disposition`` if given, else at the middle.
    With none of them he keeps his predecessor's disposition (the same drawn value).
    """

    year: int
    country: StateCode
    leader: str | None = None
    disposition: FiniteFloat | None = Field(default=None, ge=0.0, le=1.0)
    disposition_range: list[FiniteFloat] | None = Field(default=None, min_length=2, max_length=2)
    note: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> LeaderChange:
        if self.leader is not None:
            if self.disposition is not None or self.disposition_range is not None:
                raise ValueError("give either leader (a coded row) or disposition / disposition_range, not both")
            try:
                leaders.leader(self.country, self.leader)
            except KeyError as error:
                raise ValueError(f"leader: {error.args[0]}") from None
        _check_own_disposition(self.disposition, self.disposition_range)
        return self

    def spec(self) -> leaders.Disposition | None:
        """The new leader's disposition, or None when he keeps his predecessor's."""
        if self.leader is not None:
            return leaders.leader(self.country, self.leader).disposition
        return _own_disposition(f"{self.country}:{self.year}", self.disposition, self.disposition_range)


def _check_driver(name: str) -> None:
    """A driver name of :data:`DRIVER_SPECS`; a disposition is not one."""
    allowed = f"allowed: {', '.join(DRIVER_SPECS)}"
    if name == "leader_disposition":
        raise ValueError("leader_disposition is not a driver: a disposition changes with [[leader_changes]] or, held "
                         f"without a change of leader, in [[assumptions.dispositions]]; {allowed}")
    if name not in DRIVER_SPECS:
        raise ValueError(f"unknown driver {name!r}; {allowed}")


class AssumedParameter(Strict):
    """A parameter held at a value of the scenario's own for the whole run, and why."""

    value: FiniteFloat
    note: Reason


class AssumedDisposition(_OwnDisposition):
    """A disposition held in ``country`` from ``year`` on without a change of leader, and why.

    ``disposition`` alone is a fixed value; ``disposition_range = [low, high]`` is drawn in
    each run from a triangular distribution with its mode at ``disposition`` if given, else
    at the middle. It holds until a later leader change with a disposition of its own.
    """

    year: int
    country: StateCode
    disposition: FiniteFloat | None = Field(default=None, ge=0.0, le=1.0)
    disposition_range: list[FiniteFloat] | None = Field(default=None, min_length=2, max_length=2)
    note: Reason

    @model_validator(mode="after")
    def _a_disposition(self) -> AssumedDisposition:
        if self.disposition is None and self.disposition_range is None:
            raise ValueError("give disposition (a value) or disposition_range ([low, high]) to hold")
        _check_own_disposition(self.disposition, self.disposition_range)
        return self

    def spec(self) -> leaders.Disposition:
        """The held disposition (its draw is keyed apart from a leader change's in the same year)."""
        return _own_disposition(f"{self.country}:{self.year}:assumed", self.disposition, self.disposition_range)


class Assumptions(Strict):
    """What a scenario holds fixed beyond the outside drivers, each with a note saying why.

    A scenario may set a behavioural parameter, or a disposition without a change of
    leader, only here; manifests and reports flag every scenario that does
    (:meth:`Scenario.assumption_lines`).
    """

    parameters: dict[str, AssumedParameter] = Field(default_factory=dict)
    dispositions: list[AssumedDisposition] = Field(default_factory=list)

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, values: dict[str, AssumedParameter]) -> dict[str, AssumedParameter]:
        specs = parameter_specs()
        for name, assumed in values.items():
            if name not in specs:
                raise ValueError(f"unknown parameter {name!r}; see sim/data/parameters.csv for the allowed names")
            spec = specs[name]
            if not spec.min <= assumed.value <= spec.max:
                raise ValueError(f"{name}.value = {assumed.value} is outside its range [{spec.min}, {spec.max}] "
                                 f"({spec.unit})")
        return values


class Intervention(Strict):
    """A timed change of one outside driver.

    ``target`` is ``driver`` (every entity) or ``driver.ENTITY`` (``river_flow.syr``,
    ``csto_member.UZB``). Exactly one of ``set`` (hold a value), ``scale`` (multiply)
    or ``ramp`` (move linearly to this value by ``end_year``, then hold it) is given.
    ``set`` and ``scale`` apply from ``year`` to ``end_year`` (default: the end of the run).
    """

    year: int
    target: str
    set: FiniteFloat | None = None
    scale: FiniteFloat | None = Field(default=None, ge=0.0)
    ramp: FiniteFloat | None = None
    end_year: int | None = None
    note: str = ""

    @field_validator("target")
    @classmethod
    def _known_target(cls, target: str) -> str:
        name, dot, entity = target.partition(".")
        _check_driver(name)
        entities = DRIVER_SPECS[name].entities
        if dot and entity not in entities:
            raise ValueError(f"unknown entity {entity!r} for {name}; allowed: {', '.join(entities)}")
        return target

    @model_validator(mode="after")
    def _one_operation(self) -> Intervention:
        given = [op for op in ("set", "scale", "ramp") if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of set, scale or ramp")
        if self.ramp is not None and self.end_year is None:
            raise ValueError("ramp needs end_year")
        if self.end_year is not None and self.end_year < self.year:
            raise ValueError(f"end_year {self.end_year} is before year {self.year}")
        return self


class IndexWeights(Strict):
    """Weights of the Regional Integration Index dimensions (ADB ARCII-style)."""

    institutional: FiniteFloat = Field(default=1.0, ge=0.0)
    trade: FiniteFloat = Field(default=1.0, ge=0.0)
    mobility: FiniteFloat = Field(default=1.0, ge=0.0)
    water_energy: FiniteFloat = Field(default=1.0, ge=0.0)
    political: FiniteFloat = Field(default=1.0, ge=0.0)

    @model_validator(mode="after")
    def _some_weight(self) -> IndexWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one weight must be positive")
        return self


class Scenario(Strict):
    """A validated scenario (after ``extends`` has been resolved)."""

    name: SafeName
    description: str = ""
    extends: str | None = None
    start_year: int = Field(default=FIRST_YEAR, ge=FIRST_YEAR, le=LAST_YEAR)
    end_year: int = Field(default=2050, ge=FIRST_YEAR, le=LAST_YEAR)
    replicates: int = Field(default=20, ge=1, le=MAX_REPLICATES)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    drivers: dict[str, dict[str, FiniteFloat]] = Field(default_factory=dict)
    recorded_flows: bool = False
    recorded_gdp: bool = False
    leader_changes: list[LeaderChange] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    index_weights: IndexWeights = Field(default_factory=IndexWeights)
    assumptions: Assumptions = Field(default_factory=Assumptions)

    @model_validator(mode="before")
    @classmethod
    def _parameters_are_assumptions(cls, data):
        if isinstance(data, dict) and "parameters" in data:
            raise ValueError("parameters: a scenario sets a parameter only as an assumption; allowed: "
                             "[assumptions.parameters.NAME] with value and note (docs/scenarios.md)")
        return data

    @field_validator("drivers")
    @classmethod
    def _known_drivers(cls, values: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for name, entities in values.items():
            _check_driver(name)
            spec = DRIVER_SPECS[name]
            for entity, value in entities.items():
                if entity not in spec.entities:
                    raise ValueError(f"unknown entity {entity!r} for {name}; allowed: {', '.join(spec.entities)}")
                if not spec.min <= value <= spec.max:
                    raise ValueError(f"{name}.{entity} = {value} is outside [{spec.min}, {spec.max}] ({spec.unit})")
        return values

    @model_validator(mode="after")
    def _years_in_run(self) -> Scenario:
        if self.end_year <= self.start_year:
            raise ValueError(f"end_year {self.end_year} must be after start_year {self.start_year}")
        for kind, items in (("leader_changes", self.leader_changes), ("interventions", self.interventions),
                            ("assumptions.dispositions", self.assumptions.dispositions)):
            for k, item in enumerate(items):
                for field in ("year", "end_year"):
                    year = getattr(item, field, None)
                    # A ramp may end after the run: the run then sees it part way.
                    last = LAST_YEAR if field == "end_year" and getattr(item, "ramp", None) is not None else self.end_year
                    if year is not None and not FIRST_YEAR <= year <= last:
                        raise ValueError(f"{kind}[{k}].{field} = {year} is outside the run; allowed: {FIRST_YEAR}-{last}")
        return self

    @property
    def assumed_parameters(self) -> dict[str, float]:
        """The parameter values the scenario assumes, by name."""
        return {name: assumed.value for name, assumed in self.assumptions.parameters.items()}

    def assumption_lines(self) -> list[str]:
        """Every assumption in words, with its note: what manifests and reports flag (empty if none)."""
        lines = [f"parameter {name} held at {assumed.value:g} in every run: {assumed.note}"
                 for name, assumed in self.assumptions.parameters.items()]
        for held in self.assumptions.dispositions:
            value = f"in {held.disposition_range}" if held.disposition_range is not None else f"at {held.disposition:g}"
            lines.append(f"disposition of {held.country} held {value} from {held.year} without a change of leader: "
                         f"{held.note}")
        return lines

    @property
    def years(self) -> np.ndarray:
        """Years written to outputs (the model always starts from its 1991 state)."""
        return np.arange(self.start_year, self.end_year + 1)

    def canonical_json(self) -> str:
        """The resolved scenario as canonical JSON (what the hash is taken of)."""
        return json.dumps(self.model_dump(mode="json", exclude={"extends"}), sort_keys=True)

    def digest(self) -> str:
        """SHA-256 of the resolved scenario."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def starting_gdp_vs_trend(self) -> np.ndarray:
        """GDP over its trend in the year before the run (5,): the 1990 record if the scenario
        uses the recorded GDP, else 1."""
        return recorded_ratio(FIRST_YEAR - 1) if self.recorded_gdp else np.ones(len(STATES))

    def driver_paths(self) -> DriverPaths:
        """Yearly values of every outside driver, 1991..end_year."""
        paths = DriverPaths(self.end_year, [leaders.leaders_in_1991()[code].disposition for code in STATES])
        for name, entities in self.drivers.items():
            spec = DRIVER_SPECS[name]
            for entity, value in entities.items():
                paths.paths[name][:, spec.entities.index(entity)] = value
        if self.recorded_flows:
            apply_recorded_flows(paths)
        if self.recorded_gdp:
            apply_recorded_gdp(paths)
        # Within a year: leader changes, then dispositions held without one, then interventions.
        events = [(c.year, 0, c) for c in self.leader_changes] \
            + [(h.year, 1, h) for h in self.assumptions.dispositions] + [(i.year, 2, i) for i in self.interventions]
        for _, _, event in sorted(events, key=lambda e: (e[0], e[1])):
            if isinstance(event, LeaderChange):
                paths.hand_over(event.year, event.country, event.spec())
            elif isinstance(event, AssumedDisposition):
                paths.hold(event.year, event.country, event.spec())
            else:
                _apply_intervention(paths, event, self.interventions.index(event))
        return paths


def _apply_intervention(paths: DriverPaths, event: Intervention, index: int) -> None:
    name, _, entity = event.target.partition(".")
    spec = DRIVER_SPECS[name]
    columns = [spec.entities.index(entity)] if entity else list(range(len(spec.entities)))
    path = paths.paths[name]
    first = event.year - FIRST_YEAR
    last = (event.end_year - FIRST_YEAR) if event.end_year is not None else len(paths.years) - 1
    for col in columns:
        if event.set is not None:
            path[first : last + 1, col] = event.set
        elif event.scale is not None:
            path[first : last + 1, col] *= event.scale
        else:
            values = np.linspace(path[first, col], event.ramp, last - first + 1)[: len(paths.years) - first]
            path[first : first + len(values), col] = values
            path[last + 1 :, col] = event.ramp
    outside = (path[:, columns] < spec.min) | (path[:, columns] > spec.max)
    if outside.any():
        operation = next(op for op in ("set", "scale", "ramp") if getattr(event, op) is not None)
        raise ValueError(f"interventions[{index}].{operation} = {getattr(event, operation)} (from {event.year}) takes "
                         f"{event.target} outside its range; allowed: [{spec.min}, {spec.max}] ({spec.unit})")


# ---------------------------------------------------------------- loading with extends


def find_scenario(reference: str, beside: Path) -> Path:
    """A scenario file next to the file ``beside`` (``.toml`` added if missing), else a shipped
    scenario of that name; the path next to ``beside`` if neither exists."""
    candidate = beside.parent / reference
    if candidate.suffix != ".toml":
        candidate = Path(f"{candidate}.toml")
    shipped = SCENARIO_DIR / candidate.name
    return shipped if not candidate.is_file() and shipped.is_file() else candidate


def _within_run(merged: dict, own_end_year: int | None) -> dict:
    """Drop inherited events after a child's shorter run and clip their end years."""
    if own_end_year is None:
        return merged
    assumptions = merged.get("assumptions", {})
    if "dispositions" in assumptions:
        held = [h for h in assumptions["dispositions"] if h["year"] <= own_end_year]
        merged["assumptions"] = {**assumptions, "dispositions": held}
    for key in ("leader_changes", "interventions"):
        # The parent was validated on its own, so events are tables with integer years.
        kept = [event for event in merged.get(key, []) if event["year"] <= own_end_year]
        for k, event in enumerate(kept):
            if "ramp" not in event and event.get("end_year", own_end_year) > own_end_year:
                kept[k] = {**event, "end_year": own_end_year}
        merged[key] = kept
    return merged


def _replace_by_year_and_country(parent: list, child: list) -> list:
    """The child's entries, and the parent's that no child entry of the same year and country replaces."""
    replaced = {(c.get("year"), c.get("country")) for c in child if isinstance(c, dict)}
    return [c for c in parent if (c.get("year"), c.get("country")) not in replaced] + child


def _merge(parent: dict, child: dict) -> dict:
    merged = dict(parent)
    for key, value in child.items():
        if key == "index_weights" and isinstance(value, dict):
            merged[key] = {**parent.get(key, {}), **value}
        elif key == "assumptions" and isinstance(value, dict):
            inherited = parent.get(key, {})
            merged[key] = {**inherited, **value,
                           "parameters": {**inherited.get("parameters", {}), **value.get("parameters", {})},
                           "dispositions": _replace_by_year_and_country(inherited.get("dispositions", []),
                                                                        value.get("dispositions", []))}
        elif key == "drivers" and isinstance(value, dict):
            drivers = {name: dict(entities) for name, entities in parent.get("drivers", {}).items()}
            for name, entities in value.items():
                drivers[name] = {**drivers.get(name, {}), **entities} if isinstance(entities, dict) else entities
            merged[key] = drivers
        elif key == "leader_changes" and isinstance(value, list):
            merged[key] = _replace_by_year_and_country(parent.get(key, []), value)
        elif key == "interventions" and isinstance(value, list):
            merged[key] = parent.get(key, []) + value
        else:
            merged[key] = value
    return merged


def _load_raw(path: Path, seen: tuple[Path, ...]) -> dict:
    raw = read_toml(path, "scenario", ScenarioError)
    try:
        Scenario.model_validate(raw)  # each file must be valid on its own
    except ValidationError as exc:
        raise ScenarioError(validation_line(path, exc, Scenario)) from None
    parent_ref = raw.get("extends")
    if parent_ref is None:
        return raw
    parent = find_scenario(parent_ref, path).resolve()
    if parent in seen:
        raise ScenarioError(f"{path}: extends: {parent_ref!r} makes a cycle; a scenario cannot extend itself")
    if not parent.is_file():
        raise ScenarioError(f"{path}: extends: no scenario file {parent_ref!r} next to this file; allowed: a file "
                            "next to it or the name of a shipped scenario")
    parent_raw = _load_raw(parent, (*seen, parent))
    parent_raw = _within_run(parent_raw, raw.get("end_year") if isinstance(raw.get("end_year"), int) else None)
    return _merge(parent_raw, raw)


def resolve_path(reference: str | Path) -> Path:
    """A scenario path, or a bare name looked up in the project's ``scenarios/`` folder."""
    path = Path(reference)
    if not path.exists() and path.suffix == "" and (SCENARIO_DIR / f"{path}.toml").is_file():
        path = SCENARIO_DIR / f"{path}.toml"
    return path


def shipped_scenarios() -> list[str]:
    """The names of the scenarios in the project's ``scenarios/`` folder."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def load_scenario(reference: str | Path, **overrides) -> Scenario:
    """Load, merge (``extends``) and validate a scenario file.

    Args:
        reference: a path to a ``.toml`` file, or the name of a shipped scenario.
        **overrides: run settings to replace (``replicates``, ``seed``, ``end_year``...).

    Raises:
        ScenarioError: one line naming the file, the field and what is allowed.
    """
    path = resolve_path(reference)
    if not path.is_file():
        raise ScenarioError(f"{reference}: no such scenario file; allowed: the path of a .toml file or a shipped "
                            f"scenario: {', '.join(shipped_scenarios())}")
    raw = _load_raw(path.resolve(), (path.resolve(),))
    raw.update({k: v for k, v in overrides.items() if v is not None})
    raw = _within_run(raw, overrides.get("end_year"))  # a shorter run drops the later events
    try:
        scenario = Scenario.model_validate(raw)
        scenario.driver_paths()  # catches interventions that leave a driver's range
    except ValidationError as exc:
        raise ScenarioError(validation_line(path, exc, Scenario)) from None
    except ValueError as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return scenario


def scenario_sources(reference: str | Path) -> dict[str, str]:
    """Text of the scenario file and of every file it extends, by path."""
    path = resolve_path(reference).resolve()
    sources = {}
    while True:
        sources[str(path)] = read_text(path, "scenario", ScenarioError)
        parent = tomllib.loads(sources[str(path)]).get("extends")
        if parent is None:
            return sources
        path = find_scenario(parent, path).resolve()


def scenario_record(reference: str | Path, scenario) -> dict:
    """How a scenario was given and resolved, for a manifest; ``assumptions`` lists what it
    holds fixed beyond the outside drivers (empty for a scenario of drivers alone)."""
    return {
        "name": scenario.name,
        "file": str(reference),
        "sha256": scenario.digest(),
        "assumptions": scenario.assumption_lines(),
        "resolved": scenario.model_dump(mode="json"),
        "sources": scenario_sources(reference),
        "replicates": scenario.replicates,
        "seed": scenario.seed,
    }
