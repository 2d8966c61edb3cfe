# Televisit: `make run` (service on SQLite with demo data), `make test` (the whole suite), and `make stack` /
# `make stack-stop` (the production shape on this machine: nginx, API workers, socket processes, jobs, PostgreSQL,
# Redis; scripts/stack.sh, docs/operations.md).
PY ?= python3
# `make run PORT=8000` (or PORT=8000 make run) serves on another port; links in messages follow it.
PORT ?= 5000
# The 30 slowest tests are listed at the end of every run (the suite must stay inside CI's 90 minutes).
PYTEST_ARGS ?= --durations=30
export TELEVISIT_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test setup lint bench clean stack stack-stop stack-status

$(BIN)/activate: requirements.txt requirements-dev.txt
	@echo "==> creating virtualenv and installing pinned dependencies"
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(BIN)/activate

node_modules/.installed: package.json package-lock.json
	@echo "==> installing front-end and test packages from the npm registry"
	npm ci --no-audit --no-fund --silent
	@touch node_modules/.installed

setup: $(BIN)/activate node_modules/.installed

run: setup
	@echo "==> migrating the embedded SQLite database (instance/televisit.db)"
	$(BIN)/flask --app wsgi db upgrade
	@echo "==> loading the demo program and demo sign-ins (password: televisit-demo)"
	$(BIN)/flask --app wsgi seed-demo --with-users
	@echo "==> serving on http://127.0.0.1:$(PORT) (jobs in-process)$${TELEVISIT_NOW:+, the clock starting at $$TELEVISIT_NOW}"
	$(BIN)/flask --app wsgi serve --port $(PORT) --with-jobs

test: setup
	@echo "==> lint"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "==> layers and capabilities (import-linter contracts in pyproject.toml)"
	$(BIN)/lint-imports
	@echo "==> tests (SQLite and PostgreSQL)"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# STACK_PORT=9090 make stack serves on another port (docs/operations.md, "Run the production shape").
stack: setup
	@STACK_BIN=$(abspath $(BIN)) scripts/stack.sh start

stack-stop:
	@scripts/stack.sh stop

stack-status:
	@scripts/stack.sh status

bench: setup
	$(BIN)/python -m bench.booking_bench

clean:
	rm -rf $(VENV) instance .pytest_cache
