"""Water: the upstream-downstream bargain by role, and what scarcity does to it.

Upstream states (the holders of each river's main reservoir: Toktogul on the Syr Darya in
KGZ, Nurek on the Amu Darya in TJK) need water for hydropower in winter; downstream states
need it for irrigation in summer (BRIEF.md; Usenov 2024, "water question"). Under the
Soviet rule 75% of Toktogul's release came in April-September and fuel came from
downstream for the winter (ENVSEC 2005); after 1991 the upstream states ran their
reservoirs for winter power (ICG 2002). Here each upstream state operates its reservoir for
its own power: in winter it releases what its electricity demand needs, down to dead
storage; in summer what its summer demand needs, and it stores the rest up to capacity. A
dry year, or a reservoir drawn down by the winters before, leaves it short of power in
winter: Tajikistan's shortage of about 2,700 GWh, a quarter of its winter demand, around
2010-2012 (World Bank 2012), and Kyrgyzstan's crises of 2008-2009 (Toktogul near 7 km3 in
April 2008) and from 2023.

The bargain of the 1998 Syr Darya agreement (IEA treaty database) is a deal between an
upstream state and a downstream state that draws on its river and can pay in fuel: winter
fuel or power for summer water. Delivered fuel lets the upstream state release less in
winter (or, with too little storage, fills its winter gap); it owes the water equivalent of
the energy as summer release (summer releases against "equivalent energy"). Each side's
willingness rises with what it would gain: the downstream state with the summer water, the
upstream state with the winter energy (Teasley & McKinney 2011; Bekchanov et al. 2015). A
deal is honoured only as far as each side delivers: fuel depends on trust (Abbink et al.
2010), and an upstream state in a severe winter outlook keeps the water for its own power.
An unhonoured side costs trust.

Scarcity and cooperation form an inverted U (Dinar 2009; Dinar, Dinar & Kurukulasuriya
2011; Dinar & Dinar 2017): moderate scarcity raises the value of a deal (the water it brings
is worth more to a state that is short), severe scarcity (a shortfall beyond
``severe_scarcity_threshold``) raises blame and border incidents (:func:`scarcity_stress`)
and unilateral withdrawals: upstream states hold water for their own power, downstream
states draw beyond their quota (:func:`withdrawal_claims`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.inputs.geography import Geography
from sim.inputs.parameters import Parameters, per_dyad, per_state

SUMMER, WINTER = 0, 1


@dataclass(frozen=True)
class WaterYear:
    """Result of one year's seasonal water balance (arrays with leading R).

    Attributes:
        imported_gwh: winter energy delivered to each river's upstream state under deals (R, 2).
        deal_release_km3: summer water released under deals, the honoured commitment (R, 2).
        honoured: share of the committed summer release the upstream state released; 1 where
            nothing was committed (R, 2).
    """

    storage_km3: np.ndarray
    inflow_km3: np.ndarray
    release_km3: np.ndarray  # (R, 2 rivers, 2 seasons), spills included
    supplied_km3: np.ndarray
    demand_km3: np.ndarray
    shortfall: np.ndarray
    outflow_km3: np.ndarray
    energy_deficit: np.ndarray
    imported_gwh: np.ndarray
    deal_release_km3: np.ndarray
    honoured: np.ndarray


def irrigation_demand(demand_multiplier: np.ndarray, geo: Geography, params: Parameters) -> np.ndarray:
    """Irrigation demand of each state on each river, km3 a year (R, 2, 5)."""
    base = geo.quota * geo.mean_flow_km3[:, None]  # (2, 5)
    return per_dyad(params.basin_use_fraction) * base[None] * demand_multiplier[None, None, :]


def power_release_needs(power_demand: np.ndarray, yield_gwh_per_km3: np.ndarray,
                        geo: Geography) -> tuple[np.ndarray, np.ndarray]:
    """Release each river's upstream state needs for its own power, km3 (winter, summer), (2,) each.

    The hydro part of its electricity demand over the cascade's yield (the
    ``hydro_yield_gwh_per_km3`` driver, (2,)); the thermal rest (1 - hydro share) is assumed
    supplied.
    """
    up = geo.upstream
    km3_per_gwh = geo.hydro_share[up] * power_demand[up] / yield_gwh_per_km3
    return geo.winter_power_need_gwh * km3_per_gwh, geo.summer_power_need_gwh * km3_per_gwh


def regulated_mean_inflow(geo: Geography) -> np.ndarray:
    """Mean yearly inflow into each river's main reservoir, km3 (2,)."""
    upstream_formed = geo.flow_formed[np.arange(len(geo.upstream)), geo.upstream]
    return geo.mean_flow_km3 * upstream_formed * geo.regulated_inflow_share


