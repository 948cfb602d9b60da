"""What every figure shares: the palette, the variables' names and units, the canvas and saving.

Figures are drawn on an Agg canvas without pyplot (:func:`_new_figure`), so importing a figure
module never switches backends; :func:`save_figure` writes ``<path>.png`` and ``<path>.svg``,
each atomically, and returns the PNG path.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.inputs.geography import STATES
from sim.io.output import atomic_path

# Okabe & Ito (2008) colour-blind-safe palette; yellow is left out (too pale on white).
_OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
STATE_COLOURS: dict[str, str] = dict(zip(STATES, _OKABE_ITO))
SCENARIO_COLOURS: dict[str, str] = {
    "baseline": "#000000",
    "no_opening_2016": "#D55E00",
    "water_deficit_2050": "#0072B2",
    "water_deficit_2050_with_barter": "#009E73",
}
_SPARE_COLOURS = ("#CC79A7", "#E69F00", "#56B4E9", "#999999")

# variable -> (name, unit); the same names serve region and dyad variables.
LABELS: dict[str, tuple[str, str]] = {
    "integration_index": ("Regional Integration Index", "0-1"),
    "institutional": ("Institutional depth", "0-1"),
    "trade_share": ("Intra-regional trade share", "share of total trade, 0-1"),
    "border_openness": ("Border openness", "0 closed - 1 open"),
    "water_energy_coop": ("Water-energy cooperation", "share of deals kept, 0-1"),
    "political": ("Political (trust less conflict)", "0-1"),
    "trust": ("Trust", "0-1"),
    "water_shortfall": ("Irrigation water shortfall", "share of demand, 0-1"),
    "energy_deficit": ("Winter energy deficit", "share of winter power demand, 0-1"),
    "conflict_incidents": ("Border conflict incidents", "incidents per year"),
    "clashes": ("Armed clashes on borders", "clashes per year"),
    "delimited_share": ("Delimited border", "share of length, 0-1"),
    "trade_flow": ("Bilateral trade", "$ million per year"),
    "border_queues": ("Trade lost to border queues", "share of trade, 0-1"),
    "border_side_difference": ("First state's side less the second's", "openness, -1 to 1"),
    "summit": ("Heads-of-state summit held", "share of replicates"),
    "deal_water_km3": ("Summer water released under water-energy deals", "km3 per year"),
    "deal_energy_gwh": ("Winter energy delivered under water-energy deals", "GWh per year"),
    "support": ("Support for a Central-Asia-only body", "0-1"),
    "trade_openness": ("Trade openness", "total trade as a share of GDP"),
    "trade_barrier": ("Trade regime barrier", "share of trade lost, 0-1"),
}


def _label(variable: str) -> str:
    name, unit = LABELS.get(variable, (variable.replace("_", " ").capitalize(), ""))
    return f"{name} ({unit})" if unit else name


def _colours(names: list[str]) -> dict[str, str]:
    spare = iter(c for c in _SPARE_COLOURS + _OKABE_ITO if c not in SCENARIO_COLOURS.values())
    return {name: SCENARIO_COLOURS.get(name) or next(spare, "#999999") for name in names}


def _new_figure(**kwargs) -> Figure:
    fig = Figure(layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG (150 dpi) and as SVG next to it, each atomically, then close it.

    Args:
        fig: the figure.
        path: the PNG path (the suffix is replaced by ``.png``); parent folders are created.

    Returns:
        The PNG path.
    """
    png = Path(path).with_suffix(".png")
    try:
        with matplotlib.rc_context({"svg.hashsalt": "casim"}):  # reproducible SVG ids
            for target, options in ((png, {"dpi": 150}), (png.with_suffix(".svg"), {"metadata": {"Date": None}})):
                with atomic_path(target) as tmp:
                    fig.savefig(tmp, format=target.suffix[1:], **options)
    finally:
        plt.close(fig)
    return png
