"""The README's numbers come from the committed result tables (results/headline/)."""

import json

import pandas as pd

from sim.views.headline import BLOCKS, HEADLINE_DIR, README, ROOT, collect, render


def test_the_readme_says_what_the_result_tables_say():
    text = README.read_text(encoding="utf-8")
    for name in BLOCKS:
        assert f"<!-- headline:{name} -->" in text, name
    assert render(text, HEADLINE_DIR) == text, "run casim headline: the README's tables differ from results/headline/"


def test_collect_copies_tables_and_trims_records(tmp_path):
    results = tmp_path / "results"
    (results / "validation").mkdir(parents=True)
    pd.DataFrame({"pattern": ["a"], "pass_rate": [0.9]}).to_csv(results / "validation" / "validation.csv", index=False)
    (results / "validation" / "manifest.json").write_text(json.dumps({"replicates": 5, "command": "casim validate",
                                                                      "versions": {}}))
    copied = collect(results, tmp_path / "headline")
    assert copied == ["validation.csv", "validation.json"]
    assert json.loads((tmp_path / "headline" / "validation.json").read_text()) == {"replicates": 5}


def test_every_pattern_not_reproduced_is_named_with_its_reason():
    """The README's section "Patterns not reproduced, and why" names every pattern below the
    pass level in either shipped validation table, and names no pattern that does not exist."""
    import re

    from sim.views.headline import PASS_LEVEL

    text = README.read_text(encoding="utf-8")
    start = text.index("## Patterns not reproduced, and why")
    section = text[start:text.index("\n## ", start + 1)]
    named = set(re.findall(r"`([a-z0-9_]+)`", section))
    failing, known = set(), set()
    for name in ("validation.csv", "validation_to_2016.csv"):
        table = pd.read_csv(HEADLINE_DIR / name)
        known |= set(table["pattern"])
        failing |= set(table.loc[table["pass_rate"] < PASS_LEVEL, "pattern"])
    assert failing, "the validation tables should be in results/headline/"
    assert failing <= named, f"not explained in the README: {sorted(failing - named)}"
    parameters = set(pd.read_csv(ROOT / "sim" / "data" / "parameters.csv")["name"])
    assert named <= known | parameters, f"not a pattern or parameter: {sorted(named - known - parameters)}"


def test_collect_skips_a_result_folder_whose_run_has_not_finished(tmp_path):
    results = tmp_path / "results"
    (results / "validation").mkdir(parents=True)
    pd.DataFrame({"pattern": ["a"], "pass_rate": [0.9]}).to_csv(results / "validation" / "validation.csv", index=False)
    (results / "validation" / "manifest.json").write_text(json.dumps({"status": "incomplete", "replicates": 5}))
    assert collect(results, tmp_path / "headline") == []
    assert not (tmp_path / "headline" / "validation.csv").exists()


def test_every_calibrated_parameter_says_which_data_would_pin_it():
    """docs/pinning_data.csv has one filled row per calibrated parameter (issue 11: where the
    patterns leave a parameter loose, name the data that would pin it), and the README's
    contraction table shows it for each parameter the shipped posterior leaves below 0.5."""
    from sim.views.headline import CONTRACTED, DISPOSITION_PINNED_BY, PINNING_DATA, contraction_block

    pinning = pd.read_csv(PINNING_DATA)
    contraction = pd.read_csv(HEADLINE_DIR / "contraction.csv")
    # inferred dispositions share one answer (DISPOSITION_PINNED_BY), the parameters have a row each
    calibrated = contraction[~contraction["name"].str.startswith("disposition:")]
    assert sorted(pinning["name"]) == sorted(calibrated["name"])
    assert not pinning["name"].duplicated().any()
    assert pinning[["pinned_by", "series"]].notna().all().all()
    assert (pinning[["pinned_by", "series"]].apply(lambda column: column.str.strip().str.len()) > 0).all().all()
    block = contraction_block(HEADLINE_DIR)
    rows = {line.split(" | ")[0].strip("| "): line for line in block.splitlines() if line.startswith("| ")}
    observable = pinning.set_index("name")["pinned_by"]
    for name, shrink in zip(calibrated["name"], calibrated["contraction"]):
        assert (observable[name] in rows[name]) == (shrink < CONTRACTED), name
    for name, shrink in zip(contraction["name"], contraction["contraction"]):
        if name.startswith("disposition:"):
            assert (DISPOSITION_PINNED_BY in rows[name]) == (shrink < CONTRACTED), name


