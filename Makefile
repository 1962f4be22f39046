# Two commands on a fresh machine: `make run` serves, `make test` tests.
# Both create .venv and install the project into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format typecheck check bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/devportal serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy devportal tests

check: lint typecheck test

# devportal under load next to bare baselines (see README, Benchmarks). Not part
# of `make test`. Installs wrk from Debian's packages when it is missing (else
# the Python load generator stands in). PostgreSQL: BENCH_DATABASE_URL=… (its
# public schema is dropped); more flags: BENCH_ARGS="--workers 2 --subscribers 1000".
bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y wrk \
		|| { apt-get update && apt-get install -y wrk; } \
		|| echo "make bench: no wrk; the Python load generator stands in"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
