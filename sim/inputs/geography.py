"""Static geography of the five states, loaded from the data files in ``sim/data``.

Every number here comes from a CSV with a ``source`` column (see ``sim/data/*.csv``).
Arrays are ordered by :data:`STATES`; dyad matrices are symmetric (5, 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

STATES: tuple[str, ...] = ("KAZ", "KGZ", "TJK", "TKM", "UZB")
RIVERS: tuple[str, ...] = ("syr", "amu")
UPPER_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (i, j) for i in range(len(STATES)) for j in range(i + 1, len(STATES))
)
DYADS: tuple[str, ...] = tuple(f"{STATES[i]}-{STATES[j]}" for i, j in UPPER_PAIRS)

_EARTH_RADIUS_KM = 6371.0


def read_table(name: str) -> pd.DataFrame:
    """Read one of the package's data files (``sim/data/<name>.csv``)."""
    with resources.files("sim.data").joinpath(f"{name}.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#")


def _great_circle_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat), np.radians(lon)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


def _dyad_matrix(table: pd.DataFrame, column: str) -> np.ndarray:
    index = {code: k for k, code in enumerate(STATES)}
    matrix = np.zeros((len(STATES), len(STATES)))
    for row in table.itertuples(index=False):
        a, b = index[row.state_a], index[row.state_b]
        matrix[a, b] = matrix[b, a] = getattr(row, column)
    return matrix


# The year the GDP trend runs through (states.csv: gdp_2023_busd).
GDP_TREND_BASE_YEAR = 2023


@dataclass(frozen=True)
class Geography:
    """Structural facts that no rule changes.

    Attributes:
        gdp_2023_busd: GDP in 2023, $ billion (5,).
        population_m: population 2024, million (5,).
        hydro_share: hydropower share of electricity (5,).
        remittances_gdp: remittances as a share of GDP (5,).
        fuel_export_capacity: relative ability to pay for water in coal, gas or fuel (5,).
        gdp_growth_trend: assumed trend growth of GDP per year (5,).
        border_km: common border length, km (5, 5); 0 where there is none.
        hard_share: share of a border that is hard to delimit (5, 5): enclaves, densely
            settled valleys, water infrastructure; the rest (steppe, desert, mountains) is easy.
        contested_basis: 1 where the two states dispute which Soviet-era maps are the legal
            basis of their line (KGZ-TJK, KGZ-UZB), else 0 (5, 5).
        capital_distance_km: great-circle distance between capitals (5, 5).
        mean_flow_km3: mean annual natural flow per river (2,).
        upstream: index of the state holding each river's main reservoir (2,).
        reservoir_capacity_km3, dead_storage_km3: reservoir volumes (2,).
        regulated_inflow_share: share of upstream-formed flow that passes the reservoir (2,).
        summer_flow_share: share of natural runoff in April-September (2,).
        winter_power_need_gwh, summer_power_need_gwh: the upstream state's electricity demand
            in October-March and April-September at ``power_demand`` 1, GWh (2,).
        energy_yield_gwh_per_km3: electricity the cascade below the reservoir makes from
            each km3 released (2,).
        soviet_winter_release_share: share of annual release in winter under the Soviet rule (2,).
        flow_formed: share of each river's flow formed in each state (2, 5).
        quota: Soviet-era allocation shares of each river (2, 5).
    """

    gdp_2023_busd: np.ndarray
    population_m: np.ndarray
    hydro_share: np.ndarray
    remittances_gdp: np.ndarray
    fuel_export_capacity: np.ndarray
    gdp_growth_trend: np.ndarray
    border_km: np.ndarray
    hard_share: np.ndarray
    contested_basis: np.ndarray
    capital_distance_km: np.ndarray
    mean_flow_km3: np.ndarray
    upstream: np.ndarray
    reservoir_capacity_km3: np.ndarray
    dead_storage_km3: np.ndarray
    regulated_inflow_share: np.ndarray
    summer_flow_share: np.ndarray
    winter_power_need_gwh: np.ndarray
    summer_power_need_gwh: np.ndarray
    energy_yield_gwh_per_km3: np.ndarray
    soviet_winter_release_share: np.ndarray
    flow_formed: np.ndarray
    quota: np.ndarray

    def trend_gdp(self, year: int) -> np.ndarray:
        """Each state's trend GDP in ``year``, $ billion (5,): its 2023 GDP along the assumed trend."""
        return self.gdp_2023_busd * np.exp(self.gdp_growth_trend * (year - GDP_TREND_BASE_YEAR))

    @property
    def adjacent(self) -> np.ndarray:
        """Boolean (5, 5): the two states share a border."""
        return self.border_km > 0

    @property
    def deal_partners(self) -> np.ndarray:
        """Boolean (5, 5): i holds a river's reservoir and j draws on that river and can pay in
        fuel, or the reverse (KAZ-KGZ, KGZ-UZB, TJK-TKM, TJK-UZB; not KGZ-TJK, neither has fuel)."""
        partners = np.zeros((len(STATES), len(STATES)), dtype=bool)
        for river, up in enumerate(self.upstream):
            payers = self.partner_weight[river] > 0
            partners[up, payers] = True
            partners[payers, up] = True
        return partners

    @property
    def partner_weight(self) -> np.ndarray:
        """Each fuel partner's share of what the upstream state gets from all of them (2, 5):
        quota times fuel export capacity, normalised per river (0 for the upstream state)."""
        weight = self.quota * self.fuel_export_capacity[None, :]
        weight[np.arange(len(self.upstream)), self.upstream] = 0.0
        return weight / weight.sum(axis=1, keepdims=True)


