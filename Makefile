# Sáu Rõ: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi $(BIN)/flask
STAMP := $(VENV)/.installed

.PHONY: install run test test-slow lint translations clean bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -d app/translations

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) banner
	SCHEDULER_ENABLED=1 $(FLASK) run --host 127.0.0.1 --port 5000 --no-reload

test: install
	$(BIN)/bandit -q -r app -ll -ii
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

# The slow groups (concurrent writes, load, 1,000 mass-assignment posts, the full demo) run one
# after another, not under xdist: the concurrency and load groups measure the machine, and
# two of them side by side would each measure the other.
# Bad input: 1,000 hypothesis cases per form and per query page (`make test` runs 200 on
# SQLite, 50 and every field's PostgreSQL edge cases on PostgreSQL);
# schemathesis: 200 cases per API operation and mode (`make test` runs 25).
test-slow: install
	$(BIN)/python -m pytest -p no:xdist -m slow $(PYTEST_ARGS)
	SAURO_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -p no:xdist tests/web/test_bad_input.py $(PYTEST_ARGS)
	SAURO_SCHEMATHESIS_EXAMPLES=200 $(BIN)/python -m pytest -p no:xdist tests/api/test_schemathesis.py $(PYTEST_ARGS)

# The benchmark against the floor (docs/performance.md): SCALE=province (default) or large;
# PostgreSQL when BENCH_DATABASE_URL is set (a schema of its own, e.g. ...?options=-csearch_path%3Dsauro_bench).
SCALE ?= province
bench: install
	SCALE=$(SCALE) $(BIN)/python bench/generate.py
	SCALE=$(SCALE) $(BIN)/python bench/run.py

# ruff, bandit, and the layer contract of .importlinter (docs/architecture.md).
lint: install
	$(BIN)/ruff check app tests
	$(BIN)/bandit -q -r app -ll -ii
	$(BIN)/lint-imports --no-logo

clean:
	rm -rf $(VENV) .pytest_cache
