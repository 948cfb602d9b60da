"""The ensemble explorer's work: a few dozen runs over the posterior, drawn as bands.

Every control change on the explorer's ensemble page (``sim/views/app.py``) calls :func:`redraw`:
it runs the chosen scenario through the ensemble engine for ``runs`` replicates of
1991-2050 (each pairing a seed with a posterior draw and the leaders' dispositions,
:func:`sim.inputs.posterior.plan`, four seeds per draw), recording only what the figure and the
narrative patterns need; runs the reference scenario with the same seeds, draws and
dispositions (cached while its inputs stay the same); and draws the Regional Integration
Index and its five dimensions as medians with 5-95% bands, the previous result as a faint
ghost, the reference beside, and the scenario's own events (its leader changes and
interventions) on the time axis. :func:`pattern_rows` gives each narrative pattern's pass
rate over the runs.

Nothing here imports solara, so the benchmark (``benchmarks/explorer_redraw.py``) and the
tests time and check the same code the page runs.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.figures.style import LABELS, STATE_COLOURS
from sim.inference.patterns import PatternSet, load_patterns
from sim.inputs.parameters import parameter_specs
from sim.inputs.posterior import parameter_source, plan
from sim.inputs.scenario import SCENARIO_DIR, Scenario, load_scenario
from sim.model.engine import simulate_plan

# Key behavioural parameters, at least one per blocking factor (sim/data/parameters.csv).
KEY_PARAMETERS = (
    "border_open_bias", "border_reciprocity", "incident_rate_per_1000km",  # territory
    "deal_threshold",  # water
    "queue_friction", "bloc_pull",  # economy
    "trust_learning_rate",  # trust
    "summit_threshold",  # institutions
)
# The index and its five dimensions, one panel each.
PANELS = ("integration_index", "institutional", "trade_share", "border_openness", "water_energy_coop", "political")
RUN_CHOICES = (20, 40, 80, 160)
DEFAULT_RUNS = 40
SEEDS_PER_DRAW = 4  # replicates per posterior draw: 40 runs = 10 draws x 4 seeds
DEFAULT_SEED = 1
READOUT_YEARS = (2030, 2050)
PASS_LEVEL = 0.8  # a pattern is reproduced when at least this share of runs satisfies it
QUANTILES = (0.05, 0.5, 0.95)

CURRENT_COLOUR = "#0072B2"
REFERENCE_COLOUR = "#D55E00"
GHOST_COLOUR = "0.35"
Y_TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
BACKGROUNDS = 8  # pictures of the figure without its bands kept per canvas (scenario, reference, legend)


def seed_from_text(text: str) -> int:
    """The seed for what was typed in a seed box.

    A whole number from 0 to 2**63 - 1 is used as it is; any other text (words, negative
    or huge numbers, an expression) is hashed with SHA-256, so the same text always gives
    the same run. Surrounding whitespace is ignored; the text is never evaluated.

    Args:
        text: the seed box's content.

    Returns:
        A seed in [0, 2**63 - 1].
    """
    text = str(text).strip()
    if re.fullmatch(r"[0-9]{1,19}", text) and int(text) < 2**63:
        return int(text)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 2**63


def scenario_names() -> list[str]:
    """The shipped scenarios (``scenarios/*.toml``), by name."""
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))


def slider_step(name: str, positions: int = 200) -> float:
    """A round slider step giving at least ``positions`` positions over the parameter's range."""
    spec = parameter_specs()[name]
    return float(10 ** np.floor(np.log10((spec.max - spec.min) / positions)))


@dataclass(frozen=True)
class Settings:
    """What the ensemble page's controls say.

    Attributes:
        scenario: a shipped scenario's name.
        reference: the scenario drawn beside it, or None.
        runs: replicates (``SEEDS_PER_DRAW`` seeds per posterior draw).
        seed: the run seed from which replicate seeds, draws and disposition keys come.
        overrides: ``(name, value)`` pairs, sorted: these parameters are set to the value in
            every run instead of each run's posterior draw.
        central_dispositions: every leader his posterior draw does not infer at his central disposition instead of a draw.
        reference_overrides: whether the overrides also apply to the reference (else it runs
            on the posterior as it is).
    """

    scenario: str = "baseline"
    reference: str | None = "baseline"
    runs: int = DEFAULT_RUNS
    seed: int = DEFAULT_SEED
    overrides: tuple[tuple[str, float], ...] = ()
    central_dispositions: bool = False
    reference_overrides: bool = False

    def __post_init__(self):
        object.__setattr__(self, "overrides", tuple(sorted((str(n), float(v)) for n, v in self.overrides)))
        unknown = [name for name, _ in self.overrides if name not in parameter_specs()]
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; see sim/data/parameters.csv")

    def override(self, name: str, value: float | None) -> Settings:
        """These settings with ``name`` set to ``value`` in every run (None: back to the posterior)."""
        kept = tuple((n, v) for n, v in self.overrides if n != name)
        return replace(self, overrides=kept if value is None else kept + ((name, float(value)),))

    @property
    def params(self) -> dict[str, float]:
        return dict(self.overrides)

    def for_reference(self) -> Settings | None:
        """The settings of the reference run: the same seeds, draws and dispositions."""
        if self.reference is None:
            return None
        return replace(self, scenario=self.reference, reference=None,
                       overrides=self.overrides if self.reference_overrides else ())


@dataclass(frozen=True)
class Ensemble:
    """The runs of one scenario under one set of settings, summarised.

    Attributes:
        scenario: its name.
        settings: the settings it ran with.
        years: the simulated years (T,).
        bands: per panel variable, the 5%, median and 95% over the runs (3, T).
        pass_rates: per pattern of ``experiments/patterns.toml``, the share of runs that
            satisfy it (NaN where the run does not cover the pattern's years).
        seconds: how long the runs and the summaries took.
        made: when they were made (``time.perf_counter()``), to tell a reused result.
    """

    scenario: str
    settings: Settings
    years: np.ndarray
    bands: dict[str, np.ndarray]
    pass_rates: np.ndarray
    seconds: float
    made: float = 0.0

    @property
    def runs(self) -> int:
        return self.settings.runs

    def at(self, variable: str, year: int) -> tuple[float, float, float]:
        """5%, median and 95% of ``variable`` in ``year``."""
        column = int(np.searchsorted(self.years, year))
        if column >= len(self.years) or self.years[column] != year:
            raise ValueError(f"{year} is not in the run ({self.years[0]}-{self.years[-1]})")
        return tuple(float(v) for v in self.bands[variable][:, column])


@cache
def patterns() -> PatternSet:
    """The narrative's patterns (``experiments/patterns.toml``)."""
    return load_patterns()


def recorded() -> set[tuple[str, str]]:
    """What a run records: the panels' region variables and what the patterns need."""
    return {("region", name) for name in PANELS} | patterns().recorded()


def ensemble(settings: Settings) -> Ensemble:
    """The runs of ``settings.scenario`` (cached on the resolved scenario and the settings)."""
    key = replace(settings, reference=None, reference_overrides=False)
    return _ensemble(load_scenario(settings.scenario).digest(), key)


@lru_cache(maxsize=128)
def _ensemble(digest: str, settings: Settings) -> Ensemble:
    """The runs; ``digest`` (of the resolved scenario) keys the cache, so an edited file runs anew."""
    started = time.perf_counter()
    scenario = load_scenario(settings.scenario)
    runs = plan(settings.seed, settings.runs, SEEDS_PER_DRAW, parameter_source())
    trajectory = simulate_plan(scenario, runs, settings.params, record=recorded(),
                               central_dispositions=settings.central_dispositions)
    bands = {name: np.quantile(trajectory.series["region"][name], QUANTILES, axis=1) for name in PANELS}
    first, last = int(trajectory.years[0]), int(trajectory.years[-1])
    rates = np.array([pattern.check(trajectory).mean() if first <= pattern.first_year and pattern.last_year <= last
                      else np.nan for pattern in patterns().patterns])
    done = time.perf_counter()
    return Ensemble(scenario.name, settings, trajectory.years, bands, rates, done - started, done)


# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    """One of a scenario's own events: a leader change or an intervention.

    Attributes:
        year: the first year it acts.
        end_year: the last year (interventions; None: to the end of the run).
        kind: ``"leader"`` or ``"intervention"``.
        country: the state (leader changes, and interventions on one state's driver), else "".
        what: a short description.
        note: the scenario file's note.
        own: True when the reference scenario has no such event (what sets the two apart).
    """

    year: int
    end_year: int | None
    kind: str
    country: str
    what: str
    note: str
    own: bool = False


def _leader_what(change) -> str:
    if change.leader is not None:
        return f"{change.country}: {change.leader} takes office"
    if change.disposition_range is not None:
        low, high = change.disposition_range
        return f"{change.country}: new leader, disposition {low:g}-{high:g}"
    if change.disposition is not None:
        return f"{change.country}: new leader, disposition {change.disposition:g}"
    return f"{change.country}: new leader, same disposition"


def _intervention_what(item) -> str:
    operation = next(op for op in ("set", "scale", "ramp") if getattr(item, op) is not None)
    verb = {"set": "set to", "scale": "times", "ramp": "ramps to"}[operation]
    until = f" by {item.end_year}" if operation == "ramp" else (f" until {item.end_year}" if item.end_year else "")
    return f"{item.target} {verb} {getattr(item, operation):g}{until}"


def scenario_events(scenario: Scenario, reference: Scenario | None = None) -> list[Event]:
    """The scenario's leader changes and interventions in its run, by year; ``own`` marks
    those the reference lacks."""
    theirs = set()
    if reference is not None:
        theirs = {item.model_dump_json() for item in (*reference.leader_changes, *reference.interventions)}
    first, last = scenario.start_year, scenario.end_year
    events = []
    for change in scenario.leader_changes:
        events.append(Event(change.year, None, "leader", change.country, _leader_what(change), change.note,
                            reference is not None and change.model_dump_json() not in theirs))
    for item in scenario.interventions:
        country = item.target.partition(".")[2]
        events.append(Event(item.year, item.end_year, "intervention", country if country in STATE_COLOURS else "",
                            _intervention_what(item), item.note,
                            reference is not None and item.model_dump_json() not in theirs))
    inside = [event for event in events if event.year <= last and (event.end_year or last) >= first]
    return sorted(inside, key=lambda event: (event.year, event.kind != "leader", event.what))


# ----------------------------------------------------------------------------- the figure


def _runs_label(settings: Settings) -> str:
    draws = -(-settings.runs // SEEDS_PER_DRAW)
    return f"{settings.runs} runs = {draws} draws x {SEEDS_PER_DRAW} seeds"


class EnsembleCanvas:
    """The figure of the ensemble page, kept between redraws.

    Six panels (the index and its five dimensions; y axes fixed at 0-1) and a strip of the
    scenario's events along the time axis. What changes with every control (medians and
    5-95% bands of the scenario, of the reference and of the ghost) is drawn over a saved
    picture of the rest (axes, ticks, titles, legend, events), which is drawn only the first
    time a scenario, reference and legend come together (the last few are kept). That
    takes a redraw of the figure from about 0.3 s to 0.1 s on two cores. One canvas serves
    one page (a lock guards it).
    """

    def __init__(self, dpi: int = 100):
        self.figure = Figure(figsize=(10.5, 6.1), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        grid = self.figure.add_gridspec(3, 3, height_ratios=(1, 1, 0.3), left=0.062, right=0.985, bottom=0.075,
                                        top=0.87, wspace=0.22, hspace=0.42)
        self.panels = [self.figure.add_subplot(grid[row, col]) for row in range(2) for col in range(3)]
        self.strip = self.figure.add_subplot(grid[2, :])
        for ax, variable in zip(self.panels, PANELS):
            name, unit = LABELS[variable]
            # A fixed title position and fixed ticks: matplotlib then skips measuring them.
            ax.set_title(name, fontsize=9.5, fontweight="bold" if variable == "integration_index" else "normal",
                         y=1.0, pad=4)
            ax.set_ylabel(unit, fontsize=7.5)
            ax.set_ylim(0.0, 1.0)
            ax.set_yticks(Y_TICKS)
            ax.grid(axis="y", color="0.9")
            ax.tick_params(labelsize=7.5)
        self._backgrounds: OrderedDict[tuple, object] = OrderedDict()  # the last few, newest last
        self._static: list = []  # artists of the background that depend on the scenario
        self._lock = threading.Lock()

    def render(self, current: Ensemble, reference: Ensemble | None = None, ghost: Ensemble | None = None,
               events: Iterable[Event] = ()) -> bytes:
        """The figure as PNG bytes."""
        events = tuple(events)
        first, last = int(current.years[0]), int(current.years[-1])
        key = (first, last, events, current.scenario, reference.scenario if reference is not None else None,
               bool(reference is not None and reference.settings.overrides), ghost is not None)
        with self._lock:
            if key in self._backgrounds:
                self._backgrounds.move_to_end(key)
                for ax in self.panels:
                    ax.set_xlim(first, last)
                self.canvas.restore_region(self._backgrounds[key])
            else:
                self._backgrounds[key] = self._draw_background(current, reference, ghost, events, first, last)
                if len(self._backgrounds) > BACKGROUNDS:
                    self._backgrounds.popitem(last=False)
            drawn = []
            for ax, variable in zip(self.panels, PANELS):  # bands first, then the lines over them
                band = current.bands[variable]
                if reference is not None:
                    drawn.append(_fill(ax, reference.years, reference.bands[variable], REFERENCE_COLOUR, 0.07))
                drawn.append(_fill(ax, current.years, band, CURRENT_COLOUR, 0.3))
                if ghost is not None:
                    drawn += _ghost(ax, ghost.years, ghost.bands[variable])
                if reference is not None:
                    drawn += _reference(ax, reference.years, reference.bands[variable])
                drawn += ax.plot(current.years, band[1], color=CURRENT_COLOUR, linewidth=1.8)
            for artist in drawn:
                artist.axes.draw_artist(artist)
                artist.remove()
            return _encode(self.canvas)

    def _draw_background(self, current, reference, ghost, events, first, last):
        for artist in self._static:
            artist.remove()
        self._static = []
        x_ticks = list(range(first + 9 - (first - 1) % 10, last + 1, 10))
        own_years = sorted({event.year for event in events if event.own})
        for ax in self.panels:
            ax.set_xlim(first, last)
            ax.set_xticks(x_ticks)
            self._static += [ax.axvline(year, color=CURRENT_COLOUR, linewidth=0.8, linestyle=":", zorder=0)
                             for year in own_years]
        self.strip.clear()
        self.strip.set_xlim(first, last)
        self.strip.set_xticks(x_ticks)
        _events_strip(self.strip, list(events), first, last)
        handles = [(Patch(color=CURRENT_COLOUR, alpha=0.3), Line2D([], [], color=CURRENT_COLOUR, linewidth=1.8))]
        labels = [f"{current.scenario}: median and 5-95% of {_runs_label(current.settings)}"]
        if reference is not None:
            handles.append((Patch(color=REFERENCE_COLOUR, alpha=0.07),
                            Line2D([], [], color=REFERENCE_COLOUR, linewidth=0.7, linestyle=(0, (6, 8))),
                            Line2D([], [], color=REFERENCE_COLOUR, linewidth=1.4)))
            how = "the same slider values" if reference.settings.overrides else "the posterior, no slider"
            labels.append(f"reference: {reference.scenario} ({how}): median and 5-95%")
        if ghost is not None:
            handles.append(Line2D([], [], color=GHOST_COLOUR, linestyle="--"))
            labels.append("previous settings (median; dotted: 5-95%)")
        self._static.append(self.figure.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1.0),
                                               ncols=min(len(handles), 2), fontsize=8,
                                               frameon=False, handlelength=2.4, columnspacing=1.5))
        self.canvas.draw()
        return self.canvas.copy_from_bbox(self.figure.bbox)


def _fill(ax, years, band, colour, alpha):
    return ax.fill_between(years, band[0], band[2], color=colour, alpha=alpha, linewidth=0)


def _reference(ax, years, band) -> list:
    """The reference's band edges and median (over a pale fill), so the runs' blue band stays clear."""
    return [*ax.plot(years, band[0], years, band[2], color=REFERENCE_COLOUR, linewidth=0.7, alpha=0.8),
            *ax.plot(years, band[1], color=REFERENCE_COLOUR, linewidth=1.4)]


def _ghost(ax, years, band) -> list:
    return [*ax.plot(years, band[1], color=GHOST_COLOUR, linewidth=1.0, linestyle="--", alpha=0.75),
            *ax.plot(years, band[0], years, band[2], color=GHOST_COLOUR, linewidth=0.6, linestyle=":", alpha=0.6)]


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG (RGB, light compression: the page is served locally)."""
    rgba = np.asarray(canvas.buffer_rgba())
    buffer = io.BytesIO()
    PIL.Image.fromarray(rgba[:, :, :3]).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _events_strip(ax, events: list[Event], first: int, last: int) -> None:
    """Leader changes (triangles in the state's colour, with its code) above, interventions
    (ticks; several in one year counted) below; events the reference lacks in bold blue."""
    ax.set_ylim(-1.0, 1.9)
    ax.set_yticks([0, 1], ["drivers", "leaders"], fontsize=7.5)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_xlabel("the scenario's own events (list below the figure); blue and dotted in the panels: "
                  "events the reference does not have", fontsize=7.5)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.grid(axis="x", color="0.93")
    counts: dict[int, int] = {}
    for event in events:
        if not first <= event.year <= last:
            continue
        if event.kind == "leader":
            colour = STATE_COLOURS.get(event.country, "0.3")
            ax.scatter([event.year], [1], marker="v", s=50 if event.own else 30, color=colour,
                       edgecolors=CURRENT_COLOUR if event.own else "none", linewidths=1.5, zorder=3)
            ax.annotate(event.country, (event.year, 1), xytext=(0, 5), textcoords="offset points", ha="center",
                        fontsize=6.5, color=colour, fontweight="bold" if event.own else "normal")
        else:
            counts[event.year] = counts.get(event.year, 0) + 1
            ax.plot([event.year, event.year], [-0.35, 0.35], color=CURRENT_COLOUR if event.own else "0.45",
                    linewidth=2.0 if event.own else 1.0, zorder=3)
    for year, count in counts.items():
        if count > 1:
            ax.annotate(f"{count}", (year, -0.4), ha="center", va="top", fontsize=6, color="0.35")


def ensemble_figure(current: Ensemble, reference: Ensemble | None = None, ghost: Ensemble | None = None,
                    events: Iterable[Event] = ()) -> bytes:
    """The page's figure on a fresh canvas, as PNG bytes."""
    return EnsembleCanvas().render(current, reference, ghost, events)


# ----------------------------------------------------------------------------- one redraw


@dataclass(frozen=True)
class View:
    """What the ensemble page shows after one control change.

    Attributes:
        settings: the controls.
        current: the scenario's runs.
        reference: the reference's runs (None without a reference, or when the reference
            would be the same runs: the same scenario, no slider moved).
        ghost: the previous result (None at first).
        events: the scenario's own events.
        image: the figure as PNG.
        seconds: time taken per step (``runs``, ``reference``, ``figure``, ``total``).
        reused: which runs came from the cache (``runs``, ``reference``).
    """

    settings: Settings
    current: Ensemble
    reference: Ensemble | None
    ghost: Ensemble | None
    events: list[Event]
    image: bytes
    seconds: dict[str, float] = field(default_factory=dict)
    reused: dict[str, bool] = field(default_factory=dict)


def redraw(settings: Settings, ghost: Ensemble | None = None, canvas: EnsembleCanvas | None = None) -> View:
    """Run (or fetch from the cache) the scenario and the reference, and draw them.

    Args:
        settings: the controls.
        ghost: the previous result, drawn faintly (dropped when it ran with the same settings).
        canvas: the page's canvas (default: a new one, which draws everything).
    """
    started = time.perf_counter()
    current = ensemble(settings)
    ran = time.perf_counter()
    reference_settings = settings.for_reference()
    reference = None
    if reference_settings is not None and \
            (reference_settings.scenario, reference_settings.overrides) != (settings.scenario, settings.overrides):
        reference = ensemble(reference_settings)  # else it is the same runs: not drawn twice
    referenced = time.perf_counter()
    if ghost is not None and ghost.settings == current.settings:
        ghost = None
    events = scenario_events(load_scenario(settings.scenario),
                             load_scenario(settings.reference) if settings.reference else None)
    image = (canvas or EnsembleCanvas()).render(current, reference, ghost, events)
    done = time.perf_counter()
    seconds = {"runs": ran - started, "reference": referenced - ran, "figure": done - referenced,
               "total": done - started}
    reused = {"runs": current.made < started, "reference": reference is not None and reference.made < ran}
    return View(settings, current, reference, ghost, events, image, seconds, reused)


# ----------------------------------------------------------------------------- text beside the figure


def readout(ensemble: Ensemble, year: int) -> str:
    """``"0.412 (5-95%: 0.331-0.480)"``: the index's median and band in ``year``."""
    low, median, high = ensemble.at("integration_index", year)
    return f"{median:.3f} (5-95%: {low:.3f}-{high:.3f})"


@dataclass(frozen=True)
class PatternRow:
    """One narrative pattern under the current settings."""

    id: str
    factor: str
    statement: str
    window: str
    rate: float
    previous: float
    holds: bool


def pattern_rows(current: Ensemble, ghost: Ensemble | None = None) -> list[PatternRow]:
    """Every pattern with its pass rate over the current runs (and under the ghost's settings)."""
    previous = ghost.pass_rates if ghost is not None else np.full(len(current.pass_rates), np.nan)
    return [PatternRow(p.id, p.factor, p.statement, p.describe_window(), float(rate), float(before),
                       bool(rate >= PASS_LEVEL))
            for p, rate, before in zip(patterns().patterns, current.pass_rates, previous)]
