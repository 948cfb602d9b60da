"""How the headline answers change across each leader's disposition range, and where they flip.

Each leader's disposition is coded with a range (docs/dispositions.md). For every leader of
the baseline, this sweep holds his disposition at ``levels`` values from the low to the
high end of his range, while every run keeps its posterior draw (with the other leaders'
dispositions it infers), the other leaders' drawn dispositions and its seed
(:func:`sim.inputs.posterior.plan`; the same for every value, so the values are compared run
by run). Where the posterior infers the held leader's disposition, the sweep replaces it:
the other parameters and dispositions stay those fitted jointly with his inferred value, so
the sweep asks "what if he alone had stood elsewhere in his range". At each value it
measures the headline answers:

- ``opening_effect``: the 2019-2030 integration index of the baseline less that of
  ``no_opening_2016`` (mean over paired runs), and ``opening_raises_index``: the share of
  pairs in which it is positive;
- ``kgz_uzb_shut``: the pass rate of the pattern that the KGZ-UZB border is shut in 2010-2016;
- ``kgz_uzb_reopens``: the pass rate of the pattern that it reopens in 2019-2024.

An answer *flips* across a leader's range when the opening effect changes sign, or when a
pattern's pass rate crosses the level at which it counts as reproduced (0.8).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.inference.patterns import PATTERNS_FILE, load_patterns
from sim.inputs.leaders import leaders_in_1991
from sim.inputs.posterior import ParameterSource, plan
from sim.inputs.scenario import Scenario, load_scenario
from sim.model.engine import simulate_plan
from sim.model.outcomes import VariableRef, window_mean

SHUT, REOPENS = "kgz_uzb_border_shut_2010_2016", "kgz_uzb_border_reopens"
INDEX = VariableRef.parse("region.integration_index")
END_YEAR = 2030
PASS_LEVEL = 0.8


def _leaders(scenario: Scenario) -> list[tuple[int, str, object]]:
    """(first full year, country, disposition) of every coded leader of a scenario, 1991 ones first."""
    found = [(1991, code, leader.disposition) for code, leader in leaders_in_1991().items()]
    found += [(change.year, change.country, change.spec()) for change in scenario.leader_changes
              if change.spec() is not None]
    return found


def _holding(scenario: Scenario, year: int, country: str, value: float) -> Scenario:
    """The scenario with one leader's disposition held at ``value``; unchanged if that leader
    is not in it (``no_opening_2016``'s UZB leader of 2017 keeps his predecessor's disposition)."""
    own = [c for c in scenario.leader_changes if (c.year, c.country) == (year, country)]
    if own and own[0].spec() is None:
        return scenario
    raw = scenario.model_dump(mode="json", exclude={"extends"})
    changes = [c for c in raw["leader_changes"] if (c["year"], c["country"]) != (year, country)]
    changes.append({"year": year, "country": country, "disposition": value, "note": "held by the sweep"})
    return Scenario.model_validate({**raw, "leader_changes": changes})


def sweep(replicates: int = 100, levels: int = 5, seed: int = 20240611,
          source: ParameterSource | None = None) -> pd.DataFrame:
    """One row per leader and level: the disposition held, and the headline answers."""
    patterns = load_patterns(PATTERNS_FILE)
    chosen = [p for p in patterns.patterns if p.id in (SHUT, REOPENS)]
    baseline = load_scenario("baseline", end_year=END_YEAR)
    counterfactual = load_scenario("no_opening_2016", end_year=END_YEAR)
    runs = plan(seed, replicates, 1, source)
    refs = [VariableRef.parse(p.variable) for p in chosen] + [INDEX]
    record = {(ref.scope, ref.variable) for ref in refs}
    rows = []
    for year, country, disposition in _leaders(baseline):
        for level, value in enumerate(np.linspace(disposition.low, disposition.high, levels)):
            with_opening = simulate_plan(_holding(baseline, year, country, float(value)), runs, record=record)
            without = simulate_plan(_holding(counterfactual, year, country, float(value)), runs, record=record)
            effect = window_mean(with_opening, INDEX, 2019, 2030) - window_mean(without, INDEX, 2019, 2030)
            passed = {p.id: float(p.check(with_opening).mean()) for p in chosen}
            rows.append({"country": country, "first_full_year": year, "leader": disposition.key.split(":")[1],
                         "level": level, "position": level / max(levels - 1, 1), "disposition": value,
                         "low": disposition.low, "central": disposition.central, "high": disposition.high,
                         "opening_effect": float(effect.mean()), "opening_raises_index": float((effect > 0).mean()),
                         "kgz_uzb_shut": passed[SHUT], "kgz_uzb_reopens": passed[REOPENS], "runs": replicates})
    return pd.DataFrame(rows)


def flips(table: pd.DataFrame) -> pd.DataFrame:
    """Per leader: which answers flip across his range, and between which values."""
    rows = []
    for (country, year, leader), group in table.groupby(["country", "first_full_year", "leader"], sort=False):
        group = group.sort_values("disposition")
        found = []
        sign = np.sign(group["opening_effect"].round(4)).to_numpy()
        for answer, states in (("opening effect sign", sign),
                               ("KGZ-UZB shut 2010-2016 reproduced", group["kgz_uzb_shut"].to_numpy() >= PASS_LEVEL),
                               ("KGZ-UZB reopens reproduced", group["kgz_uzb_reopens"].to_numpy() >= PASS_LEVEL)):
            change = np.flatnonzero(states[1:] != states[:-1])
            if len(change):
                values = group["disposition"].to_numpy()
                found.append(f"{answer} between {values[change[0]]:.2f} and {values[change[0] + 1]:.2f}")
        rows.append({"country": country, "first_full_year": year, "leader": leader,
                     "range": f"{group['low'].iloc[0]:.2f}-{group['high'].iloc[0]:.2f}",
                     "opening_effect_range": f"{group['opening_effect'].min():+.3f} to "
                                             f"{group['opening_effect'].max():+.3f}",
                     "flips": "; ".join(found) or "none"})
    return pd.DataFrame(rows)
