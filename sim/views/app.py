"""The explorer: two pages in the browser for the Central Asia model.

Start it with ``casim app`` (:func:`launch`) or ``solara run sim/views/app.py``, then open
http://127.0.0.1:8765.

- ``/`` the ensemble page (:mod:`sim.views.ensemble_page`): every control change reruns a few
  dozen runs over the posterior and redraws the index and its dimensions as bands, with the
  previous result as a ghost, a reference scenario beside, the scenario's own events and
  the narrative patterns that hold.
- ``/step`` one model run year by year (a Mesa SolaraViz page): pick a scenario, a seed and
  key parameters in the sidebar, press *Reset* to build the model with them, then *Step*
  (one year) or play. Panels: the Regional Integration Index and its dimensions, the five
  states as a network, each state's water and energy balance, and the parameters in use.

Every browser session has its own state: the pages build their models and inputs inside
their components, never at module level. Needs the ``app`` extra (``pip install -e
".[app]"``); its pinned solara serves its own scripts, so the pages work without internet
access.
"""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import solara
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# Mesa 3.3's SolaraViz trips solara's hook check on import (harmless; fixed in Mesa 3.5).
warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return")
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.figures.style import LABELS, STATE_COLOURS
from sim.inputs.geography import STATES, UPPER_PAIRS, load_geography
from sim.inputs.parameters import parameter_specs
from sim.model.mesa_model import CentralAsia
from sim.views.ensemble_page import PAGE_CSS, EnsemblePage, ParameterSlider
from sim.views.ensemble_view import KEY_PARAMETERS, scenario_names, seed_from_text
from sim.views.ensemble_view import slider_step as ensemble_slider_step

DEFAULT_SEED = "1"
# Approximate country centres (longitude, latitude): the network keeps the map's layout.
POSITIONS = {"KAZ": (67.0, 48.0), "KGZ": (74.5, 41.5), "TJK": (71.0, 38.7), "TKM": (59.5, 39.0), "UZB": (64.0, 41.5)}
EDGE_COLOURS = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.9, 256)))
INDEX_PANELS = ("integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop",
                "political")
# Mesa's grid gives each panel a fixed half-width cell; let the panels flow at their own height
# (the index and the parameter table full width), and put slider labels above full-width tracks.
LAYOUT_CSS = """
.vue-grid-layout { height: auto !important; display: flex; flex-wrap: wrap; align-items: flex-start; }
.vue-grid-item { position: relative !important; transform: none !important; top: auto !important;
                 left: auto !important; width: 50% !important; height: auto !important; padding: 6px; }
.vue-grid-item:has(.casim-wide) { width: 100% !important; }
.vue-grid-placeholder, .vue-grid-item .vue-resizable-handle { display: none !important; }
.vue-grid-item img { max-width: 100%; height: auto; }
.v-input__slider .v-input__slot { flex-wrap: wrap; }
.v-input__slider .v-label { flex: 0 0 100%; height: auto; white-space: normal; margin-bottom: 2px; }
.casim-note { font-size: 14px; line-height: 1.45; margin: 4px 8px; }
.casim-table { border-collapse: collapse; font-size: 13px; margin: 8px; }
.casim-table th, .casim-table td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.casim-table td:first-child { font-family: monospace; white-space: nowrap; }
.casim-reset { color: #b00020; font-weight: bold; }
"""
STEP_PATH = "step"  # the stepping page's address: http://127.0.0.1:8765/step
NAME = "casim explorer: regional cooperation in Central Asia"

UNCERTAINTY_NOTE = (
    "Each line is <b>one stochastic replicate</b> with the posterior's highest-density parameters: another seed "
    "gives another path. The <a href='/'>ensemble page</a> shows the spread over the posterior and chance (bands "
    "of a few dozen runs). Index and dimensions are 0-1 (1 = integrated); trade share is intra-regional trade "
    "over the states' total trade."
)
HOW_TO = (
    "<b>How to use:</b> choose a scenario, a seed and parameter values under <i>Inputs</i> in the sidebar, then "
    "press <b>Reset</b> to build the model with them (until then a red note says the inputs changed); <b>Step</b> "
    "advances one year (or <i>Render Interval</i> years), ▶ plays to {end_year}. A slider sets its parameter for "
    "any scenario; until moved (or after its <i>default</i> button) the parameter keeps its default, the "
    "posterior's highest-density draw, exactly. All other parameters keep theirs too "
    "(<code>sim/data/parameters.csv</code>, <code>sim/data/posterior.csv</code>). A seed that is a whole number is "
    "used as it is; any other text is hashed (SHA-256), never evaluated."
)


