"""Outside drivers: with leader changes, the only inputs a scenario sets (anything else it
holds fixed is a flagged assumption, :class:`sim.inputs.scenario.Assumptions`).

The brief (``shared/BRIEF.md``, "Inputs versus outcomes") separates what lies outside the
five states' interaction from what the rules must produce. A driver is one of the former:
leader changes and dispositions, memberships in outside blocs, river flow, demand growth,
dams and power lines, and outside security shocks. Border regimes, delimitation, trade,
trust, summits, clashes, water-energy deals and every index are outcomes, and no driver
sets them.

Leaders are not a yearly path a scenario writes: each state's leader holds office from a
leader change on, and his disposition is a distribution (:mod:`sim.inputs.leaders`) that each run
draws from. :class:`DriverPaths` keeps which disposition is in office each year.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from sim.inputs.geography import RIVERS, STATES, load_geography
from sim.inputs.leaders import FIRST_YEAR, Disposition


@dataclass(frozen=True)
class DriverSpec:
    """An outside driver: its scope, default, range, unit and meaning."""

    name: str
    scope: str  # "state", "river" or "region"
    default: float | tuple[float, ...]
    min: float
    max: float
    unit: str
    description: str

    @property
    def entities(self) -> tuple[str, ...]:
        return {"state": STATES, "river": RIVERS, "region": ("region",)}[self.scope]


def _driver_specs() -> dict[str, DriverSpec]:
    geo = load_geography()
    specs = [
        DriverSpec("eurasian_bloc_member", "state", 0.0, 0.0, 1.0, "0/1",
                   "Membership in the Russia-led economic bloc (EurAsEC 2001-2014, EAEU from 2015)."),
        DriverSpec("csto_member", "state", 0.0, 0.0, 1.0, "0/1",
                   "Membership in the Collective Security Treaty (Organization)."),
        DriverSpec("neutrality", "state", 0.0, 0.0, 1.0, "0/1",
                   "Declared permanent neutrality: the state stays out of multilateral bodies."),
        DriverSpec("security_shock", "state", 0.0, 0.0, 1.0, "0 none .. 1 war-like",
                   "An outside or domestic security shock not produced by the five states' "
                   "interaction: armed incursions, civil war, a violent change of power."),
        DriverSpec("river_flow", "river", 1.0, 0.2, 1.5, "multiple of mean flow",
                   "Natural river flow relative to the long-term mean (climate, glaciers, "
                   "withdrawals by Afghanistan)."),
        DriverSpec("flow_noise", "river", 1.0, 0.0, 1.0, "share of natural variability",
                   "How much of the year-to-year variability of natural flow (flow_variability_cv) a "
                   "run draws around river_flow: 1 where the year's flow is not known, 0 where "
                   "river_flow gives the recorded flow (sim/data/recorded_flows.csv)."),
        DriverSpec("irrigation_demand", "state", 1.0, 0.3, 2.5, "multiple of Soviet-era demand",
                   "Water demand relative to the Soviet-era allocation (population, irrigated area)."),
        DriverSpec("power_demand", "state", 1.0, 0.3, 3.0, "multiple of 1991 demand",
                   "Electricity demand relative to 1991 (population, heating), winter and summer."),
        DriverSpec("reservoir_capacity_km3", "river", tuple(geo.reservoir_capacity_km3), 0.0, 60.0, "km3",
                   "Storage of the upstream state's reservoirs on the river (new dams add to it)."),
        DriverSpec("hydro_yield_gwh_per_km3", "river", tuple(geo.energy_yield_gwh_per_km3), 100.0, 5000.0,
                   "GWh per km3", "Electricity the power plants below the upstream state's main reservoir make "
                   "from each km3 it releases (a new plant in the cascade adds to it)."),
        DriverSpec("summer_power_export_gwh", "state", 0.0, 0.0, 10000.0, "GWh per summer",
                   "Summer hydropower an upstream state sells outside the region over an export line "
                   "(CASA-1000 to Afghanistan and Pakistan), from what its reservoir can spare."),
        DriverSpec("power_grid_link", "state", 1.0, 0.0, 1.0, "0 isolated .. 1 linked",
                   "Physical capacity of the state's power lines to its neighbours."),
        DriverSpec("remittances_gdp", "state", tuple(geo.remittances_gdp), 0.0, 0.8, "share of GDP",
                   "Migrants' remittances as a share of GDP, mostly from Russia's labour market (default: "
                   "sim/data/states.csv); a fall in them is a remittance shock."),
        DriverSpec("gdp_vs_trend", "state", 1.0, 0.05, 3.0, "multiple of trend GDP",
                   "GDP relative to its trend through the 2023 value (sim/data/states.csv): the recorded "
                   "GDP in current US dollars where published (sim/data/recorded_gdp.csv), else an "
                   "economic shock such as a recession or a devaluation."),
        DriverSpec("water_energy_framework", "region", 0.0, 0.0, 1.0, "0 none .. 1 strong",
                   "An outside-backed water-energy framework (donor finance, joint hydropower "
                   "company, export line) that makes fuel-for-water deals cheaper to strike."),
    ]
    return {spec.name: spec for spec in specs}


DRIVER_SPECS = _driver_specs()


def default_path(spec: DriverSpec, years: int) -> np.ndarray:
    """The driver's default value for every year, shape (years, entities)."""
    default = np.broadcast_to(np.asarray(spec.default, dtype=float), (len(spec.entities),))
    return np.tile(default, (years, 1))


