"""The explorer's ensemble page: every control change reruns a few dozen posterior runs.

The controls (sidebar): scenario, reference scenario, runs, seed, the leaders'
dispositions (drawn or central) and a slider per key parameter. A slider starts at
*posterior* (every run keeps its own posterior draw's value); once moved, its value is set in
every run until its *posterior* button is pressed. Each change calls
:func:`sim.views.ensemble_view.redraw` and shows the index and its dimensions as bands, the
previous result as a ghost, the reference beside, the scenario's own events, the index's
median in 2030 and 2050, and which narrative patterns hold. All state lives in the page's
component (``solara.use_reactive``), so every browser session has its own.
"""

from __future__ import annotations

import html
from functools import cache

import numpy as np
import reacton.ipyvue as rvue
import reacton.ipyvuetify as rv
import solara

from sim.inputs.parameters import parameter_specs
from sim.inputs.posterior import contraction, parameter_source
from sim.views import ensemble_view as ev

NO_REFERENCE = "none"
DISPOSITIONS = ("drawn", "central")

PAGE_CSS = """
.casim-note { font-size: 14px; line-height: 1.45; margin: 4px 0; }
.casim-readout { font-size: 15px; }
.casim-small { font-size: 12px; color: #555; line-height: 1.35; }
.casim-parameter { padding: 8px 0 8px 0; border-bottom: 1px solid #eee; }
.casim-parameter .v-input__slider .v-input__slot { flex-wrap: wrap; }
.casim-parameter .v-input__slider .v-label { flex: 0 0 100%; height: auto; white-space: normal; margin-bottom: 2px; }
.casim-set { color: #0072B2; font-weight: bold; }
.casim-figure img { max-width: 100%; height: auto; }
.casim-table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.casim-table th, .casim-table td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
.casim-table td.casim-num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.casim-table tr.casim-holds td:first-child { font-weight: bold; }
.casim-bar { display: inline-block; height: 8px; background: #0072B2; vertical-align: middle; margin-right: 6px; }
.casim-own { color: #0072B2; font-weight: bold; }
"""

HOW_TO = (
    "Every change of a control reruns the scenario over the posterior: each run pairs a seed with a posterior "
    "draw of the parameters (with the dispositions it infers for the leaders of the record) and with later "
    "leaders' dispositions drawn from their coded ranges (four seeds per draw). "
    "Lines are medians, bands the 5-95% range of the runs; the dashed grey line is the result before your last "
    "change. A slider at <i>posterior</i> leaves each run its own draw; once moved it sets that value in every run "
    "(its <i>posterior</i> button undoes it). Read the curves as the behaviour of the stated rules, not as forecasts."
)


@cache
def posterior_ranges() -> dict[str, tuple[float, float]]:
    """The 5-95% range of each key parameter over the shipped posterior (empty without one)."""
    source = parameter_source()
    if source.posterior is None:
        return {}
    specs = parameter_specs()
    names = [name for name in ev.KEY_PARAMETERS if name in source.posterior.names]
    table = contraction(source.posterior.draws, {name: (specs[name].min, specs[name].max) for name in names})
    return {row.name: (row.posterior_p05, row.posterior_p95) for row in table.itertuples()}


@solara.component
def ParameterSlider(name: str, value: float | None, on_value, unset_text: str, unset_position: float,
                    step: float, unset_button: str = "posterior"):
    """A slider for one parameter that is either unset (``value`` None) or set to a value.

    The slider reports a value when it is let go (or moved with a key), not while it is
    dragged, so a drag costs one rerun. ``unset_text`` says what applies while it is unset;
    the button beside a set value unsets it.
    """
    spec = parameter_specs()[name]
    shown, set_shown = solara.use_state(unset_position if value is None else value)
    solara.use_effect(lambda: set_shown(unset_position if value is None else value), [value, unset_position])

    def released(*args):
        on_value(float(args[-1]))

    with solara.Column(classes=["casim-parameter"], gap="0px"):
        slider = rv.Slider(v_model=shown, on_v_model=lambda v: set_shown(float(v)), min=spec.min, max=spec.max,
                           step=step, label=f"{name} [{spec.unit}]", thumb_label=True, hide_details=True, dense=True)
        rvue.use_event(slider, "change", released)
        with solara.Row(gap="4px", style={"align-items": "center"}):
            if value is None:
                solara.HTML(unsafe_innerHTML=html.escape(unset_text), classes=["casim-small"])
            else:
                solara.HTML(unsafe_innerHTML=f'<span class="casim-set">{value:.4g}</span> '
                                             f'{html.escape(spec.unit)} (range {spec.min:g} to {spec.max:g})',
                            classes=["casim-small"])
                solara.Button(unset_button, on_click=lambda: on_value(None), small=True, text=True,
                              color="primary", classes=[f"casim-unset-{name}"])


