"""Registered forecasts: probabilities over the posterior, never rewritten, scored by Brier."""

from datetime import date

import pandas as pd
import pytest

from sim.cli import main
from sim.inference.forecast import FORECAST_DIR, ForecastError, forecast, load_events, score, summary

EVENTS = FORECAST_DIR / "events.toml"


def test_the_shipped_events_load_with_sources():
    events = load_events(EVENTS)
    assert len(events.events) >= 6 and all(len(e.source) > 20 for e in events.events)


def test_registering_writes_probabilities_with_their_record_once(tmp_path):
    registration = forecast(EVENTS, tmp_path, runs=8, today=date(2026, 11, 30))
    table = pd.read_csv(registration.path)
    assert list(table["id"]) == [e.id for e in load_events(EVENTS).events]
    assert table["probability"].between(0, 1).all() and (table["runs"] == 8).all()
    record = registration.record
    assert record["registered"] == "2026-11-30" and record["runs"] == 8
    assert {"git_commit", "events_sha256", "scenario_sha256", "parameters", "seed"} <= set(record)
    with pytest.raises(ForecastError, match="never rewritten"):
        forecast(EVENTS, tmp_path, runs=8, today=date(2026, 11, 30))


def _registered(tmp_path):
    """A folder with one registration (its table and record, as casim forecast names them) and outcomes."""
    registered = tmp_path / "registered"
    registered.mkdir()
    pd.DataFrame({"id": ["kgz_tjk_border_delimited_2025", "integration_above_half_2030"],
                  "probability": [0.8, 0.3], "runs": [100, 100],
                  "registered": ["2024-06-01", "2024-06-01"]}).to_csv(registered / "2024-06-01-abcd1234.csv",
                                                                      index=False)
    (registered / "2024-06-01-abcd1234.json").write_text("{}")
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text('[[outcomes]]\nid = "kgz_tjk_border_delimited_2025"\nhappened = true\nknown = 2025-03-13\n'
                        'source = "a source of the outcome"\n')
    return registered, outcomes


def test_scores_are_brier_scores_of_ended_windows_with_outcomes(tmp_path):
    registered, outcomes = _registered(tmp_path)
    scores = score(registered, outcomes, EVENTS, today=date(2031, 1, 1))
    # Only the 2025 event has an outcome; registered before its window ended, it is a forecast.
    assert list(scores["id"]) == ["kgz_tjk_border_delimited_2025"]
    assert scores["brier"].iloc[0] == pytest.approx(0.04) and not scores["hindcast"].iloc[0]
    assert "1 forecasts, mean Brier score 0.040" in summary(scores)
    assert score(registered, outcomes, EVENTS, today=date(2025, 6, 1)).empty  # the window has not ended


def test_a_bad_outcomes_file_is_one_line(tmp_path, capsys):
    outcomes = tmp_path / "outcomes.toml"
    outcomes.write_text('[[outcomes]]\nid = "x"\nhappened = "maybe"\nknown = 2025-03-13\nsource = "s"\n')
    assert main(["forecast", "--score", "--outcomes", str(outcomes), "--out", str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_scoring_reads_only_registrations_so_a_rerun_scores_the_same(tmp_path):
    registered, outcomes = _registered(tmp_path)
    for _ in range(2):  # scores.csv written into the folder is not read back as a forecast
        scores = score(registered, outcomes, EVENTS, today=date(2031, 1, 1))
        scores.to_csv(registered / "scores.csv", index=False)
        assert len(scores) == 1
    (registered / "notes.csv").write_text("name,value\na,1\n")  # a stray table
    assert len(score(registered, outcomes, EVENTS, today=date(2031, 1, 1))) == 1


def test_scoring_a_folder_that_does_not_exist_exits_2(tmp_path, capsys):
    assert main(["forecast", "--score", "--out", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_an_events_file_naming_an_unknown_scenario_is_one_line(tmp_path):
    events = tmp_path / "events.toml"
    events.write_text(EVENTS.read_text().replace('scenario = "baseline"', 'scenario = "baselin"'))
    with pytest.raises(ForecastError, match=r"events.toml: scenario: no scenario 'baselin'; allowed: .*baseline"):
        forecast(events, tmp_path / "out", runs=2)
    assert not (tmp_path / "out").exists()
