# Every command a developer or CI needs. CI (.ci/run) calls `make test` only.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# No telemetry or error reports to Rasa's servers: tracebacks can hold patient text.
export RASA_TELEMETRY_ENABLED := false
# Rasa's CLI and the test tools read these from endpoints.yml; harmless defaults.
export ACTIONS_PORT ?= 5055
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/rasa.db
export LOCK_STORE_URL ?=

.PHONY: help install lint format train run shell staff-user migrate validate eval tune-fallback compare test unit test-stories pytest bench bench-staff load clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(VENV)/.installed node_modules/.package-lock.json ## create .venv (Python 3.10), install the locked Python and npm packages

$(VENV)/.installed: requirements.lock requirements-dev.lock tools/bootstrap.sh
	@tools/bootstrap.sh

# The website widget's socket.io client, served by the project (no CDN).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found; install Node.js 18 or newer (with npm) for the website widget" >&2; exit 2; }
	npm ci --no-audit --no-fund --loglevel=error

lint: install ## ruff; hadolint and the compose file's references (tools/check_deploy.py); locks vs pyproject.toml; no type: ignore
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m tools.check_deploy
	$(PY) -m tools.check_lock
	@# No type checker runs (Rasa 3.6 and SQLAlchemy 1.4 ship no type information): a type: ignore would silence nothing.
	@! grep -rnE --include='*.py' '#[[:space:]]*type:[[:space:]]*ignore' actions assistant tools tests \
	  || { echo "error: no type checker runs here; drop the type: ignore comments above" >&2; exit 1; }

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

train: install ## render clinic answers; train the model if its inputs changed
	@$(PY) -m tools.model >/dev/null

run: install ## train if needed, start the action server, the Rasa server, the website and the staff console
	@$(PY) -m tools.run

shell: install ## talk to the assistant in this terminal
	@$(PY) -m tools.run --shell

staff-user: install ## add a staff console account: make staff-user NAME=alex [ADMIN=1] (asks for the password)
	@test -n "$(NAME)" || { echo "usage: make staff-user NAME=alex [ADMIN=1]" >&2; exit 2; }
	@$(PY) -m assistant.staff add-user "$(NAME)" $(if $(ADMIN),--admin)

migrate: install ## bring the clinic's tables in DATABASE_URL to the newest revision (the servers also do it at start)
	$(PY) -m assistant.records migrate

validate: train ## rasa data validate (fails on any warning not explained in tools/validate.py)
	$(PY) -m tools.validate

eval: train ## NLU report on the held-out split (tests/nlu/), fails below target
	$(PY) -m tools.nlu_eval evaluate --check

tune-fallback: install ## cross-validated table for choosing the low-confidence threshold
	$(PY) -m tools.tune_fallback

compare: install ## train and evaluate Rasa's default config and each candidate on the held-out split
	$(PY) -m tools.nlu_eval compare

test-stories: train ## test stories with --fail-on-prediction-errors
	$(RASA) test core --model $$($(PY) -m tools.model) --stories tests/stories \
	  --fail-on-prediction-errors --out var/reports/stories

pytest: train ## unit tests of actions and tools, then end-to-end tests on real servers and in Chromium
	@tools/install_chromium.sh
	$(PY) -m pytest tests

# pytest last, so its summary is the final line of the run.
test: lint validate eval test-stories pytest ## everything CI runs

# The tiers are pyproject.toml's markers; tests/conftest.py fails a test that needs one it lacks.
# The clinic answers are rendered (the tests read them); nothing is trained.
unit: install ## the tests that need no server, PostgreSQL, Redis, Chromium or trained model (well under a minute)
	@$(PY) -m assistant.clinic.render
	$(PY) -m pytest -m "not (e2e or services or browser or model)" tests

bench: train ## throughput/latency/memory vs. Rasa's default config, then the staff console's (reports)
	$(PY) -m tools.bench
	$(PY) -m tools.bench_staff

bench-staff: install ## staff console list/search latency on 100k generated conversations, SQLite and PostgreSQL (a report)
	$(PY) -m tools.bench_staff

load: train ## 5-minute load test: two Rasa servers + PostgreSQL + Redis, rising concurrency, then nothing lost or duplicated (a report)
	$(PY) -m tools.load

clean: ## remove models, runtime data and reports (not .venv)
	rm -rf models var .rasa results
