"""The water deficit as a dose: the scenarios it builds, its paired table, the command and the
README block it feeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.dose_response import ARMS, FLOW_LOSSES, OUTCOMES, at_flow_loss, dose_response
from sim.inputs import recorded_flows
from sim.inputs.posterior import plan
from sim.inputs.scenario import load_scenario
from sim.views.headline import dose_response_block


def test_the_ten_percent_level_is_the_shipped_deficit_scenario():
    for name in ARMS.values():
        shipped = load_scenario(name)
        paths = at_flow_loss(shipped, 0.1).driver_paths().paths
        for driver, values in shipped.driver_paths().paths.items():
            np.testing.assert_array_equal(paths[driver], values, err_msg=driver)


def test_a_level_resizes_only_the_flow_loss():
    shipped = load_scenario("water_deficit_2050")
    deeper = at_flow_loss(shipped, 0.4).driver_paths()
    none = at_flow_loss(shipped, 0.0).driver_paths()
    assert deeper.paths["river_flow"][-1] == pytest.approx([0.6, 0.6])
    future = deeper.years > recorded_flows.LAST_RECORDED_YEAR
    assert np.all(none.paths["river_flow"][future] == 1.0)
    np.testing.assert_array_equal(none.paths["river_flow"][~future], shipped.driver_paths().paths["river_flow"][~future])
    for driver, values in shipped.driver_paths().paths.items():
        if driver != "river_flow":
            np.testing.assert_array_equal(deeper.paths[driver], values, err_msg=driver)
    with pytest.raises(ValueError, match="no river_flow ramp"):
        at_flow_loss(load_scenario("baseline"), 0.2)


@pytest.fixture(scope="module")
def table():
    return dose_response(plan(1, 8, 4))


def test_the_table_is_paired_across_levels_and_arms(table):
    assert len(table) == len(ARMS) * len(FLOW_LOSSES) * len(OUTCOMES)
    none = table[table["flow_loss"] == 0.0]
    assert (none["change_from_no_loss"] == 0.0).all() and (none["probability_higher_than_no_loss"] == 0.0).all()
    without = table[table["arm"] == "without framework"]
    assert (without["framework_effect"] == 0.0).all()
    assert (table["p05"] <= table["mean"] + 1e-12).all() and (table["mean"] <= table["p95"] + 1e-12).all()
    assert (table["runs"] == 8).all()


def test_less_flow_means_a_larger_shortfall(table):
    shortfall = table[(table["outcome"] == "water_shortfall")].set_index(["arm", "flow_loss"])["mean"]
    for arm in ARMS:
        assert np.all(np.diff(shortfall[arm].sort_index().to_numpy()) > 0.0)


def test_the_command_writes_table_figure_and_manifest(tmp_path, capsys):
    out = tmp_path / "dose"
    assert main(["dose-response", "--replicates", "4", "--seed", "3", "--out", str(out)]) == 0
    written = pd.read_csv(out / "dose_response.csv")
    assert set(written["outcome"]) == set(OUTCOMES) and (written["runs"] == 4).all()
    assert (out / "figures" / "dose_response.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "dose_response" and manifest["status"] == "complete"
    assert len(manifest["runs"]["replicates"]) == 4
    assert "without framework" in capsys.readouterr().out


def test_the_readme_block_states_the_sign_from_the_table(table, tmp_path):
    table.to_csv(tmp_path / "dose_response.csv", index=False)
    block = dose_response_block(tmp_path)
    change = table[(table["arm"] == "without framework") & (table["flow_loss"] == FLOW_LOSSES[-1])
                   & (table["outcome"] == "integration_index")]["change_from_no_loss"].iloc[0]
    expected = "higher" if round(change, 3) > 0 else "lower" if round(change, 3) < 0 else "no different"
    assert f"{abs(change):.3f} {expected} than with no flow loss" in block
    assert block.count("\n| ") == len(FLOW_LOSSES) + 1
    assert dose_response_block(tmp_path / "missing") == ""