def _posterior_text(name: str) -> str:
    ranges = posterior_ranges()
    if name not in ranges:
        return f"default {parameter_specs()[name].default:.4g} (not calibrated)"
    low, high = ranges[name]
    return f"posterior: each run its draw (5-95%: {low:.3g} to {high:.3g})"


def _offered(value, offered, otherwise):
    return value if value in offered else otherwise


def _next_view(settings: ev.Settings, last: solara.Ref, canvas: ev.EnsembleCanvas) -> tuple[ev.View | None, str]:
    """The view for new settings; the previous view's result becomes the ghost."""
    previous: ev.View | None = last.current
    ghost = previous.current if previous is not None else None
    try:
        view = ev.redraw(settings, ghost, canvas)
    except (ValueError, OSError) as error:  # e.g. a scenario file broken while the page is open (InputError)
        return previous, f"{type(error).__name__}: {error}"
    last.current = view
    return view, ""


def _readout_html(view: ev.View) -> str:
    parts = [f"<b>Regional Integration Index</b>, median (5-95% of {view.settings.runs} runs) of "
             f"<b>{html.escape(view.current.scenario)}</b>: "
             + "; ".join(f'{year} <span class="casim-readout-{year}">{ev.readout(view.current, year)}</span>'
                         for year in ev.READOUT_YEARS if year <= view.current.years[-1])]
    if view.reference is not None:
        parts.append(f"reference {html.escape(view.reference.scenario)}: "
                     + "; ".join(f"{year} {ev.readout(view.reference, year)}" for year in ev.READOUT_YEARS
                                 if year <= view.reference.years[-1]))
    elif view.settings.reference is not None:
        parts.append(f"reference {html.escape(view.settings.reference)}: the same runs (move a slider, or choose "
                     "another scenario, to see it beside)")
    return "<br>".join(parts)


def _timing_text(view: ev.View) -> str:
    seconds, reused = view.seconds, view.reused

    def step(name: str) -> str:
        return f"{name} reused" if reused.get(name) else f"{name} {seconds[name]:.2f} s"

    parts = [step("runs")] + ([step("reference")] if view.reference is not None else []) + \
        [f"figure {seconds['figure']:.2f} s"]
    return f"redrawn in {seconds['total']:.2f} s on the server ({', '.join(parts)})"


def patterns_html(view: ev.View) -> str:
    """The narrative patterns with their pass rates over the current runs, as an HTML table."""
    rows = ev.pattern_rows(view.current, view.ghost)
    checked = [row for row in rows if not np.isnan(row.rate)]
    holding = sum(row.holds for row in checked)
    head = (f"<p class='casim-note casim-patterns-summary'><b>{holding} of {len(checked)}</b> narrative patterns "
            f"hold in at least {ev.PASS_LEVEL:.0%} of the runs (bold); share of runs in which each holds"
            + (", and before your last change" if view.ghost is not None else "") + ".</p>")
    body = []
    for row in rows:
        if np.isnan(row.rate):
            rate, bar = "n/a", ""
        else:
            rate = f"{row.rate:.0%}"
            bar = f'<span class="casim-bar" style="width:{row.rate * 60:.0f}px"></span>'
        before = "" if np.isnan(row.previous) else f"{row.previous:.0%}"
        change = ""
        if before and not np.isnan(row.rate) and round(row.rate * 100) != round(row.previous * 100):
            change = " ▲" if row.rate > row.previous else " ▼"
        body.append(f"<tr class='{'casim-holds' if row.holds else ''}'><td>{html.escape(row.id)}</td>"
                    f"<td>{html.escape(row.factor)}</td><td>{html.escape(row.window)}</td>"
                    f"<td class='casim-num'>{bar}{rate}{change}</td><td class='casim-num'>{before}</td>"
                    f"<td>{html.escape(row.statement)}</td></tr>")
    columns = "<th>pattern</th><th>factor</th><th>years</th><th>holds in</th><th>before</th><th>statement</th>"
    return f"{head}<table class='casim-table casim-patterns'><thead><tr>{columns}</tr></thead>" \
           f"<tbody>{''.join(body)}</tbody></table>"


