"""The README's numbers come from the committed result tables (results/headline/)."""

import json

import pandas as pd

from sim.views.headline import BLOCKS, HEADLINE_DIR, README, collect, render


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
