"""The Regional Integration Index and its dimensions, per region, state and dyad.

Modelled on ADB's Asia-Pacific Regional Cooperation and Integration Index (ARCII), using
the dimensions the model has a state for: institutional (depth of the Central-Asia-only
body), trade (intra-regional share of the five states' total trade), mobility (border
openness), water-energy cooperation, and political (trust less conflict). The index is the
weighted mean of the dimensions, each in [0, 1]; weights come from the scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import cache, partial

import numpy as np

from sim.inputs.geography import UPPER_PAIRS, Geography
from sim.inputs.parameters import Parameters
from sim.model.rules import economy
from sim.model.world import World

DIMENSIONS = ("institutional", "trade", "mobility", "water_energy", "political")
_SHARED = ("institutional", "trade_share", "border_openness", "water_energy_coop", "trust", "conflict_incidents",
           "clashes", "water_shortfall", "energy_deficit", "delimited_share")
# What :func:`measure` records, by scope (outcome names in experiment files refer to these).
VARIABLES = {
    "region": (*_SHARED, "summit", "deal_water_km3", "deal_energy_gwh", "political", "integration_index"),
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


def _political(trust: np.ndarray, incidents: np.ndarray, params: Parameters) -> np.ndarray:
    return np.clip(trust * (1.0 - conflict_penalty(incidents, params)), 0.0, 1.0)


def _index(formulas: dict[str, Callable[[], np.ndarray]], params: Parameters,
           weights: dict[str, float]) -> np.ndarray:
    share = formulas["trade_share"]()
    benchmark = np.reshape(params.trade_share_benchmark, (-1,) + (1,) * (share.ndim - 1))
    return _combine({
        "institutional": formulas["institutional"](),
        "trade": np.clip(share / benchmark, 0.0, 1.0),
        "mobility": formulas["border_openness"](),
        "water_energy": formulas["water_energy_coop"](),
        "political": formulas["political"](),
    }, weights)


def _region(world: World, geo: Geography, params: Parameters) -> dict[str, Callable[[], np.ndarray]]:
    n, r = geo.border_km.shape[0], world.replicates
    length = np.broadcast_to(geo.border_km.reshape(1, -1), (r, n * n))
    partners = geo.deal_partners

    @cache
    def trade_share() -> np.ndarray:
        intra = world.trade_musd.sum(axis=(1, 2))
        total = intra + world.extra_trade_musd.sum(axis=1)
        return np.divide(intra, total, out=np.zeros(r), where=total > 0)

    @cache
    def incidents() -> np.ndarray:
        return world.incidents.sum(axis=(1, 2)) / 2.0

    @cache
    def trust() -> np.ndarray:
        return world.trust.sum(axis=(1, 2)) / (n * (n - 1))

    return {
        "institutional": lambda: world.institution_depth,
        "trade_share": trade_share,
        "border_openness": cache(lambda: _weighted_mean(world.border_openness.reshape(r, -1), length, axis=1)),
        "water_energy_coop": cache(lambda: (world.water_energy_kept * partners).sum(axis=(1, 2)) / partners.sum()),
        "trust": trust,
        "conflict_incidents": incidents,
        "clashes": lambda: world.clashes.sum(axis=(1, 2)) / 2.0,
        "water_shortfall": lambda: _weighted_mean(world.water_shortfall, world.water_demand_km3, axis=1),
        "energy_deficit": lambda: world.energy_deficit.mean(axis=1),
        "delimited_share": lambda: _weighted_mean(world.delimited.reshape(r, -1), length, axis=1),
        "summit": lambda: world.summit,
        # what the water-energy deals moved: summer water released and winter energy delivered
        "deal_water_km3": lambda: world.deal_water_km3.sum(axis=1),
        "deal_energy_gwh": lambda: world.deal_energy_gwh.sum(axis=1),
        "political": cache(lambda: _political(trust(), incidents(), params)),
    }


def _country(world: World, geo: Geography, params: Parameters) -> dict[str, Callable[[], np.ndarray]]:
    n, r = geo.border_km.shape[0], world.replicates
    length = np.broadcast_to(geo.border_km, (r, n, n))
    partners = np.broadcast_to(geo.deal_partners, (r, n, n))

    @cache
    def trade_share() -> np.ndarray:
        own_intra = world.trade_musd.sum(axis=2)
        own_total = own_intra + world.extra_trade_musd
        return np.divide(own_intra, own_total, out=np.zeros_like(own_intra), where=own_total > 0)

    @cache
    def incidents() -> np.ndarray:
        return world.incidents.sum(axis=2)

    @cache
    def trust() -> np.ndarray:
        return world.trust.sum(axis=1) / (n - 1)  # how much the others trust the state

    return {
        "institutional": cache(lambda: world.institution_depth[:, None] * world.participation),
        "trade_share": trade_share,
        "border_openness": cache(lambda: _weighted_mean(world.border_openness, length, axis=2)),
        "water_energy_coop": cache(lambda: _weighted_mean(world.water_energy_kept, partners, axis=2)),
        "trust": trust,
        "conflict_incidents": incidents,
        "clashes": lambda: world.clashes.sum(axis=2),
        "water_shortfall": lambda: world.water_shortfall,
        "energy_deficit": lambda: world.energy_deficit,
        "delimited_share": lambda: _weighted_mean(world.delimited, length, axis=2),
        "gdp": lambda: world.gdp_busd,
        "support": lambda: world.support,
        "trade_openness": lambda: economy.trade_openness(world.trade_musd, world.extra_trade_musd, world.gdp_busd),
        "trade_barrier": lambda: world.trade_barrier,
        "political": cache(lambda: _political(trust(), incidents(), params)),
    }


def _dyad(world: World, geo: Geography, params: Parameters) -> dict[str, Callable[[], np.ndarray]]:
    formulas = {
        "trade_flow": lambda: _dyads(world.trade_musd),
        "trust": lambda: _dyads(0.5 * (world.trust + np.swapaxes(world.trust, 1, 2))),
        "border_openness": lambda: _dyads(world.border_openness),
        # The first state's side less the second's (KGZ-UZB: KGZ's side less UZB's): who keeps
        # a border closed.
        "border_side_difference": lambda: _dyads(world.border_side - np.swapaxes(world.border_side, 1, 2)),
        "border_queues": lambda: _dyads(economy.border_queues(world.border_securitisation, world.trust, params)),
        "delimited_share": lambda: _dyads(world.delimited),
        "conflict_incidents": lambda: _dyads(world.incidents),
        "clashes": lambda: _dyads(world.clashes),
        "water_energy_coop": lambda: _dyads(world.water_energy_kept),
    }
    for names, exists in ((NEIGHBOUR_VARIABLES, geo.adjacent), (DEAL_VARIABLES, geo.deal_partners)):
        for name in names:
            formulas[name] = partial(_only_where, formulas[name], exists[_I, _J])
    return formulas


def _only_where(formula: Callable[[], np.ndarray], exists: np.ndarray) -> np.ndarray:
    return np.where(exists, formula(), np.nan)


_FORMULAS = {"region": _region, "country": _country, "dyad": _dyad}


def measure(world: World, geo: Geography, params: Parameters, weights: dict[str, float],
            record: Collection[tuple[str, str]] | None = None) -> dict[str, dict]:
    """The recorded variables for one year.

    Args:
        record: the ``(scope, variable)`` pairs to compute (default: all of :data:`VARIABLES`);
            the others are not computed at all, so a batch or a calibration that keeps a few
            outcomes pays only for those.

    Returns:
        ``{"region": {var: (R,)}, "country": {var: (R, 5)}, "dyad": {var: (R, 10)}}`` (only the
        scopes and variables asked for); dyad variables that only exist for neighbours (or deal
        partners) are NaN elsewhere.
    """
    measured: dict[str, dict] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for scope, names in VARIABLES.items():
            wanted = [name for name in names if record is None or (scope, name) in record]
            if not wanted:
                continue
            formulas = _FORMULAS[scope](world, geo, params)
            if scope != "dyad":
                # A copy: a dict holding a partial of itself is a reference cycle, which would keep
                # every year's World alive until the next full garbage collection.
                formulas["integration_index"] = partial(_index, dict(formulas), params, weights)
            measured[scope] = {name: formulas[name]() for name in wanted}
    return measured
