"""Outcomes kept by batches: named summaries (one number per run) and time series.

A variable is named ``scope.variable`` for the region (``region.integration_index``),
``country.STATE.variable`` (``country.UZB.gdp``) or ``dyad.A-B.variable``
(``dyad.KGZ-UZB.border_openness``); see :data:`sim.model.indices.VARIABLES` for the names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.inputs.geography import DYADS, UPPER_PAIRS, load_geography
from sim.model.engine import ENTITIES, Trajectory
from sim.model.indices import DEAL_VARIABLES, NEIGHBOUR_VARIABLES, VARIABLES


@dataclass(frozen=True)
class VariableRef:
    """One recorded variable of one entity."""

    scope: str
    entity: str
    variable: str

    @classmethod
    def parse(cls, text: str) -> VariableRef:
        """Parse ``region.x``, ``country.UZB.x`` or ``dyad.KGZ-UZB.x``; raise ``ValueError`` if unknown."""
        parts = text.split(".")
        scope = parts[0]
        if scope not in VARIABLES:
            raise ValueError(f"{text!r}: scope must be one of {', '.join(VARIABLES)}")
        expected = 2 if scope == "region" else 3
        if len(parts) != expected:
            form = "region.VARIABLE" if scope == "region" else f"{scope}.ENTITY.VARIABLE"
            raise ValueError(f"{text!r}: write it as {form}")
        entity = "region" if scope == "region" else parts[1]
        if entity not in ENTITIES[scope]:
            raise ValueError(f"{text!r}: unknown {scope} {entity!r}; allowed: {', '.join(ENTITIES[scope])}")
        if parts[-1] not in VARIABLES[scope]:
            raise ValueError(f"{text!r}: unknown {scope} variable; allowed: {', '.join(VARIABLES[scope])}")
        if scope == "dyad":
            _check_dyad(text, entity, parts[-1])
        return cls(scope, entity, parts[-1])

    def __str__(self) -> str:
        return f"{self.scope}.{self.variable}" if self.scope == "region" else f"{self.scope}.{self.entity}.{self.variable}"

    def values(self, trajectory: Trajectory) -> np.ndarray:
        """The variable's values over years and replicates (T, R)."""
        values = trajectory.series[self.scope][self.variable]
        return values if self.scope == "region" else values[:, :, ENTITIES[self.scope].index(self.entity)]


def _check_dyad(text: str, dyad: str, variable: str) -> None:
    """Border variables exist for neighbours only, water-energy deals for deal partners only."""
    geo = load_geography()
    for names, exists, pairs in ((NEIGHBOUR_VARIABLES, geo.adjacent, "neighbours (a common border)"),
                                 (DEAL_VARIABLES, geo.deal_partners, "deal partners")):
        allowed = [name for name, (i, j) in zip(DYADS, UPPER_PAIRS) if exists[i, j]]
        if variable in names and dyad not in allowed:
            raise ValueError(f"{text!r}: {variable} exists for {pairs} only and {dyad} are not; "
                             f"allowed: {', '.join(allowed)}")


def window_mean(trajectory: Trajectory, ref: VariableRef, first_year: int, last_year: int) -> np.ndarray:
    """Mean of a variable over ``first_year..last_year`` for each replicate (R,)."""
    rows = (trajectory.years >= first_year) & (trajectory.years <= last_year)
    return ref.values(trajectory)[rows].mean(axis=0)
