"""The world state: every state variable as a numpy array with a leading replicate axis.

Shapes: (R,) regional, (R, 5) per state, (R, 5, 5) per ordered pair of states (row: the
state that holds the view or makes the choice), (R, 2) per river.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.inputs.geography import Geography
from sim.inputs.parameters import Parameters, per_dyad
from sim.model.rules.territory import mutual


@dataclass(frozen=True)
class World:
    """State of all replicates at the end of a year.

    Attributes:
        storage_km3: reservoir storage of each river's upstream state (R, 2).
        water_supplied_km3, water_demand_km3: irrigation withdrawals and demand (R, 5).
        water_shortfall: 1 - supplied / demand (R, 5).
        energy_deficit: share of winter electricity not supplied (R, 5).
        river_outflow_km3: water leaving the basins toward the Aral Sea (R, 2).
        deal_water_km3: summer water each river's upstream state released under deals (R, 2).
        deal_energy_gwh: winter energy delivered to each river's upstream state under deals (R, 2).
        water_energy_deal: strength of fuel-for-water deals, symmetric (R, 5, 5).
        water_energy_kept: the part of each deal both sides honoured this year, symmetric (R, 5, 5).
        fuel_delivered: 1 where i delivered the agreed fuel to j this year (R, 5, 5).
        border_side: openness of i's side of its border with j (R, 5, 5).
        securitisation: i's threat perception of its border with j, how far i treats it as a
            security line (R, 5, 5).
        alarm: the part of i's threat perception of its border with j that security shocks
            and armed clashes raise, which closes borders (R, 5, 5).
        delimited: share of the border i-j delimited by treaty (R, 5, 5).
        delimited_hard: share of the hard stretches of the border i-j delimited (R, 5, 5).
        incidents: incidents on the border i-j this year, armed clashes included (R, 5, 5).
        clashes: armed clashes on the border i-j this year (R, 5, 5).
        ripeness: pressure to settle the border i-j after armed clashes (R, 5, 5).
        gdp_busd: GDP, $ billion (R, 5).
        trade_musd: bilateral trade i-j, $ million a year (R, 5, 5).
        extra_trade_musd: trade with the rest of the world, $ million a year (R, 5).
        trade_barrier: each state's trade regime, the share of its trade lost to its own
            tariffs, non-tariff barriers and exchange controls (R, 5).
        outside_pull: pull of outside blocs on each state (R, 5).
        trust: i's trust in j (R, 5, 5).
        dispute: personal dispute between the leaders of i and j (R, 5, 5).
        support: each state's support for a Central-Asia-only body (R, 5).
        participation: 1 where the state takes part in that body (R, 5).
        institution_depth: depth of the Central-Asia-only body, 0 none .. 1 single market (R,).
        summit: 1 in a year with a heads-of-state meeting (R,).
    """

    storage_km3: np.ndarray
    water_supplied_km3: np.ndarray
    water_demand_km3: np.ndarray
    water_shortfall: np.ndarray
    energy_deficit: np.ndarray
    river_outflow_km3: np.ndarray
    deal_water_km3: np.ndarray
    deal_energy_gwh: np.ndarray
    water_energy_deal: np.ndarray
    water_energy_kept: np.ndarray
    fuel_delivered: np.ndarray
    border_side: np.ndarray
    securitisation: np.ndarray
    alarm: np.ndarray
    delimited: np.ndarray
    delimited_hard: np.ndarray
    incidents: np.ndarray
    clashes: np.ndarray
    ripeness: np.ndarray
    gdp_busd: np.ndarray
    trade_musd: np.ndarray
    extra_trade_musd: np.ndarray
    trade_barrier: np.ndarray
    outside_pull: np.ndarray
    trust: np.ndarray
    dispute: np.ndarray
    support: np.ndarray
    participation: np.ndarray
    institution_depth: np.ndarray
    summit: np.ndarray

    @property
    def replicates(self) -> int:
        return self.storage_km3.shape[0]

    @property
    def border_openness(self) -> np.ndarray:
        """Openness of a border is set by the more closed side (R, 5, 5)."""
        return np.minimum(self.border_side, np.swapaxes(self.border_side, 1, 2))

    @property
    def border_securitisation(self) -> np.ndarray:
        """Securitisation of a border: the mean of both sides' threat perceptions (R, 5, 5).

        Checks and queues form at both sides' posts.
        """
        return mutual(self.securitisation)


def initial_world(replicates: int, params: Parameters, geo: Geography, year_1991_gdp: np.ndarray) -> World:
    """The state entering 1991: Soviet-era open borders, one customs territory and currency
    (no trade barriers), nothing delimited, no bodies yet.

    Args:
        replicates: R.
        params: parameters (``trust_initial`` sets the shared Soviet-era trust).
        geo: static geography.
        year_1991_gdp: GDP entering 1991 (the 1990 record or trend value), $ billion (5,).
    """
    r, n = replicates, len(geo.gdp_2023_busd)
    off_diagonal = 1.0 - np.eye(n)
    trust = per_dyad(params.trust_initial) * np.ones((r, n, n)) * off_diagonal
    demand = np.zeros((r, n))
    return World(
        storage_km3=np.tile(0.7 * geo.reservoir_capacity_km3, (r, 1)),
        water_supplied_km3=demand.copy(),
        water_demand_km3=demand.copy(),
        water_shortfall=np.zeros((r, n)),
        energy_deficit=np.zeros((r, n)),
        river_outflow_km3=np.zeros((r, len(geo.mean_flow_km3))),
        deal_water_km3=np.zeros((r, len(geo.mean_flow_km3))),
        deal_energy_gwh=np.zeros((r, len(geo.mean_flow_km3))),
        water_energy_deal=np.zeros((r, n, n)),
        water_energy_kept=np.zeros((r, n, n)),
        fuel_delivered=np.zeros((r, n, n)),
        border_side=np.tile(off_diagonal, (r, 1, 1)),
        securitisation=np.zeros((r, n, n)),
        alarm=np.zeros((r, n, n)),
        delimited=np.zeros((r, n, n)),
        delimited_hard=np.zeros((r, n, n)),
        incidents=np.zeros((r, n, n)),
        clashes=np.zeros((r, n, n)),
        ripeness=np.zeros((r, n, n)),
        gdp_busd=np.tile(year_1991_gdp, (r, 1)),
        trade_musd=np.zeros((r, n, n)),
        extra_trade_musd=np.zeros((r, n)),
        trade_barrier=np.zeros((r, n)),
        outside_pull=np.zeros((r, n)),
        trust=trust,
        dispute=np.zeros((r, n, n)),
        support=np.zeros((r, n)),
        participation=np.zeros((r, n)),
        institution_depth=np.zeros(r),
        summit=np.zeros(r),
    )
