"""The ensemble explorer's work (sim/views/ensemble_view.py): runs, bands, events, patterns, figure."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sim.inference.patterns import check_all
from sim.inputs.parameters import parameter_specs
from sim.inputs.posterior import parameter_source, plan
from sim.inputs.scenario import load_scenario
from sim.model.engine import simulate_plan
from sim.views import ensemble_view as ev

SMALL = ev.Settings(runs=8, seed=3)


def test_settings_keep_overrides_sorted_and_reject_unknown_parameters():
    settings = ev.Settings().override("bloc_pull", 0.2).override("border_open_bias", -0.4)
    assert settings.overrides == (("bloc_pull", 0.2), ("border_open_bias", -0.4))
    assert settings == ev.Settings(overrides=(("border_open_bias", -0.4), ("bloc_pull", 0.2)))
    assert settings.override("bloc_pull", None).overrides == (("border_open_bias", -0.4),)
    with pytest.raises(ValueError, match="unknown parameter"):
        ev.Settings(overrides=(("no_such_parameter", 1.0),))


def test_the_reference_shares_seeds_draws_and_dispositions_but_not_the_sliders_unless_asked():
    settings = ev.Settings(scenario="no_opening_2016", reference="baseline", runs=12, seed=9,
                           central_dispositions=True).override("bloc_pull", 0.3)
    reference = settings.for_reference()
    assert (reference.scenario, reference.runs, reference.seed, reference.central_dispositions) == \
        ("baseline", 12, 9, True)
    assert reference.overrides == ()
    from dataclasses import replace
    assert replace(settings, reference_overrides=True).for_reference().overrides == (("bloc_pull", 0.3),)
    assert ev.Settings(reference=None).for_reference() is None


def test_an_ensemble_is_the_engines_runs_over_the_posterior():
    result = ev.ensemble(SMALL)
    scenario = load_scenario("baseline")
    runs = plan(SMALL.seed, SMALL.runs, ev.SEEDS_PER_DRAW, parameter_source())
    trajectory = simulate_plan(scenario, runs, record=ev.recorded())
    assert list(result.years) == list(range(1991, 2051))
    for name in ev.PANELS:
        low, median, high = result.bands[name]
        assert np.all(low <= median) and np.all(median <= high)
        np.testing.assert_allclose(median, np.median(trajectory.series["region"][name], axis=1))
    np.testing.assert_allclose(result.pass_rates, check_all(ev.patterns(), trajectory).mean(axis=1))
    assert ev.ensemble(SMALL) is result  # cached


def test_an_override_sets_the_value_in_every_run():
    moved = ev.ensemble(SMALL.override("border_open_bias", -1.0))
    assert moved.bands["border_openness"][1, -1] < ev.ensemble(SMALL).bands["border_openness"][1, -1]
    assert moved.at("integration_index", 2030) != ev.ensemble(SMALL).at("integration_index", 2030)
    with pytest.raises(ValueError, match="not in the run"):
        moved.at("integration_index", 2060)


def test_patterns_outside_a_shorter_run_are_not_checked(tmp_path, monkeypatch):
    short = tmp_path / "short.toml"
    short.write_text('name = "short"\nextends = "baseline.toml"\nend_year = 2010\n', encoding="utf-8")
    monkeypatch.setattr(ev, "load_scenario", lambda name: load_scenario(short if name == "short" else name))
    result = ev.ensemble(ev.Settings(scenario="short", reference=None, runs=4))
    last = {p.id: p.last_year for p in ev.patterns().patterns}
    rows = ev.pattern_rows(result)
    assert all(np.isnan(row.rate) == (last[row.id] > 2010) for row in rows)
    assert any(np.isnan(row.rate) for row in rows) and not all(np.isnan(row.rate) for row in rows)


def test_events_are_the_scenarios_own_with_notes_and_mark_what_the_reference_lacks():
    baseline, no_opening = load_scenario("baseline"), load_scenario("no_opening_2016")
    events = ev.scenario_events(no_opening, baseline)
    assert len(events) == len(no_opening.leader_changes) + len(no_opening.interventions)
    own = [event for event in events if event.own]
    assert [(e.year, e.kind, e.country) for e in own] == [(2017, "leader", "UZB")]
    assert own[0].note == "New leader, unchanged disposition (no opening)"
    assert "same disposition" in own[0].what
    assert [e.year for e in events] == sorted(e.year for e in events)
    assert not any(event.own for event in ev.scenario_events(baseline, baseline))
    assert not any(event.own for event in ev.scenario_events(baseline))
    rahmon = next(e for e in events if e.kind == "leader" and e.country == "TJK")
    assert (rahmon.year, rahmon.what, rahmon.note) == (1993, "TJK: Rahmon takes office",
                                                      "E. Rahmon, head of state from November 1992")
    shock = next(e for e in events if e.what.startswith("security_shock.TJK set to 0.8"))
    assert (shock.year, shock.end_year, shock.country, shock.note) == (1992, 1997, "TJK", "Civil war in Tajikistan")
    deficit = ev.scenario_events(load_scenario("water_deficit_2050"), baseline)
    assert {e.what for e in deficit if e.own} >= {"river_flow.syr ramps to 0.9 by 2050",
                                                  "irrigation_demand set to 1.43 until 2050"}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_the_canvas_draws_bands_over_a_kept_background_like_a_fresh_figure():
    current = ev.ensemble(SMALL)
    moved = ev.ensemble(SMALL.override("bloc_pull", 0.05))
    events = ev.scenario_events(load_scenario("baseline"))
    canvas = ev.EnsembleCanvas()
    first = canvas.render(current, events=events)
    assert _pixels(first).shape == (610, 1050, 3)
    second = canvas.render(moved, ghost=current, events=events)
    third = canvas.render(current, ghost=moved, events=events)  # the background is reused
    assert first != second != third
    fresh = ev.EnsembleCanvas().render(current, ghost=moved, events=events)
    assert np.array_equal(_pixels(third), _pixels(fresh))  # nothing left over from earlier redraws
    assert canvas.render(current, events=events) == first
    others = ev.scenario_events(load_scenario("no_opening_2016"), load_scenario("baseline"))
    assert canvas.render(current, events=others) != first  # another background: the scenario's own events
    assert canvas.render(current, events=events) == first  # and back: the kept background


def test_redraw_times_itself_keeps_a_ghost_and_skips_a_reference_that_is_the_same_runs():
    view = ev.redraw(SMALL)
    assert view.reference is None and view.ghost is None  # baseline against baseline: the same runs
    assert set(view.seconds) == {"runs", "reference", "figure", "total"}
    assert view.image.startswith(b"\x89PNG")
    moved = ev.redraw(SMALL.override("border_open_bias", 0.9), ghost=view.current)
    assert moved.ghost is view.current
    assert moved.reference is not None and moved.reference.settings.overrides == ()
    assert moved.reference.bands["integration_index"].tolist() == view.current.bands["integration_index"].tolist()
    assert ev.redraw(SMALL, ghost=view.current).ghost is None  # the same settings: no ghost of itself
    other = ev.redraw(ev.Settings(scenario="no_opening_2016", runs=8, seed=3))
    assert other.reference is not None and any(event.own for event in other.events)


def test_readout_and_pattern_rows():
    result = ev.ensemble(SMALL)
    low, median, high = result.at("integration_index", 2030)
    assert ev.readout(result, 2030) == f"{median:.3f} (5-95%: {low:.3f}-{high:.3f})"
    moved = ev.ensemble(SMALL.override("border_open_bias", -1.0))
    rows = ev.pattern_rows(moved, result)
    assert [row.id for row in rows] == [p.id for p in ev.patterns().patterns]
    assert all(0.0 <= row.rate <= 1.0 and 0.0 <= row.previous <= 1.0 for row in rows)
    assert all(row.holds == (row.rate >= ev.PASS_LEVEL) for row in rows)
    assert np.isnan(ev.pattern_rows(result)[0].previous)


def test_sliders_have_round_steps_fine_enough():
    for name in ev.KEY_PARAMETERS:
        spec = parameter_specs()[name]
        step = ev.slider_step(name)
        assert (spec.max - spec.min) / 2000 < step <= (spec.max - spec.min) / 200
        assert np.log10(step) == round(np.log10(step))


@pytest.mark.parametrize(("text", "seed"), [("42", 42), (" 7\n", 7), ("0", 0)])
def test_seeds_from_text(text, seed):
    assert ev.seed_from_text(text) == seed
    assert ev.seed_from_text("Samarkand") == ev.seed_from_text("Samarkand") != ev.seed_from_text("Bukhara")
