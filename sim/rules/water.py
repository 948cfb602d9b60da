"""Water: the upstream-downstream seasonal conflict and fuel-for-water barter.

Upstream states (the holders of each river's main reservoir: Toktogul on the Syr Darya in
KGZ, Nurek on the Amu Darya in TJK) need water for hydropower in winter; downstream states
need it for irrigation in summer (BRIEF.md; Usenov 2024, "water question"). Under the
Soviet rule 75% of the reservoir's release came in April-September. Without fuel from
downstream, the upstream state releases more in winter for power, which leaves less for
summer irrigation; the 1998 Syr Darya agreement traded summer releases for coal, gas and
fuel in winter (IEA treaty database, per BRIEF.md). Teasley & McKinney (2011) show that
the upstream state needs such side-payments to comply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.geography import Geography
from sim.parameters import Parameters, per_dyad, per_state

SUMMER, WINTER = 0, 1


@dataclass(frozen=True)
class WaterYear:
    """Result of one year's seasonal water balance (arrays with leading R)."""

    storage_km3: np.ndarray
    inflow_km3: np.ndarray
    release_km3: np.ndarray  # (R, 2 rivers, 2 seasons), spills included
    supplied_km3: np.ndarray
    demand_km3: np.ndarray
    shortfall: np.ndarray
    outflow_km3: np.ndarray
    energy_deficit: np.ndarray


def irrigation_demand(demand_multiplier: np.ndarray, geo: Geography, params: Parameters) -> np.ndarray:
    """Irrigation demand of each state on each river, km3 a year (R, 2, 5)."""
    base = geo.quota * geo.mean_flow_km3[:, None]  # (2, 5)
    return per_dyad(params.basin_use_fraction) * base[None] * demand_multiplier[None, None, :]


