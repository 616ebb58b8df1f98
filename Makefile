# cmsim: every target sets itself up from nothing and is idempotent (a second run reuses .venv).
#   make lab    JupyterLab on notebooks/ (127.0.0.1, no browser opened: follow the printed link)
#   make dashboard  the strategy lab as a Voilà page on 127.0.0.1 (works offline)
#   make demo   the headless twin: default strategy comparison on `forum`, figure + tables in out/
#   make test   environment + test dependencies, lint (ruff, mypy), the whole test suite and every
#               module's docstring examples
#   make game   the manager game served to a room (Voila, a token; see docs/teaching.md)
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cmsim-installed
# Debian packages the tests need (Chromium for the real-browser tests): see system-deps.
SYSTEM_PACKAGES ?= chromium
# pytest-xdist workers (0 = one process). Measured on 2 cores with the current suite: serial
# 8.7 s, -n 2 11.5 s (worker start-up dominates), so serial is the default; try
# `make test PYTEST_WORKERS=2` again once the suite grows (numba compilation is cached on disk).
PYTEST_WORKERS ?= 0
JUPYTER_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

export MPLBACKEND := Agg
export PYTHONUNBUFFERED := 1

DASHBOARD_PORT ?= 8866
# The servers' kernels draw with their own backends: the Agg exported above must not reach them.
SERVER_ENV := env -u MPLBACKEND

.PHONY: help setup warm lab dashboard demo test lint format bench bench-quick facts system-deps clean distclean inside-app game

help:
	@echo "make lab | dashboard | demo | test | game     (see README.md)"
	@echo "make setup lint format bench bench-quick facts system-deps clean distclean inside-app"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when pyproject.toml changes (or the stamp is missing).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -e '.[lab,test,distributed,viz]'
	touch $(STAMP)

setup: $(STAMP)

# Compiles the engine once after installing (numba caches it on disk), so a notebook's first
# simulation runs warm; about a second when the cache is already warm.
warm: setup
	@echo "Preparing the simulation engine (the first time after installing it compiles: 10-20 s)..."
	@$(PY) -c "import cmsim; cmsim.simulate('forum', 'balanced', seed=0, members=100, days=7)"

lab: warm
	$(SERVER_ENV) $(VENV)/bin/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser $(JUPYTER_ROOT)

# Voilà with the template in dashboard/share (Voilà's own `lab` less its CDN stylesheets).
dashboard: warm
	$(SERVER_ENV) JUPYTER_PATH=$(CURDIR)/dashboard/share $(VENV)/bin/voila dashboard/strategy_lab.ipynb \
		--template=cmsim --no-browser --Voila.ip=127.0.0.1 --port=$(DASHBOARD_PORT)

demo: setup
	$(VENV)/bin/cmsim demo --out out

# Inside the model in a browser tab (SolaraViz), offline: scripts from solara-assets, no version
# check, no telemetry. http://127.0.0.1:8765
inside-app: setup
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/solara run cmsim/mesa/app.py --host=127.0.0.1 \
		--port=8765 --production --no-open --no-check-version

# The manager game for a room (Voila: one kernel per browser tab, always behind a token):
#   make game [HOST=0.0.0.0] [PORT=8866] [RECORDS=folder] [TOKEN=...] [EXERCISE=name] [SCENARIO=name]
#             [WEEKS=n] [SEED=n] [MEMBERS=n]
# Only values given on the command line count (an exported HOST or TOKEN of the shell is ignored);
# without TOKEN a token is generated and printed. Records default to ./records.
arg = $(if $(filter command line,$(origin $(1))),$($(1)),$(2))
game: setup
	$(PY) -m cmsim.game.room --host=$(call arg,HOST,127.0.0.1) --port=$(call arg,PORT,8866) \
		--records=$(call arg,RECORDS,records) --token=$(call arg,TOKEN,) --exercise=$(call arg,EXERCISE,) \
		--scenario=$(call arg,SCENARIO,) $(if $(call arg,WEEKS,),--weeks=$(WEEKS),) \
		$(if $(call arg,SEED,),--seed=$(SEED),) $(if $(call arg,MEMBERS,),--members=$(MEMBERS),)

# Hook for Debian packages (run as root; apt-get update first). Installs nothing while
# SYSTEM_PACKAGES is empty; installs only what is missing otherwise, so it is idempotent.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "system-deps: nothing to install"; \
	elif [ "$$(id -u)" != 0 ]; then echo "system-deps: run as root to install:$$missing" >&2; exit 1; \
	else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; fi

test: setup system-deps lint
	$(PY) -m pytest tests cmsim $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS),)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) benchmarks/run.py

bench-quick: setup
	$(PY) benchmarks/run.py --quick

facts: setup
	$(VENV)/bin/cmsim check-facts

clean:
	rm -rf out build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf
	find . -path ./$(VENV) -prune -o \( -name '*.nbi' -o -name '*.nbc' \) -type f -print0 | xargs -0 rm -f

distclean: clean
	rm -rf $(VENV)
