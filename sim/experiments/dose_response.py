"""The water deficit as a dose: how the 2041-2050 answers change with the deficit's size.

The question "does the water deficit raise or lower integration?" depends on how large the
deficit is: scarcity and cooperation form an inverted U (Dinar 2009; Dinar & Dinar 2017;
:mod:`sim.model.rules.water`). This experiment therefore runs the deficit at several sizes: the
scenario ``water_deficit_2050`` (irrigation demand +30% by 2030, then held) with the
natural flow of both rivers falling linearly from 2025 to 0, 10, 20, 30 and 40% below its
mean by 2050 (the 10% level is ``water_deficit_2050`` itself), each without and with the
outside water-energy framework of ``water_deficit_2050_with_barter`` (0.8 from 2025).

Every level and arm runs the same plan (:func:`sim.inputs.posterior.plan`): each run pairs a seed,
a posterior draw and the leaders' dispositions, so the differences between levels, and
between the arms, are paired run by run. Per level and arm, for each outcome's 2041-2050
mean: the mean and 5-95% range over the runs, the paired difference from the 0% level of
the same arm (mean, 5-95%, and the probability that it is higher), and the framework's
paired effect at that level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.compare import TIE
from sim.inputs.posterior import Plan
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.engine import simulate_plan
from sim.model.outcomes import VariableRef, window_mean

FLOW_LOSSES = (0.0, 0.1, 0.2, 0.3, 0.4)
ARMS = {"without framework": "water_deficit_2050", "with framework": "water_deficit_2050_with_barter"}
DECADE = (2041, 2050)
OUTCOMES = {
    "integration_index": "region.integration_index",
    "water_shortfall": "region.water_shortfall",
    "kgz_energy_deficit": "country.KGZ.energy_deficit",
    "tjk_energy_deficit": "country.TJK.energy_deficit",
    "water_energy_coop": "region.water_energy_coop",
    "conflict_incidents": "region.conflict_incidents",
    "trust": "region.trust",
}
SEED = 20240611


def at_flow_loss(scenario: Scenario, loss: float) -> Scenario:
    """The scenario with every river-flow ramp of it ending ``loss`` below the mean instead.

    Raises:
        ValueError: the scenario has no river-flow ramp to resize.
    """
    raw = scenario.model_dump(mode="json", exclude={"extends"})
    ramps = [event for event in raw["interventions"]
             if event["target"].startswith("river_flow") and event["ramp"] is not None]
    if not ramps:
        raise ValueError(f"scenario {scenario.name!r} has no river_flow ramp to resize")
    for event in ramps:
        event["ramp"] = round(1.0 - loss, 10)
        event["note"] = f"{event['note']} (dose-response: -{loss:.0%} by {event['end_year']})"
    raw["name"] = f"{scenario.name}_flow_minus_{round(100 * loss)}"
    return Scenario.model_validate(raw)


def _quantiles(values: np.ndarray) -> tuple[float, float, float]:
    return float(values.mean()), float(np.quantile(values, 0.05)), float(np.quantile(values, 0.95))


def dose_response(runs: Plan) -> pd.DataFrame:
    """One row per arm, flow loss and outcome (see the module docstring for the columns).

    Args:
        runs: the plan every level and arm runs (:func:`sim.inputs.posterior.plan`).
    """
    refs = {name: VariableRef.parse(text) for name, text in OUTCOMES.items()}
    record = {(ref.scope, ref.variable) for ref in refs.values()}
    means: dict[tuple[str, float], dict[str, np.ndarray]] = {}
    for arm, name in ARMS.items():
        scenario = load_scenario(name)
        for loss in FLOW_LOSSES:
            trajectory = simulate_plan(at_flow_loss(scenario, loss), runs, record=record)
            means[arm, loss] = {outcome: window_mean(trajectory, ref, *DECADE) for outcome, ref in refs.items()}
    rows = []
    for arm in ARMS:
        for loss in FLOW_LOSSES:
            for outcome in OUTCOMES:
                values = means[arm, loss][outcome]
                change = values - means[arm, 0.0][outcome]
                effect = values - means["without framework", loss][outcome]
                mean, p05, p95 = _quantiles(values)
                change_mean, change_p05, change_p95 = _quantiles(change)
                effect_mean, effect_p05, effect_p95 = _quantiles(effect)
                rows.append({"arm": arm, "flow_loss": loss, "outcome": outcome, "mean": mean, "p05": p05, "p95": p95,
                             "change_from_no_loss": change_mean, "change_p05": change_p05, "change_p95": change_p95,
                             "probability_higher_than_no_loss": float((change > TIE).mean()),
                             "framework_effect": effect_mean, "framework_effect_p05": effect_p05,
                             "framework_effect_p95": effect_p95,
                             "probability_framework_higher": float((effect > TIE).mean()),
                             "runs": len(runs.seeds)})
    return pd.DataFrame(rows)
