"""The five state agents.

Each :class:`State` is a view onto its row of the model's world arrays: its attributes are
read from the same arrays the rules update, so nothing is stored twice. In each year a
state takes its own row of the joint decisions computed by :func:`sim.model.dynamics.decide`
from last year's world (decisions are simultaneous).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.inputs.geography import RIVERS, STATES
from sim.model.dynamics import Decisions, decide


class State(mesa.Agent):
    """One Central Asian state: water, energy, borders, trade and politics.

    Args:
        model: the :class:`~sim.model.mesa_model.CentralAsia` model.
        code: ISO code, one of KAZ, KGZ, TJK, TKM, UZB.
    """

    def __init__(self, model, code: str):
        super().__init__(model)
        self.code = code
        self.index = STATES.index(code)
        self.decision: Decisions | None = None

    def decide(self) -> None:
        """Choose this year's border regimes, deal offers, fuel deliveries and support."""
        model = self.model
        joint = decide(model.world, model.drivers_now, model.year, model.params, model.geography, model.streams)
        self.decision = joint.of_state(self.index)

    # --- views onto the world arrays (replicate 0) ---------------------------------------

    def _row(self, name: str) -> np.ndarray:
        return getattr(self.model.world, name)[0, self.index]

    def _by_partner(self, matrix: np.ndarray) -> dict[str, float]:
        return {other: float(matrix[k]) for k, other in enumerate(STATES) if k != self.index}

    @property
    def basin_position(self) -> dict[str, str]:
        """Per river: "upstream" (holds the main reservoir), "downstream" or "outside"."""
        geo = self.model.geography
        return {
            river: "upstream" if geo.upstream[r] == self.index else ("downstream" if geo.quota[r, self.index] > 0 else "outside")
            for r, river in enumerate(RIVERS)
        }

    @property
    def flow_formed_share(self) -> dict[str, float]:
        """Share of each river's flow formed on the state's territory."""
        return {river: float(self.model.geography.flow_formed[r, self.index]) for r, river in enumerate(RIVERS)}

    @property
    def irrigation_demand_km3(self) -> float:
        return float(self._row("water_demand_km3"))

    @property
    def withdrawals_km3(self) -> float:
        return float(self._row("water_supplied_km3"))

    @property
    def reservoir_storage_km3(self) -> float:
        """Storage of the reservoirs the state operates (0 for downstream states)."""
        geo = self.model.geography
        return float(sum(self.model.world.storage_km3[0, r] for r, up in enumerate(geo.upstream) if up == self.index))

    @property
    def water_shortfall(self) -> float:
        return float(self._row("water_shortfall"))

    @property
    def hydro_share(self) -> float:
        return float(self.model.geography.hydro_share[self.index])

    @property
    def energy_deficit(self) -> float:
        return float(self._row("energy_deficit"))

    @property
    def fuel_export_capacity(self) -> float:
        return float(self.model.geography.fuel_export_capacity[self.index])

    @property
    def grid_connection(self) -> float:
        return float(self.model.drivers_now.power_grid_link[self.index])

    @property
    def border_km(self) -> dict[str, float]:
        return {k: v for k, v in self._by_partner(self.model.geography.border_km[self.index]).items() if v > 0}

    @property
    def delimited_share(self) -> dict[str, float]:
        return {k: v for k, v in self._by_partner(self._row("delimited")).items() if k in self.border_km}

    @property
    def border_openness(self) -> dict[str, float]:
        openness = self.model.world.border_openness[0, self.index]
        return {k: v for k, v in self._by_partner(openness).items() if k in self.border_km}

    @property
    def incidents(self) -> dict[str, float]:
        return {k: v for k, v in self._by_partner(self._row("incidents")).items() if k in self.border_km}

    @property
    def clashes(self) -> dict[str, float]:
        return {k: v for k, v in self._by_partner(self._row("clashes")).items() if k in self.border_km}

    @property
    def threat_perception(self) -> dict[str, float]:
        """Its securitisation of each of its borders (its own view, not the neighbour's)."""
        return {k: v for k, v in self._by_partner(self._row("securitisation")).items() if k in self.border_km}

    @property
    def alarm(self) -> dict[str, float]:
        """Its alarm over each of its borders: the threat perception from security shocks and
        armed clashes, which closes a border (routine incidents bring only checks and queues)."""
        return {k: v for k, v in self._by_partner(self._row("alarm")).items() if k in self.border_km}

    @property
    def gdp_busd(self) -> float:
        return float(self._row("gdp_busd"))

    @property
    def trade_openness(self) -> float:
        """Total trade (regional and other) as a share of GDP."""
        total = self._row("trade_musd").sum() + self._row("extra_trade_musd")
        return float(total / (self.gdp_busd * 1000.0))

    @property
    def trade_barrier(self) -> float:
        """Share of its trade lost to its own tariffs, non-tariff barriers and exchange controls."""
        return float(self._row("trade_barrier"))

    @property
    def trade_musd(self) -> dict[str, float]:
        return self._by_partner(self._row("trade_musd"))

    @property
    def leader_disposition(self) -> float:
        return float(self.model.drivers_now.leader_disposition[0, self.index])

    @property
    def trust(self) -> dict[str, float]:
        """This state's trust in each other state."""
        return self._by_partner(self._row("trust"))

    @property
    def alignment(self) -> dict[str, float]:
        """Membership in outside blocs this year."""
        drivers = self.model.drivers_now
        return {
            "eurasian_bloc": float(drivers.eurasian_bloc_member[self.index]),
            "csto": float(drivers.csto_member[self.index]),
            "neutrality": float(drivers.neutrality[self.index]),
        }
