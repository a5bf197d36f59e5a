# Two commands matter: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint format migrate seed screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

## run: set up, migrate, load the demo data, serve http://$(HOST):$(PORT) and run one task
## worker beside it (mail, reminders, closing past sessions); Ctrl-C stops both
run: $(VENV)/.runtime-installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: set up and run every test (SQLite, or PostgreSQL when DATABASE_URL is set)
test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff's checks and formatting, and no model change without its migration
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.runtime-installed
	DEBUG=true $(BIN)/python manage.py migrate

seed: $(VENV)/.runtime-installed
	DEBUG=true $(BIN)/python manage.py seed_demo

## screenshots: PNGs of every main page (demo data, desktop and phone) in docs/screenshots/
screenshots: $(VENV)/.dev-installed
	$(BIN)/python scripts/screenshots.py

## bench: booking throughput and latency on PostgreSQL, as ratios against a rule-less baseline
bench: $(VENV)/.dev-installed
	@test -n "$$DATABASE_URL" || { echo "bench needs DATABASE_URL (PostgreSQL), e.g. postgres://postgres@127.0.0.1:5432/mentoring"; exit 2; }
	$(BIN)/python bench/booking_throughput.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