@cache
def load_geography() -> Geography:
    """Load and check the static data files once per process."""
    states = read_table("states").set_index("code").loc[list(STATES)]
    borders = read_table("borders")
    rivers = read_table("rivers").set_index("river").loc[list(RIVERS)]
    shares = read_table("river_shares")
    formed = shares.pivot(index="river", columns="state", values="flow_formed_share").loc[list(RIVERS), list(STATES)]
    quota = shares.pivot(index="river", columns="state", values="soviet_quota_share").loc[list(RIVERS), list(STATES)]
    quota = quota.to_numpy(float)
    return Geography(
        gdp_2023_busd=states["gdp_2023_busd"].to_numpy(float),
        population_m=states["population_2024_m"].to_numpy(float),
        hydro_share=states["hydro_share"].to_numpy(float),
        remittances_gdp=states["remittances_gdp"].to_numpy(float),
        fuel_export_capacity=states["fuel_export_capacity"].to_numpy(float),
        gdp_growth_trend=states["gdp_growth_trend"].to_numpy(float),
        border_km=_dyad_matrix(borders, "length_km"),
        hard_share=_dyad_matrix(borders, "hard_share"),
        contested_basis=_dyad_matrix(borders, "contested_basis"),
        capital_distance_km=_great_circle_km(
            states["capital_lat"].to_numpy(float), states["capital_lon"].to_numpy(float)
        ),
        mean_flow_km3=rivers["mean_flow_km3"].to_numpy(float),
        upstream=np.array([STATES.index(s) for s in rivers["upstream_state"]]),
        reservoir_capacity_km3=rivers["reservoir_capacity_km3"].to_numpy(float),
        dead_storage_km3=rivers["dead_storage_km3"].to_numpy(float),
        regulated_inflow_share=rivers["regulated_inflow_share"].to_numpy(float),
        summer_flow_share=rivers["summer_flow_share"].to_numpy(float),
        winter_power_need_gwh=rivers["winter_power_need_gwh"].to_numpy(float),
        summer_power_need_gwh=rivers["summer_power_need_gwh"].to_numpy(float),
        energy_yield_gwh_per_km3=rivers["energy_yield_gwh_per_km3"].to_numpy(float),
        soviet_winter_release_share=rivers["soviet_winter_release_share"].to_numpy(float),
        flow_formed=formed.to_numpy(float),
        # Normalised so each river's allocation shares sum to one.
        quota=quota / quota.sum(axis=1, keepdims=True),
    )
