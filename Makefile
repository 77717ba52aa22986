# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint check-content eval bench screenshot richmenu-image clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## run: the main job on embedded defaults (SQLite under ./data/): the browser simulator without LINE credentials (python -m bot chat: the terminal), webhook server with them
run: $(STAMP)
	$(PY) -m bot run

## test: every test (PostgreSQL tests use TEST_POSTGRES_URL, default the local server)
test: $(STAMP)
	$(PY) -m ruff check bot tests
	$(PY) -m bot check-content
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check bot tests
	$(PY) -m ruff format --check bot tests

check-content: $(STAMP)
	$(PY) -m bot check-content

## eval: cross-validated and held-out classifier figures (the README's table)
eval: $(STAMP)
	$(PY) -m bot.evaluate

## bench: Hitoban against the smallest echo bot of its stack, then the morning burst of reminders (README, Benchmark)
bench: $(STAMP)
	$(PY) -m tests.bench

## screenshot: retake the README's picture of the simulator (needs chromium and chromium-driver)
screenshot: $(STAMP)
	$(PY) -m tests.screenshot docs/sim.png

## richmenu-image: redraw content/richmenu.png from content/richmenu.yaml (Pillow and a CJK font: fc-list :lang=ja)
richmenu-image: $(STAMP)
	$(PY) -m bot.richmenu_image

clean:
	rm -rf $(VENV) data .pytest_cache
