"""Events for the time axes of figures: the narrative's history and a scenario's own inputs.

``sim/data/events.csv`` holds the narrative's events (treaties, bodies, shocks) for orientation;
no rule reads it. A scenario's own events are its inputs: every leader change and every
intervention with a note, in the year it starts. Figures mark both.
"""

from __future__ import annotations

import pandas as pd

from sim.inputs.geography import read_table

COLUMNS = ["year", "label", "kind"]


def narrative_events() -> pd.DataFrame:
    """The narrative's events (``kind``: institution, shock, ...), by year."""
    return read_table("events")[COLUMNS].sort_values("year", kind="stable").reset_index(drop=True)


def scenario_events(scenario) -> pd.DataFrame:
    """A scenario's leader changes and noted interventions, by year (``kind`` = ``scenario``)."""
    rows = [{"year": change.year, "label": f"{change.country}: {change.note or change.leader or 'new leader'}",
             "kind": "scenario"} for change in scenario.leader_changes]
    rows += [{"year": item.year, "label": item.note, "kind": "scenario"} for item in scenario.interventions
             if item.note]
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("year", kind="stable").reset_index(drop=True)


def figure_events(scenarios: list) -> pd.DataFrame:
    """The events of several compared scenarios: those all share as they are, the others with
    the name of the scenario they belong to."""
    tables = [scenario_events(s) for s in scenarios]
    if not tables:
        return pd.DataFrame(columns=COLUMNS)
    keys = [set(zip(t["year"], t["label"])) for t in tables]
    shared = set.intersection(*keys)
    rows = [t.assign(label=[label if (year, label) in shared else f"{s.name}: {label}"
                            for year, label in zip(t["year"], t["label"])]) for s, t in zip(scenarios, tables)]
    return pd.concat(rows).drop_duplicates(["year", "label"]).sort_values("year", kind="stable").reset_index(drop=True)