def soviet_winter_release(geo: Geography) -> np.ndarray:
    """Winter release under the Soviet rule, km3 (2,): the minimum released in any winter."""
    return geo.soviet_winter_release_share * regulated_mean_inflow(geo)


def deal_gains(
    power_demand: np.ndarray,
    yield_gwh_per_km3: np.ndarray,
    water_demand_km3: np.ndarray,
    grid_link: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """What each state would gain from a fully honoured deal with each partner (R, 5, 5).

    For the upstream state (row ``u``): the winter energy partner ``d`` would deliver, as a
    share of its winter electricity demand. For the downstream state (row ``d``): its quota
    share of the summer water owed for that energy (its water equivalent, :func:`seasonal_balance`),
    as a share of its water demand.

    Args:
        power_demand: this year's power-demand driver (5,).
        yield_gwh_per_km3: this year's hydro-yield driver (2,).
        water_demand_km3: each state's irrigation demand, km3 (R, 5).
        grid_link: the power-grid-link driver (5,).
    """
    need, _ = power_release_needs(power_demand, yield_gwh_per_km3, geo)
    replaceable = np.maximum(need - soviet_winter_release(geo), 0.0)
    demand_gwh = geo.winter_power_need_gwh * power_demand[geo.upstream]
    gains = np.zeros(water_demand_km3.shape[:1] + geo.border_km.shape)
    for river, up in enumerate(geo.upstream):
        owed = per_state(params.barter_fuel_cover) * grid_link[up] * geo.partner_weight[river] * replaceable[river]
        gains[:, :, up] = geo.quota[river] * owed / np.maximum(water_demand_km3, 1e-9)
        gains[:, up, :] = owed * yield_gwh_per_km3[river] / demand_gwh[river]
    return gains * geo.deal_partners


def deal_willingness(
    trust: np.ndarray,
    gains: np.ndarray,
    water_shortfall: np.ndarray,
    framework: float,
    institution_depth: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Each state's willingness for a water-energy deal with each partner, by role (R, 5, 5).

    Trust, plus the value of what the deal would bring (:func:`deal_gains`): for the upstream
    state the winter energy; for the downstream state the summer water, worth no more than
    the share of its demand it lacks, so that its value rises with scarcity. An outside
    framework, or a regional body as deep, lowers the cost of striking one.

    Returns:
        (R, 5, 5) willingness; zero where the two cannot deal (:attr:`Geography.deal_partners`).
    """
    value = np.broadcast_to(gains, trust.shape).copy()
    for river, up in enumerate(geo.upstream):
        payers = geo.partner_weight[river] > 0
        value[:, payers, up] = np.minimum(gains[:, payers, up], water_shortfall[:, payers])
    framework = np.maximum(framework, institution_depth)[:, None, None]
    willingness = trust + value + per_dyad(params.framework_deal_bonus) * framework
    return willingness * geo.deal_partners


def deal_target(willingness: np.ndarray, params: Parameters) -> np.ndarray:
    """1 where both sides' willingness clears the threshold, else 0 (R, 5, 5)."""
    joint = np.minimum(willingness, np.swapaxes(willingness, 1, 2))
    return (joint >= per_dyad(params.deal_threshold)).astype(float)


def update_deals(deal: np.ndarray, target: np.ndarray, params: Parameters) -> np.ndarray:
    """Deals move toward what both sides want at ``deal_adjust_rate`` (R, 5, 5)."""
    return np.clip(deal + per_dyad(params.deal_adjust_rate) * (target - deal), 0.0, 1.0)


def fuel_deliveries(trust: np.ndarray, deal: np.ndarray, uniform: np.ndarray, params: Parameters) -> np.ndarray:
    """Whether each state honours its side of each deal this winter (R, 5, 5).

    Computed for every pair; only deliveries from a fuel partner to an upstream state count
    (:func:`fuel_cover`).

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
    """Share of each upstream state's replaceable winter release that delivered fuel replaces (R, 2).

    Each fuel partner contributes by its weight (quota times fuel export capacity); the
    upstream state's power lines limit what it can take in.
    """
    covers = []
    for river, up in enumerate(geo.upstream):
        honoured = (deal[:, :, up] * delivered[:, :, up] * geo.partner_weight[river]).sum(axis=1)  # (R,)
        covers.append(honoured * grid_link[up])
    return per_state(params.barter_fuel_cover) * np.stack(covers, axis=1)


def kept_deals(deal: np.ndarray, delivered: np.ndarray, honoured: np.ndarray, geo: Geography) -> np.ndarray:
    """How much of each deal both sides honoured this year, symmetric (R, 5, 5).

    The deal's strength where the fuel partner delivered, times the share of the owed summer
    water the upstream state released: cooperation that changed hands, not only agreed.
    """
    kept = np.zeros_like(deal)
    for river, up in enumerate(geo.upstream):
        payers = geo.partner_weight[river] > 0
        kept[:, payers, up] = deal[:, payers, up] * delivered[:, payers, up] * honoured[:, river, None]
        kept[:, up, payers] = kept[:, payers, up]
    return kept


def scarcity_excess(shortfall: np.ndarray, params: Parameters) -> np.ndarray:
    """How far a shortfall (share of need) lies beyond ``severe_scarcity_threshold`` (same shape)."""
    return np.maximum(shortfall - per_state(params.severe_scarcity_threshold), 0.0)


def scarcity_stress(water_shortfall: np.ndarray, params: Parameters) -> np.ndarray:
    """Water stress that feeds blame and border incidents (R, 5).

    The shortfall itself, plus ``severe_scarcity_gain`` times its excess over the severe
    threshold: below it, stress is the shortfall; beyond it, disputes grow faster (the
    falling side of Dinar's inverted U). It can stand in for the shortfall wherever a rule
    takes water stress, e.g. :func:`sim.model.rules.territory.incident_rate`.
    """
    return water_shortfall + per_state(params.severe_scarcity_gain) * scarcity_excess(water_shortfall, params)


def withdrawal_claims(water_shortfall: np.ndarray, params: Parameters) -> np.ndarray:
    """Each state's claim on its rivers relative to its quota (R, 5); 1 = its quota.

    A state whose last shortfall was severe draws beyond its quota, up to
    ``1 + quota_overdraw`` at a total shortfall, at the expense of the river's other users
    (Uzbekistan receives ~20% less than its ICWC limit, CABAR 2024; tail-enders suffered
    most in 2000-2001, Wegerich 2002).
    """
    threshold = per_state(params.severe_scarcity_threshold)
    severity = scarcity_excess(water_shortfall, params) / (1.0 - threshold)
    return 1.0 + per_state(params.quota_overdraw) * severity


def winter_reserve(winter_need: np.ndarray, imports: np.ndarray, winter_inflow: np.ndarray, dead: np.ndarray,
                   capacity: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Storage each upstream state keeps through the summer for next winter, km3 (R, 2).

    Enough, with next winter's inflow (this year's as the forecast), to keep its own
    winter release within the severe threshold of its need, net of the fuel a deal
    brings: the fuel delivered this winter is what it counts on for the next one, since
    winter fuel is what the 1998 Syr Darya agreement gave in exchange for summer water
    (IEA treaty database, text 4763). Without a deal it keeps what its full need requires.
    """
    expected_own_release = winter_need - imports
    return np.minimum(capacity, dead + np.maximum((1.0 - threshold) * expected_own_release - winter_inflow, 0.0))


def seasonal_balance(
    storage_km3: np.ndarray,
    flow_multiplier: np.ndarray,
    capacity_km3: np.ndarray,
    demand_km3: np.ndarray,
    power_demand: np.ndarray,
    yield_gwh_per_km3: np.ndarray,
    cover: np.ndarray,
    claims: np.ndarray,
    geo: Geography,
    params: Parameters,
    export_gwh: np.ndarray | None = None,
) -> WaterYear:
    """Winter then summer: reservoir operation, releases, withdrawals, outflow and winter power.

    Args:
        storage_km3: reservoir storage entering the winter (R, 2).
        flow_multiplier: natural flow relative to the mean, noise included (R, 2).
        capacity_km3: reservoir capacity this year (2,).
        demand_km3: irrigation demand (R, 2, 5).
        power_demand: electricity demand relative to 1991, per state (5,).
        yield_gwh_per_km3: electricity made per km3 released, per river (2,).
        cover: share of the replaceable winter release that delivered fuel replaces (R, 2).
        claims: each state's claim on the rivers relative to its quota (R, 5).
        export_gwh: summer power each state sells outside the region (5,); default none.

    Winter: the upstream state releases its power need less the energy delivered under
    deals, at least the Soviet-rule minimum, down to dead storage; what neither covers is
    its energy deficit. Summer: it releases its own summer power need, plus the water
    equivalent of the delivered energy, which it owes under the deals ("equivalent energy"
    for summer releases, 1998 Syr Darya agreement), unless releasing it would leave less
    than it needs to keep next winter's deficit within the severe threshold, counting on the
    deal's fuel (:func:`winter_reserve`): then it keeps the rest for its own power. Then it
    releases what its summer exports need (``export_gwh``, e.g. over CASA-1000), again only
    from storage above that reserve: the line sells surplus summer power (the Kyrgyz
    ministry plans 1.25-1.75 TWh a year, Daryo 2024-05-31), and the water run through the
    turbines flows on to the fields downstream in the irrigation season. It stores what is
    left up to capacity. Water balance: inflow = change in storage + withdrawals + outflow.
    """
    replicates = storage_km3.shape[0]
    demand_km3 = demand_km3 * np.ones((replicates, 1, 1))
    capacity = capacity_km3
    dead = np.minimum(geo.dead_storage_km3, capacity)
    inflow = geo.mean_flow_km3 * flow_multiplier  # (R, 2)
    upstream_formed = geo.flow_formed[np.arange(len(geo.upstream)), geo.upstream]
    regulated = inflow * upstream_formed * geo.regulated_inflow_share
    unregulated = inflow - regulated
    summer_share = geo.summer_flow_share
    winter_need, summer_need = power_release_needs(power_demand, yield_gwh_per_km3, geo)
    soviet = soviet_winter_release(geo)
    imports = cover * np.maximum(winter_need - soviet, 0.0)  # km3 of release replaced

    # Winter (October-March).
    storage = storage_km3 + regulated * (1.0 - summer_share)
    turbine_release = np.minimum(np.maximum(soviet, winter_need - imports), np.maximum(storage - dead, 0.0))
    storage = storage - turbine_release
    spill = np.maximum(storage - capacity, 0.0)
    storage = storage - spill
    winter_release = turbine_release + spill
    power_gap = np.maximum(winter_need - turbine_release - imports, 0.0)

    # Summer (April-September).
    storage = storage + regulated * summer_share
    threshold = per_state(params.severe_scarcity_threshold)
    reserve = winter_reserve(winter_need, imports, regulated * (1.0 - summer_share), dead, capacity, threshold)
    own = np.minimum(summer_need, np.maximum(storage - dead, 0.0))
    deal_release = np.minimum(imports, np.maximum(storage - own - reserve, 0.0))
    exported = np.zeros_like(own) if export_gwh is None else export_gwh[geo.upstream] / yield_gwh_per_km3
    export_release = np.minimum(exported, np.maximum(storage - own - deal_release - reserve, 0.0))
    summer_release = np.maximum(storage - capacity, own + deal_release + export_release)
    storage = storage - summer_release
    honoured = np.divide(deal_release, imports, out=np.ones_like(imports), where=imports > 1e-12)

    release = np.stack([summer_release, winter_release], axis=2)  # (R, 2, 2)
    available = release + unregulated[:, :, None] * np.stack([summer_share, 1.0 - summer_share], axis=1)[None]
    shares = geo.quota[None] * claims[:, None, :]
    shares = shares / shares.sum(axis=2, keepdims=True)  # (R, 2, 5): a claim beyond quota takes from the others
    summer_demand_share = per_dyad(params.irrigation_summer_share)
    supplied = np.zeros_like(demand_km3)
    for season in (SUMMER, WINTER):
        share = summer_demand_share if season == SUMMER else 1.0 - summer_demand_share
        wanted = demand_km3 * share
        allotted = shares * available[:, :, season][:, :, None]
        supplied = supplied + np.minimum(wanted, allotted)
    outflow = available.sum(axis=2) - supplied.sum(axis=2)

    demand_by_state = demand_km3.sum(axis=1)
    supplied_by_state = supplied.sum(axis=1)
    shortfall = 1.0 - np.divide(supplied_by_state, demand_by_state, out=np.ones_like(demand_by_state),
                                where=demand_by_state > 0)

    # Winter power: the hydro part short of demand, as a share of all winter demand.
    gap = np.divide(power_gap, winter_need, out=np.zeros_like(power_gap), where=winter_need > 0)  # (R, 2)
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
        imported_gwh=imports * yield_gwh_per_km3,
        deal_release_km3=deal_release,
        honoured=honoured,
    )


def blame(
    stress: np.ndarray,
    energy_deficit: np.ndarray,
    delivered: np.ndarray,
    deal: np.ndarray,
    honoured: np.ndarray,
    claims: np.ndarray,
    geo: Geography,
    params: Parameters,
) -> np.ndarray:
    """Trust each state loses in others over water and energy (R, 5, 5).

    - A downstream state blames the upstream state for its water stress
      (:func:`scarcity_stress`) unless a deal binds them and both sides honoured it this year
      (fuel delivered, the owed summer water released); an unhonoured deal shields no one.
    - An upstream state blames a partner that did not deliver the fuel a deal owed, by its
      winter energy deficit.
    - Every user of a river blames a user that drew beyond its quota, by its own stress.

    Args:
        stress: water stress this year (R, 5).
        energy_deficit: winter energy deficit this year (R, 5).
        delivered: 1 where i delivered the fuel it owed j (R, 5, 5).
        deal: deals this year (R, 5, 5).
        honoured: share of the owed summer release each upstream state released (R, 2).
        claims: claims on the rivers relative to quota (R, 5).
    """
    water = per_dyad(params.water_blame_trust_loss)
    users = geo.quota > 0  # (2, 5)
    sharing = (users[:, :, None] & users[:, None, :]).any(axis=0) & ~np.eye(users.shape[1], dtype=bool)
    loss = water * stress[:, :, None] * (claims - 1.0)[:, None, :] * sharing
    for river, up in enumerate(geo.upstream):
        down = users[river].copy()
        down[up] = False
        kept = deal[:, down, up] * delivered[:, down, up] * honoured[:, river, None]
        loss[:, down, up] += water[:, :, 0] * stress[:, down] * (1.0 - kept)
        not_delivered = deal[:, down, up] * (1.0 - delivered[:, down, up])
        loss[:, up, down] += per_state(params.energy_blame_trust_loss) * energy_deficit[:, up, None] * not_delivered
    return loss
