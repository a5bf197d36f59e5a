# Two commands matter: `make run` (serve the demo) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint format migrate seed screenshots bench bench-booking wrk clean

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

## bench: what each page costs as a multiple of the floor (gunicorn + wrk), SQLite and PostgreSQL
##        BENCH_SCALE=10 for ten times the data; BENCH_ARGS="--duration 5" etc. (bench/pages.py -h)
BENCH_SCALE     ?= 1
BENCH_DATABASES ?= sqlite,postgres
bench: $(VENV)/.dev-installed wrk
	$(BIN)/python bench/pages.py --databases $(BENCH_DATABASES) --scale $(BENCH_SCALE) $(BENCH_ARGS)

## bench-booking: booking throughput and latency on PostgreSQL, against a rule-less baseline
bench-booking: $(VENV)/.dev-installed
	@test -n "$$DATABASE_URL" || { echo "bench-booking needs DATABASE_URL (PostgreSQL), e.g. postgres://postgres@127.0.0.1:5432/mentoring"; exit 2; }
	$(BIN)/python bench/booking_throughput.py $(BENCH_ARGS)

# The load generator, from Debian, only when missing (make test does not need it).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	@wrk --version 2>&1 | head -n 1 || true

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
