# The README's commands. `make run` serves the site with the seed data; `make test` runs every test.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install run test test-quick lint format check-migrations seed serve world bench

$(STAMP):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The seed goes into an empty database only; a database with records is left exactly as it is.
seed: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed

# The site and, beside it, a worker for background jobs (imports, exports, loads): both stop together.
run: seed
	$(PY) manage.py ensure_local_admin
	$(PY) manage.py db_worker --no-reload --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest

# Everything but the tests that start servers or run the benchmark: for a quick check while working.
test-quick: install
	$(PY) -m pytest -m "not slow"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

# A synthetic world for benchmarks, in the database DATABASE_URL names (SCALE: tiny, small, medium, full).
SCALE ?= small
SEED ?= 1
world: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py make_world --scale $(SCALE) --seed $(SEED) --flush

# Datasette, the yardstick of the lists and searches (docs/performance.md), in an environment of its
# own: a baseline of the benchmark, not a dependency of the project.
DATASETTE_VENV := .venv-datasette
DATASETTE := $(DATASETTE_VENV)/bin/datasette
$(DATASETTE): devtools/datasette-requirements.txt
	python3 -m venv $(DATASETTE_VENV)
	$(DATASETTE_VENV)/bin/pip install --quiet -r devtools/datasette-requirements.txt
	touch $(DATASETTE)

# Figures beside baselines measured in the same run, on the data already loaded (docs/performance.md).
# ONLY=public,scales runs those sections alone (`manage.py bench --help` lists them). Where Datasette
# cannot be installed (no package registry), its section says so and the rest runs.
ONLY ?=
bench: install
	-@$(MAKE) --no-print-directory $(DATASETTE)
	DATASETTE=$(abspath $(DATASETTE)) $(PY) manage.py bench $(if $(ONLY),--only $(ONLY))
