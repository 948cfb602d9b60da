"""The Regional Integration Index and its dimensions, per region, state and dyad.

Modelled on ADB's Asia-Pacific Regional Cooperation and Integration Index (ARCII), using
the dimensions the model has a state for: institutional (depth of the Central-Asia-only
body), trade (intra-regional share of the five states' total trade), mobility (border
openness), water-energy cooperation, and political (trust less conflict). The index is the
weighted mean of the dimensions, each in [0, 1]; weights come from the scenario.
"""

from __future__ import annotations

import numpy as np

from sim.geography import UPPER_PAIRS, Geography
from sim.parameters import Parameters
from sim.rules import economy
from sim.world import World

DIMENSIONS = ("institutional", "trade", "mobility", "water_energy", "political")
_SHARED = ("institutional", "trade_share", "border_openness", "water_energy_coop", "trust", "conflict_incidents",
           "clashes", "water_shortfall", "energy_deficit", "delimited_share")
# What :func:`measure` records, by scope (outcome names in experiment files refer to these).
VARIABLES = {
    "region": (*_SHARED, "summit", "political", "integration_index"),
    "country": (*_SHARED, "gdp", "support", "trade_openness", "trade_barrier", "political", "integration_index"),
    "dyad": ("trade_flow", "trust", "border_openness", "border_side_difference", "border_queues", "delimited_share",
             "conflict_incidents", "clashes", "water_energy_coop"),
}

# Dyad variables that exist for neighbours only, and for deal partners only (NaN elsewhere).
NEIGHBOUR_VARIABLES = ("border_openness", "border_side_difference", "border_queues", "delimited_share",
                       "conflict_incidents", "clashes")
DEAL_VARIABLES = ("water_energy_coop",)

_I = np.array([i for i, _ in UPPER_PAIRS])
_J = np.array([j for _, j in UPPER_PAIRS])


def _dyads(matrix: np.ndarray) -> np.ndarray:
    """Upper-triangle dyads of a (R, 5, 5) matrix as (R, 10), alphabetical order."""
    return matrix[:, _I, _J]


def _weighted_mean(values: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    total = weights.sum(axis=axis)
    return np.divide((values * weights).sum(axis=axis), total, out=np.zeros(values.shape[:axis] + values.shape[axis + 1:]),
                     where=total > 0)


def conflict_penalty(incidents: np.ndarray, params: Parameters) -> np.ndarray:
    """Share of trust discounted for conflict: 1 - exp(-incidents / conflict_scale)."""
    return 1.0 - np.exp(-incidents / np.reshape(params.conflict_scale, (-1,) + (1,) * (np.ndim(incidents) - 1)))


def _combine(dimensions: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    total = sum(weights.values())
    return sum(weights[name] * dimensions[name] for name in DIMENSIONS) / total


def measure(world: World, geo: Geography, params: Parameters, weights: dict[str, float]) -> dict[str, dict]:
    """All recorded variables for one year.

    Returns:
        ``{"region": {var: (R,)}, "country": {var: (R, 5)}, "dyad": {var: (R, 10)}}``; dyad
        variables that only exist for neighbours (or deal partners) are NaN elsewhere.
    """
    n = geo.border_km.shape[0]
    r = world.replicates
    adjacent = geo.adjacent
    length = geo.border_km[None] * np.ones((r, 1, 1))
    openness = world.border_openness
    mutual_trust = 0.5 * (world.trust + np.swapaxes(world.trust, 1, 2))
    partners = geo.deal_partners
    with np.errstate(invalid="ignore", divide="ignore"):
        # Region.
        intra = world.trade_musd.sum(axis=(1, 2))
        total = intra + world.extra_trade_musd.sum(axis=1)
        trade_share = np.divide(intra, total, out=np.zeros(r), where=total > 0)
        incidents_total = world.incidents.sum(axis=(1, 2)) / 2.0
        region_trust = world.trust.sum(axis=(1, 2)) / (n * (n - 1))
        region = {
            "institutional": world.institution_depth,
            "trade_share": trade_share,
            "border_openness": _weighted_mean(openness.reshape(r, -1), length.reshape(r, -1), axis=1),
            "water_energy_coop": (world.water_energy_kept * partners).sum(axis=(1, 2)) / partners.sum(),
            "trust": region_trust,
            "conflict_incidents": incidents_total,
            "clashes": world.clashes.sum(axis=(1, 2)) / 2.0,
            "water_shortfall": _weighted_mean(world.water_shortfall, world.water_demand_km3, axis=1),
            "energy_deficit": world.energy_deficit.mean(axis=1),
            "delimited_share": _weighted_mean(world.delimited.reshape(r, -1), length.reshape(r, -1), axis=1),
            "summit": world.summit,
        }
        region["political"] = np.clip(region_trust * (1.0 - conflict_penalty(incidents_total, params)), 0.0, 1.0)

        # States.
        own_intra = world.trade_musd.sum(axis=2)
        own_total = own_intra + world.extra_trade_musd
        own_incidents = world.incidents.sum(axis=2)
        own_trust = world.trust.sum(axis=1) / (n - 1)  # how much the others trust the state
        country = {
            "institutional": world.institution_depth[:, None] * world.participation,
            "trade_share": np.divide(own_intra, own_total, out=np.zeros_like(own_intra), where=own_total > 0),
            "border_openness": _weighted_mean(openness, length, axis=2),
            "water_energy_coop": _weighted_mean(world.water_energy_kept, partners * np.ones((r, 1, 1)), axis=2),
            "trust": own_trust,
            "conflict_incidents": own_incidents,
            "clashes": world.clashes.sum(axis=2),
            "water_shortfall": world.water_shortfall,
            "energy_deficit": world.energy_deficit,
            "delimited_share": _weighted_mean(world.delimited, length, axis=2),
            "gdp": world.gdp_busd,
            "support": world.support,
            "trade_openness": economy.trade_openness(world.trade_musd, world.extra_trade_musd, world.gdp_busd),
            "trade_barrier": world.trade_barrier,
        }
        country["political"] = np.clip(own_trust * (1.0 - conflict_penalty(own_incidents, params)), 0.0, 1.0)

        # Dyads.
        dyad = {
            "trade_flow": _dyads(world.trade_musd),
            "trust": _dyads(mutual_trust),
            "border_openness": _dyads(openness),
            # The first state's side less the second's (KGZ-UZB: KGZ's side less UZB's):
            # who keeps a border closed.
            "border_side_difference": _dyads(world.border_side - np.swapaxes(world.border_side, 1, 2)),
            "border_queues": _dyads(economy.border_queues(world.border_securitisation, world.trust, params)),
            "delimited_share": _dyads(world.delimited),
            "conflict_incidents": _dyads(world.incidents),
            "clashes": _dyads(world.clashes),
            "water_energy_coop": _dyads(world.water_energy_kept),
        }
        for names, exists in ((NEIGHBOUR_VARIABLES, adjacent), (DEAL_VARIABLES, partners)):
            for name in names:
                dyad[name] = np.where(exists[_I, _J], dyad[name], np.nan)

    for scope in (region, country):
        share = scope["trade_share"]
        benchmark = np.reshape(params.trade_share_benchmark, (-1,) + (1,) * (share.ndim - 1))
        dimensions = {
            "institutional": scope["institutional"],
            "trade": np.clip(share / benchmark, 0.0, 1.0),
            "mobility": scope["border_openness"],
            "water_energy": scope["water_energy_coop"],
            "political": scope["political"],
        }
        scope["integration_index"] = _combine(dimensions, weights)
    return {"region": region, "country": country, "dyad": dyad}
