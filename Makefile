# Briefbot. `make help` lists the targets. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
PIP    := $(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# test processes (pytest-xdist): the suite waits on `briefbot` processes much of the time, so two
# workers halve it even on 2 cores; TEST_JOBS=0 runs it in this one process
TEST_JOBS ?= 2
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_JOBS)
# the tests start `briefbot` processes hundreds of times: compile our modules once (where
# PYTHONDONTWRITEBYTECODE is set, each start would compile them again, about 0.5 s)
COMPILE := $(BIN)/python -m compileall -q bot cogs summarizer tests > /dev/null

.DEFAULT_GOAL := help
.PHONY: help run sync test quality test-pg bench eval clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## Run Briefbot: Discord when DISCORD_TOKEN is set, otherwise locally (migrates the database first)
	$(BIN)/briefbot db upgrade
	$(BIN)/briefbot run

sync: $(STAMP) ## Register the slash commands with Discord (needs DISCORD_TOKEN; GUILD=id: one server, at once)
	$(BIN)/briefbot sync $(if $(GUILD),--guild $(GUILD),)

test: $(STAMP) ## Run the tests on SQLite, without the corpus tests (make quality runs those)
	$(COMPILE)
	$(PYTEST) -m "not shared"

quality: $(STAMP) ## The corpus tests and quality floors (read ../shared; skipped without it)
	$(COMPILE)
	$(PYTEST) -m shared -rs

test-pg: $(STAMP) ## Run the database tests on PostgreSQL (PG_TEST_URL, default the local server)
	$(COMPILE)
	BRIEFBOT_TEST_DATABASE_URL=$(PG_TEST_URL) $(PYTEST) -m db

bench: $(STAMP) ## Benchmarks: ingest, analysis (alone and while ingesting), abstractive timing, memory, /brief and /actor latency, delivery rate, thread answers, analyze on 1,000 hostile articles, the LLM grounding check, 1 vs 2 analyser and poller processes, the work queue's cost per job (PostgreSQL)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.analysis
	$(BIN)/python -m bench.contention
	$(BIN)/python -m bench.contention --in-thread
	$(BIN)/python -m bench.bench_abstractive
	$(BIN)/python -m bench.commands
	$(BIN)/python -m bench.delivery
	$(BIN)/python -m bench.hostile_analyze
	$(BIN)/python -m bench.grounding
	$(BIN)/python -m bench.analysers
	$(BIN)/python -m bench.pollers
	$(BIN)/python -m bench.queue

eval: $(STAMP) ## Quality figures on ../shared/eval: parsing, extraction, ROUGE vs Lead-3, entity F1, statements
	$(BIN)/python -m bench.eval

clean: ## Remove the virtualenv and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .bench
