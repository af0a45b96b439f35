# The two commands a newcomer needs, on a fresh machine with only Python:
#   make demo   installs kpiframe, writes the sample data, prints the demo scorecard
#   make test   installs kpiframe with its test extras and runs the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Extras for `make test`; CI adds `mysql` (it compiles against the MariaDB headers).
EXTRAS ?= all
comma  := ,
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))

.PHONY: demo test lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/kpiframe sample-data sample-data
	@# The demo shows a failing KPI on purpose; --fail-on never keeps `make` green.
	$(BIN)/kpiframe run configs/demo.yaml --fail-on never --output html=report.html

test: $(STAMP) lint
	@# The Zendesk plugin installs as a third party's package would, then its own tests run too.
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --force-reinstall ./plugins/kpiframe-zendesk ./plugins/kpiframe-notify
	$(BIN)/python -m pytest
	$(BIN)/python -m kpiframe.docs_gen --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir build/site

# Lint (ruff), formatting (ruff format) and types (mypy: strict on the plugin API).
lint: $(STAMP)
	$(BIN)/ruff check src tests plugins bench
	$(BIN)/ruff format --check src tests plugins bench
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/python -m kpiframe.docs_gen
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# The peers live in their own environments, so none of them is a kpiframe dependency.
bench/.venv-soda/.installed:
	$(PYTHON) -m venv bench/.venv-soda
	bench/.venv-soda/bin/python -m pip install --quiet 'soda-core-duckdb==3.5.*'
	touch $@

bench/.venv-gx/.installed:
	$(PYTHON) -m venv bench/.venv-gx
	bench/.venv-gx/bin/python -m pip install --quiet 'great_expectations==1.24.*' duckdb pyarrow
	touch $@

# One command, one run, every target of issue 13 as PASS/MISS lines, written to docs/performance.md:
# 8 checks at 1M and 10M rows (ROWS=100000000 adds 100M) in kpiframe, the DuckDB SQL floor, pandas,
# Soda Core and Great Expectations; kpiframe --help and validate; sample-data at 10M tickets; and
# configs/support.yaml on that data against one hand-written query per source. ROWS reaches
# bench/peers.py through the environment. Generated data is cached in bench/data.
bench: $(STAMP) bench/.venv-soda/.installed bench/.venv-gx/.installed
	$(BIN)/python bench/peers.py --write-docs
	$(BIN)/python bench/fused_vs_sql.py

clean:
	rm -rf $(VENV) build sample-data .pytest_cache