def events_html(view: ev.View) -> str:
    """The scenario's own events with their notes, as an HTML table."""
    body = []
    for event in view.events:
        years = str(event.year) if event.end_year in (None, event.year) else f"{event.year}-{event.end_year}"
        own = ' class="casim-own"' if event.own else ""
        body.append(f"<tr><td>{years}</td><td{own}>{html.escape(event.what)}</td><td>{html.escape(event.note)}</td>"
                    "</tr>")
    lacking = f" Bold blue: not in the reference ({html.escape(view.settings.reference)})." \
        if view.settings.reference and view.settings.reference != view.settings.scenario else ""
    return (f"<p class='casim-note'>The events of <b>{html.escape(view.current.scenario)}</b>: its leader changes and "
            f"interventions on outside drivers (<code>scenarios/{html.escape(view.current.scenario)}.toml</code>)."
            f"{lacking}</p><table class='casim-table casim-events'><thead><tr><th>year</th><th>event</th>"
            f"<th>note</th></tr></thead><tbody>{''.join(body)}</tbody></table>")


@solara.component
def EnsemblePage():
    """The ensemble page (per browser session: all state is created here)."""
    scenario = solara.use_reactive("baseline")
    reference = solara.use_reactive("baseline")
    runs = solara.use_reactive(ev.DEFAULT_RUNS)
    seed_text = solara.use_reactive(str(ev.DEFAULT_SEED))
    dispositions = solara.use_reactive(DISPOSITIONS[0])
    reference_overrides = solara.use_reactive(False)
    overrides = solara.use_reactive({})
    canvas = solara.use_memo(ev.EnsembleCanvas, [])
    last = solara.use_ref(None)

    names = ev.scenario_names()
    # Only what the controls offer (a browser can send any value): shipped scenarios, listed run counts.
    settings = ev.Settings(
        scenario=_offered(scenario.value, names, "baseline"),
        reference=_offered(reference.value, names, None),
        runs=_offered(runs.value, ev.RUN_CHOICES, ev.DEFAULT_RUNS), seed=ev.seed_from_text(seed_text.value),
        overrides=tuple(overrides.value.items()), central_dispositions=dispositions.value == "central",
        reference_overrides=bool(reference_overrides.value))
    view, error = solara.use_memo(lambda: _next_view(settings, last, canvas), [settings])

    def set_override(name: str, value: float | None) -> None:
        values = {k: v for k, v in overrides.value.items() if k != name}
        overrides.set(values if value is None else {**values, name: value})

    solara.Style(PAGE_CSS)
    solara.Title("casim explorer: ensemble")
    with solara.AppBar():
        solara.AppBarTitle("casim explorer: regional cooperation in Central Asia")
    with solara.Sidebar():
        with solara.Card("Runs"):
            solara.Select("Scenario (scenarios/*.toml)", values=names, value=scenario)
            solara.Select("Reference scenario, drawn beside", values=[NO_REFERENCE, *names], value=reference)
            solara.Select(f"Runs ({ev.SEEDS_PER_DRAW} seeds per posterior draw)", values=list(ev.RUN_CHOICES),
                          value=runs)
            solara.InputText("Seed: a number, or any text (hashed)", value=seed_text, continuous_update=False)
            solara.Text("Leaders' dispositions", classes=["casim-small"])
            solara.ToggleButtonsSingle(value=dispositions, values=list(DISPOSITIONS), dense=True)
            solara.HTML(unsafe_innerHTML="drawn: each draw slot takes the leaders of the record from its posterior "
                        "draw and draws the later ones from their coded ranges; central: the later ones at "
                        "their central values", classes=["casim-small"])
        with solara.Card("Key parameters"):
            solara.HTML(unsafe_innerHTML="At <i>posterior</i> each run keeps its own posterior draw; a moved slider "
                        "sets the value in every run.", classes=["casim-small"])
            specs = parameter_specs()
            for name in ev.KEY_PARAMETERS:
                ParameterSlider(name, overrides.value.get(name), lambda value, name=name: set_override(name, value),
                                _posterior_text(name), specs[name].default, ev.slider_step(name))
            solara.Checkbox(label="the sliders also apply to the reference", value=reference_overrides)
            if overrides.value:
                solara.Button("all back to the posterior", on_click=lambda: overrides.set({}), text=True,
                              color="primary")

    with solara.Column(style={"padding": "8px 16px", "max-width": "1100px"}):
        solara.HTML(unsafe_innerHTML=HOW_TO, classes=["casim-note"])
        if error:
            solara.Error(f"Could not run these settings: {error}")
        if view is not None:
            solara.HTML(unsafe_innerHTML=_readout_html(view), classes=["casim-note", "casim-readout"])
            with solara.Div(classes=["casim-figure"]):
                solara.Image(view.image)
            solara.Text(_timing_text(view), classes=["casim-small", "casim-timing"])
            solara.HTML(unsafe_innerHTML=patterns_html(view))
            solara.HTML(unsafe_innerHTML=events_html(view))