@dataclass(frozen=True)
class StepInputs:
    """What the stepping page's sidebar says: the inputs of the next Reset.

    Attributes:
        scenario_name: a shipped scenario (``scenarios/<name>.toml``).
        seed: the seed box's text (see :func:`seed_from_text`).
        parameters: ``(name, value)`` pairs, sorted, set by the sliders; every other
            parameter keeps its default, the posterior's highest-density draw.
    """

    scenario_name: str = "baseline"
    seed: str = DEFAULT_SEED
    parameters: tuple[tuple[str, float], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "parameters", tuple(sorted((str(n), float(v)) for n, v in self.parameters)))

    def with_parameter(self, name: str, value: float | None) -> StepInputs:
        """These inputs with ``name`` set to ``value`` (None: back to its default)."""
        kept = tuple((n, v) for n, v in self.parameters if n != name)
        return StepInputs(self.scenario_name, self.seed, kept if value is None else (*kept, (name, value)))

    def differences(self, other: StepInputs) -> list[str]:
        """What differs from ``other``, one short phrase each."""
        found = []
        if self.scenario_name != other.scenario_name:
            found.append(f"scenario {self.scenario_name}")
        if self.seed != other.seed:
            found.append(f"seed {self.seed if len(self.seed) <= 24 else self.seed[:21] + '...'!r}")
        mine, theirs = dict(self.parameters), dict(other.parameters)
        for name in KEY_PARAMETERS + tuple(sorted((set(mine) | set(theirs)) - set(KEY_PARAMETERS))):
            if mine.get(name) != theirs.get(name):
                found.append(f"{name} {mine[name]:.4g}" if name in mine else f"{name} back to its default")
        return found


class Explorer(CentralAsia):
    """The model as the explorer builds it: a scenario chosen by name and a seed typed as text.

    Args:
        scenario_name: a shipped scenario (``scenarios/<name>.toml``).
        seed: the seed box's text (see :func:`seed_from_text`).
        scenario: ignored; Mesa 3.5's Reset passes a ``mesa.experimental`` Scenario here.
        inputs: a :class:`StepInputs`, or a solara reactive holding one (what the stepping
            page passes, so that Mesa's Reset builds the model from the sidebar as it is
            then); it replaces ``scenario_name`` and ``seed`` and adds its parameters.
        **kwargs: parameter values by name.

    Attributes:
        inputs: the :class:`StepInputs` it was built from.
    """

    def __init__(self, *, scenario_name: str = "baseline", seed: str = DEFAULT_SEED, scenario=None,
                 inputs=None, **kwargs):
        if inputs is not None:
            inputs = getattr(inputs, "value", inputs)
            scenario_name, seed, kwargs = inputs.scenario_name, inputs.seed, {**dict(inputs.parameters), **kwargs}
        super().__init__(scenario=scenario_name, rng=seed_from_text(seed), **kwargs)
        self.seed_text = str(seed)
        self.inputs = StepInputs(scenario_name, str(seed), tuple(kwargs.items()))


def slider_step(name: str) -> float:
    """The stepping page's slider step: a power of ten giving at least 1000 positions, so a
    moved slider lands within a thousandth of the range of any value."""
    return ensemble_slider_step(name, positions=1000)


TABLE_COLUMNS = ("parameter", "in use", "unit", "range", "default", "factor", "what it does", "source")


def parameter_rows(model: CentralAsia | None = None) -> list[dict[str, str]]:
    """The key parameters: value in use (when a model is given), unit, range, default, factor, meaning, source.

    Values to six significant digits: a default is the posterior's highest-density draw, and
    the table shows it as the model uses it, not rounded to a slider step."""
    rows = []
    for name in KEY_PARAMETERS:
        spec = parameter_specs()[name]
        used = f"{float(model.params[name]):.6g}" if model is not None else ""
        rows.append(dict(zip(TABLE_COLUMNS, (name, used, spec.unit, f"{spec.min:g} to {spec.max:g}",
                                             f"{spec.default:.6g}", spec.factor, spec.description, spec.source))))
    return rows