def test_inferred_dispositions_are_shown_in_the_leaders_own_units(tmp_path):
    """The table maps the posterior's quantiles back to dispositions through the coded triangle,
    and says which leaders the fit to 2016 leaves to be drawn."""
    from sim.inputs.leaders import leader

    columns = ["name", "prior_low", "prior_high", "posterior_p05", "posterior_median", "posterior_p95", "contraction"]
    shipped = pd.DataFrame([["trust_initial", 0, 1, 0.2, 0.5, 0.8, 0.1],
                            ["disposition:UZB:Karimov", 0, 1, 0.0, 0.5, 1.0, 0.0],
                            ["disposition:UZB:Mirziyoyev", 0, 1, 1.0, 1.0, 1.0, 1.0]], columns=columns)
    shipped.to_csv(tmp_path / "contraction.csv", index=False)
    shipped.iloc[:2].to_csv(tmp_path / "contraction_to_2016.csv", index=False)
    rows = [line for line in BLOCKS["inferred_dispositions"](tmp_path).splitlines() if line.startswith("| UZB")]
    karimov = leader("UZB", "Karimov").disposition
    middle = karimov.quantile(pd.Series([0.5]).to_numpy())[0]
    assert f"{middle:.2f} ({karimov.low:.2f}-{karimov.high:.2f})" in rows[0]
    assert "drawn (after the cut-off)" in rows[1] and "1.00 (1.00-1.00)" in rows[1]
    assert not any("trust_initial" in line for line in BLOCKS["inferred_dispositions"](tmp_path).splitlines())


def test_the_second_calibration_seed_is_shown_beside_the_shipped_posterior(tmp_path):
    """The shipped calibration rerun with another sampler seed (calibration_seed7.toml) gives
    each pattern's rate beside the shipped one, bold at the pass level, and its own row of
    counts; without its tables the blocks are as before."""
    from sim.views.headline import patterns_block, validation_block

    base = pd.DataFrame({"pattern": ["a", "b"], "sample": ["in-sample", "out-of-sample"], "prior_pass_rate": [0.1, 0.9],
                         "pass_rate": [0.85, 0.5], "opening": [False, True], "counterfactual_pass_rate": [0.0, 0.1]})
    base.to_csv(tmp_path / "validation_to_2016.csv", index=False)
    base.to_csv(tmp_path / "validation.csv", index=False)
    without = patterns_block(tmp_path)
    assert "another seed" not in without
    # rows matched by pattern, not by position
    base.assign(share_of_squared_distance=[0.75, float("nan")]).iloc[::-1].to_csv(tmp_path / "validation.csv",
                                                                                  index=False)
    cells = [[cell.strip("| ") for cell in line.split(" | ")] for line in patterns_block(tmp_path).splitlines()]
    shares = {row[0]: row for row in cells}
    column = shares["pattern"].index("share of the squared distance (shipped)")
    assert shares["a"][column] == "0.75" and shares["b"][column] == ""
    base.to_csv(tmp_path / "validation.csv", index=False)
    base.assign(pass_rate=[0.4, 0.95]).to_csv(tmp_path / "validation_seed7.csv", index=False)
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in patterns_block(tmp_path).splitlines()}
    assert "another seed (not shipped)" in rows["pattern"]
    column = rows["pattern"].index("another seed (not shipped)")
    assert rows["a"][column] == "0.40" and rows["b"][column] == "**0.95**"

    counts = {"in_sample": {"patterns": 1, "reproduced": 1}, "in_sample_uninformative": {"patterns": 0, "reproduced": 0},
              "out_of_sample": {"patterns": 1, "reproduced": 0},
              "out_of_sample_uninformative": {"patterns": 0, "reproduced": 0}, "replicates": 10,
              "counterfactual": {"opening_patterns_in_scenario": {"reproduced": 0},
                                 "opening_patterns": {"reproduced": 0, "patterns": 1}}}
    (tmp_path / "validation.json").write_text(json.dumps(counts))
    assert "another ABC-SMC seed (not shipped)" not in validation_block(tmp_path)
    (tmp_path / "validation_seed7.json").write_text(json.dumps(counts))
    assert "another ABC-SMC seed (not shipped)" in validation_block(tmp_path)
