# Amparo: `make demo` serves the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: demo test test-browser test-all lint bench messages makemessages clean system-deps
.PHONY: prod-up prod-down prod-status bench-load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $@

system-deps:
	@scripts/ensure-system-deps.sh

messages: $(VENV)/.installed system-deps
	@$(MANAGE) compilemessages -v0 --ignore '.venv'

demo: messages
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) load_demo
	@echo ""
	@echo "Amparo is running on http://127.0.0.1:$(PORT)/  (Spanish: /es/, English: /en/, Portuguese: /pt/)"
	@echo "Public pages need no account; staff sign in at http://127.0.0.1:$(PORT)/staff/login/ (accounts above)."
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: messages
	$(BIN)/pytest

test-browser: messages
	@scripts/ensure-system-deps.sh --browser
	$(BIN)/pytest -m browser -p no:cacheprovider

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy amparo bench
	$(BIN)/lint-imports

bench: messages
	$(BIN)/python bench/search_quality.py --devset bench/search_devset.json
	$(BIN)/python bench/search_quality.py --devset bench/search_devset_b.json
	$(BIN)/python bench/run.py
	$(BIN)/python bench/channel.py
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/images.py
	$(BIN)/python bench/cases.py
	$(BIN)/python bench/openrosa.py
	$(BIN)/python bench/surveys.py
	$(BIN)/python bench/network_gaps.py
	$(BIN)/python bench/networks.py
	$(BIN)/python bench/insights.py
	$(BIN)/python bench/feedback.py
	$(BIN)/python bench/campaigns.py
	$(BIN)/python bench/load.py

# The production stack on this machine (docs/deploy.md): nginx (HTTPS) -> gunicorn, task worker, scheduler.
prod-up: messages
	@scripts/prod-stack.sh up

prod-down:
	@scripts/prod-stack.sh down

prod-status:
	@scripts/prod-stack.sh status

# 200 public users for 60 s against the running stack (make prod-up; demo data: see docs/deploy.md).
bench-load: $(VENV)/.installed
	$(BIN)/python bench/load.py

makemessages: $(VENV)/.installed system-deps
	$(MANAGE) makemessages -l es -l en -l pt --ignore '.venv/*' --ignore 'var/*' --ignore 'bench/*' --no-obsolete

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
