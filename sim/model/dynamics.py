"""One simulated year: every state decides from last year's world, then all decisions apply.

:func:`decide` and :func:`apply` are the only place the rule modules are combined. The
Mesa model (:mod:`sim.model.mesa_model`) calls them with one replicate, each :class:`~sim.model.agents.State`
taking its own row of the decisions; the ensemble engine (:mod:`sim.model.engine`) calls them
with many replicates at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace

import numpy as np

from sim.inputs.geography import Geography
from sim.inputs.parameters import Parameters, per_dyad, per_state
from sim.inputs.randomness import RandomStreams
from sim.model.rules import economy, institutions, subjective, territory, water
from sim.model.world import World

# Named random streams: each draw in a year has its own, so adding one never shifts another
# (stream 4 is the leaders' dispositions, drawn once per run, sim.inputs.leaders).
STREAM_FLOW, STREAM_FUEL, STREAM_INCIDENTS, STREAM_SUMMIT = range(4)
STREAM_FORGIVENESS, STREAM_CLASHES = 5, 6


@dataclass(frozen=True)
class Decisions:
    """What each state chooses this year; axis 1 is the deciding state.

    Attributes:
        border_side: openness of i's side of each border (R, 5, 5).
        delimitation_will: i's will to settle its border with j (R, 5, 5).
        deal_willingness: i's willingness for a water-energy deal with j (R, 5, 5).
        fuel_delivery: 1 where i delivers the fuel it owes j under a deal (R, 5, 5).
        withdrawal_claim: i's claim on its rivers relative to its quota (R, 5).
        willingness_to_meet: i's willingness to meet the other leaders (R, 5).
        support: i's support for a deep Central-Asia-only body (R, 5).
        trade_barrier: i's trade regime, the share of its trade lost to its own tariffs,
            non-tariff barriers and exchange controls (R, 5).
    """

    border_side: np.ndarray
    delimitation_will: np.ndarray
    deal_willingness: np.ndarray
    fuel_delivery: np.ndarray
    withdrawal_claim: np.ndarray
    willingness_to_meet: np.ndarray
    support: np.ndarray
    trade_barrier: np.ndarray

    def of_state(self, index: int) -> Decisions:
        """The row of one deciding state (keeps the axis, length 1)."""
        return Decisions(**{f.name: getattr(self, f.name)[:, index : index + 1] for f in fields(self)})

    @classmethod
    def combine(cls, rows: list[Decisions]) -> Decisions:
        """Reassemble the joint decisions from each state's row, in state order."""
        return cls(**{f.name: np.concatenate([getattr(r, f.name) for r in rows], axis=1) for f in fields(cls)})


def decide(world: World, drivers: SimpleNamespace, year: int, params: Parameters, geo: Geography,
           streams: RandomStreams) -> Decisions:
    """Every state's choices for ``year``, from last year's world and this year's drivers."""
    disposition = drivers.leader_disposition
    dependence = economy.trade_dependence(world.trade_musd, world.gdp_busd)
    pull = economy.outside_pull(drivers.eurasian_bloc_member, drivers.csto_member, drivers.remittances_gdp,
                                world.securitisation, params)
    n = disposition.shape[1]
    meet = institutions.willingness_to_meet(disposition, world.trust)
    water_demand = water.irrigation_demand(drivers.irrigation_demand, geo, params).sum(axis=1)
    gains = water.deal_gains(drivers.power_demand, drivers.hydro_yield_gwh_per_km3, water_demand,
                             drivers.power_grid_link, geo, params)
    return Decisions(
        border_side=territory.border_side_choice(
            world.border_side, disposition, world.trust, world.alarm, dependence,
            streams.uniform(year, STREAM_FORGIVENESS, (n, n)), geo, params,
        ),
        delimitation_will=territory.delimitation_will(disposition, world.trust, params),
        deal_willingness=water.deal_willingness(
            world.trust, gains, world.water_shortfall, drivers.water_energy_framework, world.institution_depth,
            geo, params,
        ),
        fuel_delivery=water.fuel_deliveries(
            world.trust, world.water_energy_deal, streams.uniform(year, STREAM_FUEL, (n, n)), params
        ),
        withdrawal_claim=water.withdrawal_claims(world.water_shortfall, params),
        willingness_to_meet=meet,
        support=institutions.support(meet, pull, drivers.neutrality),
        trade_barrier=economy.trade_policy(world.trade_barrier, disposition, params),
    )


def river_flow_multiplier(drivers: SimpleNamespace, year: int, params: Parameters, streams: RandomStreams):
    """Natural flow this year: the driver times lognormal noise with mean one (R, 2).

    The noise's spread is ``flow_variability_cv`` scaled by the ``flow_noise`` driver: none in
    a year whose recorded flow the driver gives.
    """
    cv = per_state(params.flow_variability_cv) * drivers.flow_noise
    sigma = np.sqrt(np.log1p(cv**2))
    noise = np.exp(sigma * streams.normal(year, STREAM_FLOW, (len(drivers.river_flow),)) - sigma**2 / 2)
    return drivers.river_flow * noise


