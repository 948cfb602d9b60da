# The two commands a newcomer runs (see README.md):
#   make demo   set everything up, run the baseline and the headline comparisons
#   make test   set everything up, run the test suite
#   make bench  set everything up, run the benchmarks (benchmarks/README.md; not part of make test)
#   make headline  recompute every result the README reports, from the calibrations on (about 70 minutes on 2 cores)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints.txt

.PHONY: demo test bench headline setup clean

$(BIN)/casim: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $(BIN)/casim

setup: $(BIN)/casim

demo: setup
	$(BIN)/casim run scenarios/baseline.toml
	$(BIN)/casim compare scenarios/baseline.toml scenarios/no_opening_2016.toml
	$(BIN)/casim compare scenarios/baseline.toml scenarios/water_deficit_2050.toml scenarios/water_deficit_2050_with_barter.toml \
		--variable integration_index --variable water_shortfall --variable energy_deficit \
		--variable deal_water_km3 --variable deal_energy_gwh
	$(BIN)/casim validate
	$(BIN)/casim dispositions
	$(BIN)/casim dose-response
	$(BIN)/casim report results/baseline
	$(BIN)/casim report results/validation
	@echo
	@echo "Results are in results/: baseline/, validation/, dispositions/, dose_response/, compare_baseline_vs_no_opening_2016/, compare_baseline_vs_water_deficit_2050_vs_water_deficit_2050_with_barter/"
	@echo "Open results/baseline/report.html first (any browser, offline); the explorer: $(BIN)/casim app"

test: setup
	-bash .ci/install-browser  # Chromium for tests/test_app.py; where it cannot be had, that test skips and says why
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/run.py

# In order: the out-of-sample test (calibrated to 2016, validated on the later patterns), the
# shipped posterior (all patterns; writes sim/data/posterior.csv), its coverage check, then every
# answer over the new posterior, and the README's blocks from those result files.
headline: setup
	$(BIN)/casim calibrate experiments/calibration_to_2016.toml
	$(BIN)/casim validate --parameters results/calibration_to_2016/posterior.csv --out results/validation_to_2016
	$(BIN)/casim calibrate experiments/calibration_to_2016_seed7.toml
	$(BIN)/casim validate --parameters results/calibration_to_2016_seed7/posterior.csv --out results/validation_to_2016_seed7
	$(BIN)/casim calibrate experiments/calibration.toml
	$(BIN)/casim calibrate experiments/calibration.toml --check-coverage
	$(BIN)/casim calibrate experiments/calibration_seed7.toml
	$(BIN)/casim validate --parameters results/calibration_seed7/posterior.csv --out results/validation_seed7
	$(BIN)/casim validate
	$(BIN)/casim tensions
	$(BIN)/casim run scenarios/baseline.toml
	$(BIN)/casim compare scenarios/baseline.toml scenarios/no_opening_2016.toml
	$(BIN)/casim compare scenarios/baseline.toml scenarios/water_deficit_2050.toml scenarios/water_deficit_2050_with_barter.toml \
		--variable integration_index --variable water_shortfall --variable energy_deficit \
		--variable deal_water_km3 --variable deal_energy_gwh
	$(BIN)/casim dispositions
	$(BIN)/casim dose-response
	$(BIN)/casim headline

clean:
	rm -rf $(VENV) results/*/