def deal_willingness(
    trust: np.ndarray,
    water_shortfall: np.ndarray,
    energy_deficit: np.ndarray,
    framework: float,
    institution_depth: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Each state's willingness to keep a fuel-for-water deal with each basin partner.

    A state wants a deal when it trusts the partner and needs what the deal brings: water
    in summer for the downstream state, power in winter for the upstream one. An outside
    framework, or a regional body as deep, lowers the cost of striking one.

    Returns:
        (R, 5, 5) willingness; zero where the two are not basin partners.
    """
    need = (water_shortfall + energy_deficit)[:, :, None]  # (R, 5, 1)
    framework = np.maximum(framework, institution_depth)[:, None, None]
    willingness = trust + need + per_dyad(params.framework_deal_bonus) * framework
    return willingness * geo.basin_partners


def deal_target(willingness: np.ndarray, params: Parameters) -> np.ndarray:
    """1 where both sides' willingness clears the threshold, else 0 (R, 5, 5)."""
    joint = np.minimum(willingness, np.swapaxes(willingness, 1, 2))
    return (joint >= per_dyad(params.deal_threshold)).astype(float)


def update_deals(deal: np.ndarray, target: np.ndarray, params: Parameters) -> np.ndarray:
    """Deals move toward what both sides want at ``deal_adjust_rate`` (R, 5, 5)."""
    return np.clip(deal + per_dyad(params.deal_adjust_rate) * (target - deal), 0.0, 1.0)


def fuel_deliveries(trust: np.ndarray, deal: np.ndarray, uniform: np.ndarray, params: Parameters) -> np.ndarray:
    """Whether each state honours its side of each deal this winter (R, 5, 5).

    Computed for every pair; only deliveries from fuel exporters to an upstream state
    count (:func:`fuel_cover`).

    The chance of delivering rises from ``fuel_delivery_base`` at zero trust to 1 at full
    trust (reciprocity, Abbink et al. 2010). ``uniform`` holds draws in (0, 1).
    """
    base = per_dyad(params.fuel_delivery_base)
    chance = base + (1.0 - base) * trust
    return ((uniform < chance) & (deal > 0.05)).astype(float)


def fuel_cover(
    deal: np.ndarray,
    delivered: np.ndarray,
    grid_link: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Share of each upstream state's winter power gap covered by delivered fuel (R, 2).

    Partners contribute by their ability to pay in fuel and their use of the river.
    """
    covers = []
    for river, up in enumerate(geo.upstream):
        weight = geo.quota[river] * geo.fuel_export_capacity  # (5,)
        weight = weight / weight.sum()
        honoured = (deal[:, :, up] * delivered[:, :, up] * weight).sum(axis=1)  # (R,)
        covers.append(honoured * grid_link[up])
    return per_state(params.barter_fuel_cover) * np.stack(covers, axis=1)


def seasonal_balance(
    storage_km3: np.ndarray,
    flow_multiplier: np.ndarray,
    capacity_km3: np.ndarray,
    demand_km3: np.ndarray,
    power_demand: np.ndarray,
    cover: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> WaterYear:
    """Winter then summer: reservoir operation, releases, withdrawals and outflow.

    Args:
        storage_km3: reservoir storage at the start of the year (R, 2).
        flow_multiplier: natural flow relative to the mean, noise included (R, 2).
        capacity_km3: reservoir capacity this year (2,).
        demand_km3: irrigation demand (R, 2, 5).
        power_demand: winter electricity demand relative to 1991, per state (5,).
        cover: share of the winter power gap covered by fuel (R, 2).

    The upstream state releases in winter what it needs for power after fuel, down to the
    Soviet-rule minimum, and keeps back in summer what it needs for next winter.
    Water balance: inflow = change in storage + withdrawals + outflow.
    """
    demand_km3 = demand_km3 * np.ones((storage_km3.shape[0], 1, 1))
    capacity = capacity_km3
    dead = np.minimum(geo.dead_storage_km3, capacity)
    inflow = geo.mean_flow_km3 * flow_multiplier  # (R, 2)
    upstream_formed = geo.flow_formed[np.arange(len(geo.upstream)), geo.upstream]
    regulated = inflow * upstream_formed * geo.regulated_inflow_share
    unregulated = inflow - regulated
    summer_share = geo.summer_flow_share
    soviet_winter = geo.soviet_winter_release_share * geo.mean_flow_km3 * upstream_formed * geo.regulated_inflow_share
    power_need = geo.winter_power_release_km3 * power_demand[geo.upstream]
    # Fuel can only replace the release above the Soviet-rule winter minimum.
    fuel_replaceable = np.maximum(power_need - soviet_winter, 0.0)
    wanted_winter = soviet_winter + fuel_replaceable * (1.0 - cover)

    # Winter (October-March).
    storage = storage_km3 + regulated * (1.0 - summer_share)
    turbine_release = np.clip(wanted_winter, 0.0, np.maximum(storage - dead, 0.0))
    storage = storage - turbine_release
    spill = np.maximum(storage - capacity, 0.0)
    storage = storage - spill
    winter_release = turbine_release + spill

    # Summer (April-September): keep back enough for next winter's wanted release.
    storage = storage + regulated * summer_share
    keep = np.minimum(capacity, dead + wanted_winter)
    summer_release = np.maximum(storage - keep, 0.0)
    storage = storage - summer_release

    release = np.stack([summer_release, winter_release], axis=2)  # (R, 2, 2)
    available = release + unregulated[:, :, None] * np.stack([summer_share, 1.0 - summer_share], axis=1)[None]
    summer_demand_share = per_dyad(params.irrigation_summer_share)
    supplied = np.zeros_like(demand_km3)
    for season in (SUMMER, WINTER):
        share = summer_demand_share if season == SUMMER else 1.0 - summer_demand_share
        wanted = demand_km3 * share
        allotted = geo.quota[None] * available[:, :, season][:, :, None]
        supplied = supplied + np.minimum(wanted, allotted)
    outflow = available.sum(axis=2) - supplied.sum(axis=2)

    demand_by_state = demand_km3.sum(axis=1)
    supplied_by_state = supplied.sum(axis=1)
    shortfall = 1.0 - np.divide(supplied_by_state, demand_by_state, out=np.ones_like(demand_by_state),
                                where=demand_by_state > 0)

    # Winter power: release plus fuel, against what the upstream state wants.
    power_supply = turbine_release + cover * fuel_replaceable
    gap = np.clip(1.0 - power_supply / power_need, 0.0, 1.0)  # (R, 2)
    energy_deficit = np.zeros_like(shortfall)
    for river, up in enumerate(geo.upstream):
        energy_deficit[:, up] = np.maximum(energy_deficit[:, up], gap[:, river] * geo.hydro_share[up])

    return WaterYear(
        storage_km3=storage,
        inflow_km3=inflow,
        release_km3=release,
        supplied_km3=supplied_by_state,
        demand_km3=demand_by_state,
        shortfall=np.clip(shortfall, 0.0, 1.0),
        outflow_km3=outflow,
        energy_deficit=energy_deficit,
    )


def blame(
    water_shortfall: np.ndarray,
    energy_deficit: np.ndarray,
    delivered: np.ndarray,
    deal: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Trust each state loses in its basin partners over water and energy (R, 5, 5).

    A downstream state blames its upstream partner for its shortfall unless a deal binds
    them; an upstream state blames a partner in a deal that did not deliver fuel for its
    winter deficit.
    """
    loss = np.zeros_like(deal)
    for river, up in enumerate(geo.upstream):
        users = geo.quota[river] > 0
        users[up] = False
        unbound = 1.0 - deal[:, users, up]
        loss[:, users, up] += per_state(params.water_blame_trust_loss) * water_shortfall[:, users] * unbound
        not_delivered = deal[:, users, up] * (1.0 - delivered[:, users, up])
        loss[:, up, users] += per_state(params.energy_blame_trust_loss) * energy_deficit[:, up, None] * not_delivered
    return loss