def apply(world: World, decisions: Decisions, drivers: SimpleNamespace, year: int, params: Parameters,
          geo: Geography, streams: RandomStreams) -> World:
    """The world at the end of ``year`` once all decisions have been carried out."""
    disposition = drivers.leader_disposition

    # Water and energy.
    deal = water.update_deals(world.water_energy_deal, water.deal_target(decisions.deal_willingness, params), params)
    cover = water.fuel_cover(deal, decisions.fuel_delivery, drivers.power_grid_link, geo, params)
    demand = water.irrigation_demand(drivers.irrigation_demand, geo, params)
    flow = river_flow_multiplier(drivers, year, params, streams)
    water_year = water.seasonal_balance(
        world.storage_km3, flow, drivers.reservoir_capacity_km3, demand, drivers.power_demand,
        drivers.hydro_yield_gwh_per_km3, cover, decisions.withdrawal_claim, geo, params,
        export_gwh=drivers.summer_power_export_gwh,
    )
    stress = water.scarcity_stress(water_year.shortfall, params)

    # Territory. An incident escalates to an armed clash with the escalation chance, so
    # clashes and the incidents that stay low-level are two independent Poisson draws.
    securitisation = territory.securitise(world.securitisation, drivers.security_shock, world.incidents,
                                          world.clashes, disposition, geo, params)
    alarm = territory.alarm(world.alarm, drivers.security_shock, world.clashes, disposition, geo, params)
    border_securitisation = territory.mutual(securitisation)
    border_side = decisions.border_side
    rate = territory.incident_rate(world.delimited_hard, border_side, world.trust, stress, geo, params)
    escalation = territory.escalation_chance(securitisation, world.trust, world.dispute, world.ripeness, params)
    clashes = territory.draw_border_events(rate * escalation, lambda mean: streams.poisson(year, STREAM_CLASHES, mean))
    incidents = clashes + territory.draw_border_events(
        rate * (1.0 - escalation), lambda mean: streams.poisson(year, STREAM_INCIDENTS, mean))
    ripeness = territory.ripen(world.ripeness, clashes, params)
    delimited, delimited_hard = territory.delimit(world.delimited, world.delimited_hard, decisions.delimitation_will,
                                                  securitisation, ripeness, geo, params)
    openness = np.minimum(border_side, np.swapaxes(border_side, 1, 2))

    # Institutions.
    taking_part = institutions.participation(decisions.support, params)
    chance = institutions.summit_chance(decisions.support, params)
    summit = (streams.uniform(year, STREAM_SUMMIT, ()) < chance).astype(float)
    depth = institutions.update_depth(world.institution_depth, decisions.support, taking_part, summit, params)

    # Economy.
    gdp = economy.gdp(year, drivers.gdp_vs_trend, water_year.shortfall, water_year.energy_deficit, geo, params)
    trade = economy.trade_flows(
        gdp, openness, border_securitisation, world.trust, drivers.eurasian_bloc_member, taking_part, depth,
        decisions.trade_barrier, geo, params,
    )

    # Leaders and trust.
    dispute = subjective.update_disputes(world.dispute, incidents, disposition, drivers.leader_change, params)
    losses = territory.border_trust_loss(incidents, clashes, world.trust, params) + water.blame(
        stress, water_year.energy_deficit, decisions.fuel_delivery, deal, water_year.honoured,
        decisions.withdrawal_claim, geo, params,
    )
    attended = summit[:, None, None] * taking_part[:, :, None] * taking_part[:, None, :]
    anchor = subjective.trust_anchor(disposition, dispute, border_side, geo.adjacent)
    trust = subjective.update_trust(world.trust, anchor, losses, per_dyad(params.summit_trust_gain) * attended, params)

    return World(
        storage_km3=water_year.storage_km3,
        water_supplied_km3=water_year.supplied_km3,
        water_demand_km3=water_year.demand_km3,
        water_shortfall=water_year.shortfall,
        energy_deficit=water_year.energy_deficit,
        river_outflow_km3=water_year.outflow_km3,
        deal_water_km3=water_year.deal_release_km3,
        deal_energy_gwh=water_year.imported_gwh,
        water_energy_deal=deal,
        water_energy_kept=water.kept_deals(deal, decisions.fuel_delivery, water_year.honoured, geo),
        fuel_delivered=decisions.fuel_delivery,
        border_side=border_side,
        securitisation=securitisation,
        alarm=alarm,
        delimited=delimited,
        delimited_hard=delimited_hard,
        incidents=incidents,
        clashes=clashes,
        ripeness=ripeness,
        gdp_busd=gdp,
        trade_musd=trade,
        extra_trade_musd=economy.extra_regional_trade(gdp, decisions.trade_barrier, params),
        trade_barrier=decisions.trade_barrier,
        outside_pull=economy.outside_pull(
            drivers.eurasian_bloc_member, drivers.csto_member, drivers.remittances_gdp, securitisation, params
        ),
        trust=trust,
        dispute=dispute,
        support=decisions.support,
        participation=taking_part,
        institution_depth=depth,
        summit=summit,
    )


def step(world: World, drivers: SimpleNamespace, year: int, params: Parameters, geo: Geography,
         streams: RandomStreams) -> World:
    """Decide, then apply: one year for all replicates."""
    return apply(world, decide(world, drivers, year, params, geo, streams), drivers, year, params, geo, streams)
