"""Economy: gravity trade behind border frictions and trade regimes, GDP, and the pull of
outside blocs.

Usenov (2024) names barriers to trade and transit at the borders, which persist even
inside one customs union (truck queues on the KGZ-KAZ border after KGZ joined the EAEU),
and weak economies dependent on labour migration to Russia and on imports, which pushed the
states toward a stronger outside power and its blocs (EurAsEC, EAEU, CSTO), down to the
2005 merger of CACO into EurAsEC. The CAEC article (seed 003) lists what integration still
lacks: a free-trade zone without exemptions, mutual convertibility of currencies, transport
links. Each state's trade regime (its tariffs, non-tariff barriers and exchange controls)
follows its leader's disposition (:func:`trade_policy`) and acts on its trade with the
neighbours and with the rest of the world alike.
"""

from __future__ import annotations

import numpy as np

from sim.inputs.geography import Geography
from sim.inputs.parameters import Parameters, per_dyad, per_state


def gdp(year: int, gdp_vs_trend: np.ndarray, water_shortfall: np.ndarray, energy_deficit: np.ndarray,
        geo: Geography, params: Parameters):
    """GDP, $ billion (R, 5): the trend path through 2023 values times the ``gdp_vs_trend``
    driver (the recorded GDP where a scenario uses it), less water and power losses."""
    trend = geo.trend_gdp(year) * gdp_vs_trend
    loss = per_state(params.water_gdp_loss) * water_shortfall + per_state(params.energy_gdp_loss) * energy_deficit
    return trend * np.clip(1.0 - loss, 0.0, 1.0)


def route_access(openness: np.ndarray) -> np.ndarray:
    """Best openness of a route between two states, directly or through one neighbour (R, 5, 5)."""
    access = openness.copy()
    for hub in range(openness.shape[1]):  # a loop over 5 hubs beats one (R, 5, 5, 5) product
        np.maximum(access, openness[:, :, hub, None] * openness[:, None, hub, :], out=access)
    n = openness.shape[1]
    access[:, np.arange(n), np.arange(n)] = 0.0
    return access


def trade_policy(trade_barrier: np.ndarray, disposition: np.ndarray, params: Parameters) -> np.ndarray:
    """Each state's trade regime this year (R, 5): the share of its trade lost to its own
    tariffs, non-tariff barriers and exchange controls.

    The regime belongs to the state and moves each year by ``trade_policy_rate`` toward what
    its leader's disposition wants, ``trade_barrier_closed · (1 - disposition)``: a closed
    leader rations foreign exchange and taxes imports, an open one liberalises. Uzbekistan
    kept exchange controls from October 1996 (Central Banking 1996) until the unification of
    its exchange rate on 5 September 2017, a year after its change of leader (RFE/RL 2017),
    and abolished export duties by a decree of 15 December 2017 (AzerNews, cited in
    docs/dispositions.md); its trade doubled relative to GDP from 2017 to 2022 (World Bank,
    Country Economic Memorandum 2025).

    Args:
        trade_barrier: last year's regime (R, 5).
        disposition: this year's leaders' dispositions (R, 5).
    """
    wanted = per_state(params.trade_barrier_closed) * (1.0 - disposition)
    return trade_barrier + per_state(params.trade_policy_rate) * (wanted - trade_barrier)


def regime_friction(trade_barrier: np.ndarray) -> np.ndarray:
    """Share of the trade between two states lost to their two regimes (R, 5, 5), symmetric.

    Trade between i and j crosses both regimes, so the losses compound:
    ``1 - (1 - b_i)(1 - b_j)``. Trade is free of them only when both currencies are
    convertible and both sides open, the "mutual convertibility" seed 003 finds missing.
    """
    passed = 1.0 - trade_barrier
    return 1.0 - passed[:, :, None] * passed[:, None, :]


def border_queues(securitisation: np.ndarray, trust: np.ndarray, params: Parameters) -> np.ndarray:
    """Share of trade lost to queues and checks at each border (R, 5, 5), in [0, 0.95].

    Set by how threatened the states feel and how little they trust each other, not by
    tariffs, so queues persist inside a customs union (KGZ-KAZ after 2015; Usenov 2024).
    """
    mutual_trust = 0.5 * (trust + np.swapaxes(trust, 1, 2))
    return np.clip(per_dyad(params.queue_friction) * (0.5 + securitisation) * (1.5 - mutual_trust), 0.0, 0.95)


