# Development mode for everything run from here: DEBUG=1, local hosts, the built-in key.
# Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/casetracker) to use PostgreSQL.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= 1

.PHONY: run test install install-dev migrate seed lint format check bench backup restore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input

seed: migrate
	$(BIN)/python manage.py load_motion

run: seed
	@echo
	@echo "Casetracker is starting at http://127.0.0.1:8000/"
	@echo "To sign in to the staff workspace (/admin/), create an account in another terminal:"
	@echo "    $(BIN)/python manage.py createsuperuser"
	@echo
	@# The task worker applies confirmed imports; it stops when the server does.
	$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# The embedded SQLite database only (PostgreSQL: pg_dump / pg_restore, see the README).
backup: install
	$(BIN)/python manage.py backup_database --dir backups

# make restore BACKUP=backups/<timestamp>.sqlite3 AS=<your staff username>
restore: install
	@test -n "$(BACKUP)" || (echo "Usage: make restore BACKUP=backups/<file>.sqlite3 AS=<username>" && exit 2)
	@test -n "$(AS)" || (echo "Usage: make restore BACKUP=backups/<file>.sqlite3 AS=<username>" && exit 2)
	$(BIN)/python manage.py restore_database "$(BACKUP)"
	$(BIN)/python manage.py reapply_purges --user "$(AS)"

# PostgreSQL benchmarks, written to docs/performance.md: databases bench_10k, bench_100k, bench_1m
# at BENCH_PG (default postgres://postgres@127.0.0.1:5432), generated once and reused.
# make bench BENCH_SIZES="10000 100000" BENCH_SOAK_MINUTES=10. Rate limits are off for the runs.
BENCH_SIZES ?= 10000 100000 1000000
bench: install-dev
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python bench/run.py --sizes "$(BENCH_SIZES)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
