"""Outside drivers as design factors of an experiment: uncertainties and levers.

An experiment may vary, beside parameters, the outside drivers a scenario sets (in the terms
of the EMA Workbench, Kwakkel 2017: *uncertainties* are outside the decision makers' control,
such as a deficit's size or a dam's completion year; *levers* are choices, such as a power
line or a framework). Each factor has a range and says what its value sets:

- ``intervention``: an intervention (as in a scenario's ``[[interventions]]``) in which one of
  ``year``, ``end_year``, ``set``, ``scale`` or ``ramp`` is the string ``"value"``; each design
  point adds it to the scenario with the point's value (years rounded to whole years);
- ``disposition``: a leader change ``{country, year}`` whose disposition is the value (held
  at that value in every run of the point, a fixed assumption, not a draw).

Every design point then runs its own variant of each scenario (:func:`apply_factors`).

References:
    Kwakkel, J.H. (2017) The Exploratory Modeling Workbench: an open source toolkit for
    exploratory modeling, scenario discovery, and (multi-objective) robust decision making.
    Environmental Modelling & Software 96, 239-250.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.inputs.scenario import Intervention, LeaderChange, Scenario, StateCode
from sim.io.input_files import FiniteFloat, Strict

VALUE = "value"
_NUMERIC = ("set", "scale", "ramp")
_YEARS = ("year", "end_year")


class DispositionTarget(Strict):
    """The leader change whose disposition a factor sets."""

    country: StateCode
    year: int


class Factor(Strict):
    """An outside driver varied by the design."""

    kind: Literal["uncertainty", "lever"] = "uncertainty"
    range: list[FiniteFloat] = Field(min_length=2, max_length=2)
    note: str = ""
    intervention: dict | None = None
    disposition: DispositionTarget | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Factor:
        if (self.intervention is None) == (self.disposition is None):
            raise ValueError("give exactly one of intervention or disposition")
        low, high = self.range
        if not low < high:
            raise ValueError(f"range = {self.range}: give [low, high] with low < high")
        if self.disposition is not None:
            if not 0.0 <= low < high <= 1.0:
                raise ValueError(f"range = {self.range}: a disposition lies in [0, 1]")
            LeaderChange(year=self.disposition.year, country=self.disposition.country, disposition=low)
            return self
        slots = [key for key, value in self.intervention.items() if value == VALUE]
        if len(slots) != 1 or slots[0] not in _NUMERIC + _YEARS:
            raise ValueError(f'intervention: exactly one of {", ".join(_NUMERIC + _YEARS)} must be "{VALUE}"')
        for value in (low, high):  # both ends must make a valid intervention
            Intervention.model_validate(self._filled(value), strict=False)
        return self

    def _filled(self, value: float) -> dict:
        filled = {}
        for key, item in self.intervention.items():
            filled[key] = (round(value) if key in _YEARS else float(value)) if item == VALUE else item
        return filled


def apply_factors(scenario: Scenario, factors: dict[str, Factor], values: dict[str, float]) -> Scenario:
    """The scenario with every factor set to its value at one design point (a new, validated scenario)."""
    raw = scenario.model_dump(mode="json", exclude={"extends"})
    for name, factor in factors.items():
        value = float(values[name])
        if factor.intervention is not None:
            raw["interventions"] = [*raw["interventions"], {"note": f"design factor {name}", **factor._filled(value)}]
        else:
            where = (factor.disposition.year, factor.disposition.country)
            kept = [c for c in raw["leader_changes"] if (c["year"], c["country"]) != where]
            raw["leader_changes"] = [*kept, {"year": where[0], "country": where[1], "disposition": value,
                                             "note": f"design factor {name}"}]
    return Scenario.model_validate(raw)