def parameter_table_html(model: CentralAsia | None = None) -> str:
    """:func:`parameter_rows` as an HTML table, every cell escaped."""
    head = "".join(f"<th>{column}</th>" for column in TABLE_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row.values()) + "</tr>"
                   for row in parameter_rows(model))
    return f'<table class="casim-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def status(model: CentralAsia) -> str:
    """One line on where the run is: the last simulated year and its integration index."""
    if not model.measures:
        return f"Year {model.year} (not started): press Step or ▶"
    return f"Year {model.year}: Regional Integration Index {model.region_value('integration_index'):.3f}"


def _history(model: CentralAsia):
    return model.datacollector.get_model_vars_dataframe()


def index_figure(model: CentralAsia) -> Figure:
    """The Regional Integration Index and its five dimensions, one panel each, by year."""
    fig = Figure(figsize=(10.5, 4.8))
    axes = fig.subplots(2, 3, sharex=True, gridspec_kw={"left": 0.06, "right": 0.975, "bottom": 0.1, "top": 0.87,
                                                         "wspace": 0.25, "hspace": 0.32})
    history = _history(model)
    first, last = model.casim_scenario.start_year, model.casim_scenario.end_year
    for ax, variable in zip(axes.flat, INDEX_PANELS):
        name, unit = LABELS[variable]
        if len(history):
            ax.plot(history["year"], history[variable], color="black", linewidth=2.0 if ax is axes.flat[0] else 1.4)
        ax.set_title(name, fontsize=10, fontweight="bold" if variable == "integration_index" else "normal")
        ax.set_ylabel(unit, fontsize=8)
        ax.set_xlim(first, last)
        ax.set_ylim(0.0, 1.0)  # fixed, as on the ensemble page: the axes do not jump while the model steps
        ax.grid(axis="y", color="0.9")
        ax.tick_params(labelsize=8)
    for ax in axes[1]:
        ax.set_xlabel("year", fontsize=8)
    state = f"{model.year}: index {model.region_value('integration_index'):.3f}" if len(history) else "not started"
    seed = getattr(model, "seed_text", str(model.replicate_seed))
    seed = seed if len(seed) <= 24 else seed[:21] + "..."
    fig.suptitle(f"{model.casim_scenario.name}, one replicate (seed {seed!r}), {state}", fontsize=10)
    return fig