def trade_flows(
    gdp_busd: np.ndarray,
    openness: np.ndarray,
    securitisation: np.ndarray,
    trust: np.ndarray,
    bloc_member: np.ndarray,
    participation: np.ndarray,
    institution_depth: np.ndarray,
    trade_barrier: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Bilateral trade, $ million a year (R, 5, 5), symmetric: a gravity rule with frictions.

    The potential is the product of the two GDPs over the region's total GDP, as in
    structural gravity (Anderson and van Wincoop 2003, American Economic Review 93(1),
    where world GDP is the divisor; the region's own GDP stands in for it here, assumed),
    so trade within the region grows in step with GDP, as trade with the rest of the world
    does, and its share moves with the frictions, not with the size of the economies.
    The customs border between two separate customs territories falls inside a common
    customs union or a deep Central-Asian body; each state's own regime (``trade_barrier``,
    :func:`regime_friction`) and the queues at the border, which depend on securitisation
    and trust, persist inside a customs union.
    """
    distance_1000km = (geo.capital_distance_km + np.eye(len(geo.gdp_2023_busd))) / 1000.0  # no 0 on the diagonal
    region_gdp = gdp_busd.sum(axis=1)[:, None, None]
    product = gdp_busd[:, :, None] * gdp_busd[:, None, :]
    potential = per_dyad(params.gravity_constant) * product / region_gdp / distance_1000km
    customs_union = (bloc_member[:, None] * bloc_member[None, :])[None]
    regional_market = institution_depth[:, None, None] * participation[:, :, None] * participation[:, None, :]
    customs_border = per_dyad(params.tariff_equivalent) * (1.0 - np.maximum(customs_union, regional_market))
    queues = border_queues(securitisation, trust, params)
    flows = potential * route_access(openness) * (1.0 - customs_border) * (1.0 - regime_friction(trade_barrier)) \
        * (1.0 - queues)
    n = gdp_busd.shape[1]
    flows[:, np.arange(n), np.arange(n)] = 0.0
    return flows


def extra_regional_trade(gdp_busd: np.ndarray, trade_barrier: np.ndarray, params: Parameters) -> np.ndarray:
    """Trade with the rest of the world, $ million a year (R, 5): a share of GDP, less what
    the state's own regime costs (the rest of the world's barriers are in the share)."""
    return per_state(params.extra_regional_trade_ratio) * gdp_busd * 1000.0 * (1.0 - trade_barrier)


def trade_openness(trade_musd: np.ndarray, extra_trade_musd: np.ndarray, gdp_busd: np.ndarray) -> np.ndarray:
    """Each state's total trade, with the neighbours and the rest of the world, as a share of
    its GDP (R, 5)."""
    return (trade_musd.sum(axis=2) + extra_trade_musd) / (gdp_busd * 1000.0)


def trade_dependence(trade_musd: np.ndarray, gdp_busd: np.ndarray) -> np.ndarray:
    """Trade with each partner as a share of the state's GDP (R, 5, 5)."""
    return trade_musd / (gdp_busd[:, :, None] * 1000.0)


def outside_pull(
    bloc_member: np.ndarray,
    csto_member: np.ndarray,
    remittances_gdp: np.ndarray,
    securitisation: np.ndarray,
    params: Parameters,
) -> np.ndarray:
    """Support each state shifts from a Central-Asia-only body to outside blocs (R, 5).

    Membership in an overlapping Eurasian bloc duplicates the regional body's functions,
    more so for states whose migrants work in that bloc's labour market (``remittances_gdp``,
    a driver: a remittance shock lowers it); a state that feels threatened leans on the
    outside security alliance it belongs to.
    """
    threat = securitisation.max(axis=2)
    duplication = per_state(params.bloc_pull) * bloc_member * (1.0 + per_state(params.remittance_pull) * remittances_gdp)
    protection = per_state(params.security_pull) * csto_member * threat
    return duplication + protection