class DriverPaths:
    """Yearly values of every driver over a run, built from a validated scenario.

    Attributes:
        years: the simulated years, 1991..end_year.
        paths: driver name -> array (years, entities); ``leader_change`` is 1 in a year a
            state's leader changes.
        dispositions: the distinct dispositions of the run's leaders (the columns of the
            values :func:`sim.inputs.leaders.draw` gives).
        leader_slot: which of ``dispositions`` is in office, per year and state (years, 5).
    """

    def __init__(self, end_year: int, leaders_1991: list[Disposition]):
        self.years = np.arange(FIRST_YEAR, end_year + 1)
        self.paths = {name: default_path(spec, len(self.years)) for name, spec in DRIVER_SPECS.items()}
        self.paths["leader_change"] = np.zeros((len(self.years), len(STATES)))
        self.dispositions = list(leaders_1991)
        self.leader_slot = np.tile(np.arange(len(STATES)), (len(self.years), 1))

    def hand_over(self, year: int, country: str, disposition: Disposition | None) -> None:
        """A new leader from ``year``; with no disposition of his own he keeps the old one."""
        self.paths["leader_change"][year - FIRST_YEAR, STATES.index(country)] = 1.0
        if disposition is not None:
            self.hold(year, country, disposition)

    def hold(self, year: int, country: str, disposition: Disposition) -> None:
        """``disposition`` in office in ``country`` from ``year`` on. Without :meth:`hand_over`
        there is no change of leader: a scenario may only assume this ([assumptions])."""
        if disposition not in self.dispositions:
            self.dispositions.append(disposition)
        self.leader_slot[year - FIRST_YEAR:, STATES.index(country)] = self.dispositions.index(disposition)

    def at(self, year: int, disposition_values: np.ndarray) -> SimpleNamespace:
        """All drivers in one year as (entities,) arrays; region drivers as floats.

        Args:
            year: the year.
            disposition_values: each run's drawn dispositions (R, len(dispositions)); the
                leaders' dispositions of the year come out as ``leader_disposition`` (R, 5).
        """
        row = year - FIRST_YEAR
        values = {}
        for name, path in self.paths.items():
            spec = DRIVER_SPECS.get(name)
            values[name] = float(path[row, 0]) if spec and spec.scope == "region" else path[row]
        values["leader_disposition"] = disposition_values[:, self.leader_slot[row]]
        return SimpleNamespace(**values)