def network_figure(model: CentralAsia, colour_by: str = "border_openness") -> Figure:
    """The five states as a network: edge colour border openness or trust, edge width trade.

    Args:
        model: the model.
        colour_by: ``"border_openness"`` (pairs with a common border only) or ``"trust"``
            (mutual trust, every pair).
    """
    world, geo = model.world, load_geography()
    values = world.border_openness[0] if colour_by == "border_openness" else 0.5 * (world.trust[0] + world.trust[0].T)
    trade = world.trade_musd[0]
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.add_axes((0.0, 0.0, 0.84, 0.93))
    for i, j in UPPER_PAIRS:
        if colour_by == "border_openness" and not geo.adjacent[i, j]:
            continue
        (x0, y0), (x1, y1) = POSITIONS[STATES[i]], POSITIONS[STATES[j]]
        ax.plot([x0, x1], [y0, y1], color=EDGE_COLOURS(float(values[i, j])), linewidth=_width(trade[i, j]),
                solid_capstyle="round", zorder=1)
    for code, (x, y) in POSITIONS.items():
        ax.scatter([x], [y], s=900, color=STATE_COLOURS[code], edgecolors="white", linewidths=1.5, zorder=2)
        ax.text(x, y, code, ha="center", va="center", color="white", fontsize=9, fontweight="bold", zorder=3)
    name, unit = LABELS[colour_by]
    scale = fig.colorbar(ScalarMappable(cmap=EDGE_COLOURS), cax=fig.add_axes((0.86, 0.1, 0.03, 0.76)))
    scale.set_label(f"edge colour: {name.lower()} ({unit})", fontsize=8)
    widths = [Line2D([], [], color="0.4", linewidth=_width(v), label=f"{v:,.0f}") for v in (10, 100, 1000)]
    ax.legend(handles=widths, title="edge width: trade ($ million per year)", loc="lower left", fontsize=7,
              title_fontsize=7, ncols=3, frameon=False)
    which = "pairs with a common border" if colour_by == "border_openness" else "every pair"
    ax.set_title(f"{model.year if model.measures else 'before 1991'}: {name.lower()} ({which})", fontsize=10)
    ax.set_xlim(55.5, 78.5)
    ax.set_ylim(34.8, 50.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


def _width(trade_musd: float) -> float:
    return 0.8 + 0.35 * float(np.sqrt(max(trade_musd, 0.0)))


def water_energy_figure(model: CentralAsia) -> Figure:
    """Each state's irrigation water (demand and supply) and winter energy deficit this year."""
    world = model.world
    demand, supplied = world.water_demand_km3[0], world.water_supplied_km3[0]
    colours = [STATE_COLOURS[code] for code in STATES]
    x = np.arange(len(STATES))
    fig = Figure(figsize=(6.4, 4.6))
    water, energy = fig.subplots(1, 2, gridspec_kw={"left": 0.1, "right": 0.98, "bottom": 0.08, "top": 0.86,
                                                    "wspace": 0.32})
    water.bar(x, demand, width=0.7, color="none", edgecolor=colours, linewidth=1.5, hatch="///")
    water.bar(x, supplied, width=0.7, color=colours)
    for k in range(len(STATES)):
        if demand[k] > 0:
            water.annotate(f"{1 - supplied[k] / demand[k]:.0%}", (x[k], demand[k]), xytext=(0, 2),
                           textcoords="offset points", ha="center", fontsize=8)
    water.set_ylabel("km³ per year", fontsize=8)
    water.set_title("Irrigation water: supplied (filled),\ndemand (hatched), % short", fontsize=9)
    water.set_ylim(0, max(1.0, float(demand.max()) * 1.15))
    energy.bar(x, world.energy_deficit[0], width=0.7, color=colours)
    energy.set_ylim(0.0, 1.0)
    energy.set_ylabel(LABELS["energy_deficit"][1], fontsize=8)
    energy.set_title(f"{LABELS['energy_deficit'][0]}\n", fontsize=9)
    for ax in (water, energy):
        ax.set_xticks(x, STATES, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", color="0.9")
    fig.suptitle(f"{model.year if model.measures else 'before 1991'}: water and energy balance per state", fontsize=10)
    return fig


# --- Solara components: redrawn whenever the model steps or is reset (update_counter) -----

# The stepping page's inputs (a solara reactive holding StepInputs), for the panels inside SolaraViz.
StepInputsContext = solara.create_context(None)


def reset_note(model: Explorer, inputs: StepInputs | None) -> str:
    """What the status line adds when the sidebar's inputs differ from the model's: press Reset."""
    if inputs is None or getattr(model, "inputs", inputs) == inputs:
        return ""
    return "Inputs changed since the last Reset (" + ", ".join(inputs.differences(model.inputs)) + \
        "): press Reset to run with them."


@solara.component
def IndexPlot(model):
    """The integration index panel with a note on uncertainty."""
    update_counter.get()
    inputs = solara.use_context(StepInputsContext)
    note = reset_note(model, inputs.value if inputs is not None else None)
    solara.Style(LAYOUT_CSS)
    with solara.Column(classes=["casim-wide"]):
        solara.Text(status(model), classes=["casim-status"], style={"font-weight": "bold"})
        if note:
            solara.Text(note, classes=["casim-reset", "casim-reset-status"])
        solara.FigureMatplotlib(index_figure(model), format="png")
        solara.HTML(unsafe_innerHTML=UNCERTAINTY_NOTE, classes=["casim-note"])


@solara.component
def NetworkPlot(model):
    """The five states as a network, edges coloured by border openness or trust."""
    update_counter.get()
    colour_by, set_colour_by = solara.use_state("border openness")
    solara.ToggleButtonsSingle(value=colour_by, values=["border openness", "trust"], on_value=set_colour_by)
    solara.FigureMatplotlib(network_figure(model, colour_by.replace(" ", "_")), format="png")


@solara.component
def WaterEnergyPlot(model):
    """Per-state water and energy balance of the current year."""
    update_counter.get()
    solara.FigureMatplotlib(water_energy_figure(model), format="png")


@solara.component
def ParameterTable(model):
    """How to use the page, and the key parameters with unit, range, default and source."""
    update_counter.get()
    with solara.Column(classes=["casim-wide"]):
        solara.HTML(unsafe_innerHTML=HOW_TO.format(end_year=model.casim_scenario.end_year), classes=["casim-note"])
        solara.HTML(unsafe_innerHTML=parameter_table_html(model))


@solara.component
def StepInputsCard(inputs: solara.Reactive, model: solara.Reactive):
    """The stepping page's inputs: scenario, seed and a slider per key parameter; a red note
    while they differ from the running model's (press Reset)."""
    current: StepInputs = inputs.value
    specs = parameter_specs()
    with solara.Card("Inputs (applied by Reset)"):
        names = scenario_names()

        def choose(name: str) -> None:
            if name in names:  # only what the list offers (a browser can send any value)
                inputs.set(StepInputs(name, inputs.value.seed, inputs.value.parameters))

        solara.Select("Scenario (scenarios/*.toml)", values=names, value=current.scenario_name, on_value=choose)
        solara.InputText("Seed: a number, or any text (hashed)", value=current.seed, continuous_update=False,
                         on_value=lambda text: inputs.set(StepInputs(inputs.value.scenario_name, text,
                                                                     inputs.value.parameters)))
        values = dict(current.parameters)
        for name in KEY_PARAMETERS:
            spec = specs[name]
            ParameterSlider(name, values.get(name), lambda value, name=name: inputs.set(
                inputs.value.with_parameter(name, value)), f"default {spec.default:.6g} (posterior point, exact)",
                spec.default, slider_step(name), unset_button="default")
        changed = reset_note(model.value, current)
        if changed:
            solara.Text(changed, classes=["casim-reset", "casim-reset-card"])


@solara.component
def SteppingPage():
    """One model run year by year (Mesa's SolaraViz), with a model and inputs of its own in
    every browser session: both are created here, per session, and Reset builds the next
    model from this session's inputs."""
    inputs = solara.use_reactive(StepInputs())
    first = solara.use_memo(lambda: Explorer(inputs=StepInputs()), [])
    model = solara.use_reactive(first)
    StepInputsContext.provide(inputs)
    solara.Style(PAGE_CSS)
    solara.Title("casim explorer: one run")
    SolaraViz(model, components=[IndexPlot, NetworkPlot, WaterEnergyPlot, ParameterTable],
              model_params={"inputs": inputs}, name=NAME)
    with solara.Sidebar():
        StepInputsCard(inputs, model)


@solara.component
def Layout(children=[]):  # noqa: B006 (solara's signature for a layout)
    """solara's app layout, with the pages' tabs named by their labels."""
    current, pages = solara.use_route()
    router = solara.use_router()
    index = pages.index(current) if current in pages else 0

    def go(k: int) -> None:
        router.push(solara.resolve_path(pages[k]))

    with solara.AppLayout(children=children, title=NAME) as main, solara.AppBar(), \
            solara.lab.Tabs(value=index, on_value=go, align="center"):
        for page in pages:
            solara.lab.Tab(page.label)
    return main


# The root route's layout serves every page (solara takes it from the route at "/").
routes = [
    solara.Route(path="/", component=EnsemblePage, label="Ensemble over the posterior",
                 layout=Layout),
    solara.Route(path=STEP_PATH, component=SteppingPage, label="One run, year by year"),
]


def launch(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> int:
    """Serve the explorer with ``solara run`` (production mode) until it stops.

    Args:
        host: address to listen on.
        port: port to listen on.
        open_browser: open the page in the default browser.

    Returns:
        The server's exit code.
    """
    command = [sys.executable, "-m", "solara", "run", str(Path(__file__).resolve()), "--host", host, "--port",
               str(port), "--production", "--no-check-version", "--open" if open_browser else "--no-open"]
    env = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", **os.environ}
    print(f"casim: the explorer is at http://{host}:{port} (Ctrl+C stops it)", file=sys.stderr)
    server = subprocess.Popen(command, env=env)
    try:  # a SIGTERM to this process stops the server too, like Ctrl+C
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread
        previous = None
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()  # also when only this process got the Ctrl+C
        try:
            return server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            return server.wait()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
