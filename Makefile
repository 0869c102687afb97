# Every chore of the project. `make demo` and `make test` are the two commands the README opens with.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Build products and the moto virtualenv live outside the clone, so that a fresh clone on a machine
# that has built before does not pay for the AWS SDK crates or the pip install again.
CACHE_DIR        ?= $(HOME)/.cache/migrate
# One target directory per checkout path: cargo's fingerprint of a workspace crate leaves out the
# absolute path, so a second checkout of the same sources would reuse the first one's test
# binaries, whose CARGO_MANIFEST_DIR (and so every fixture path) points into the first checkout,
# which may be gone. A checkout at the same path (CI's clone) still reuses its earlier build.
CHECKOUT_KEY     := $(shell printf '%s' '$(CURDIR)' | cksum | cut -d' ' -f1)
export CARGO_TARGET_DIR ?= $(CACHE_DIR)/target-$(CHECKOUT_KEY)
VENV             ?= $(CACHE_DIR)/venv
PYTHON           ?= python3
export MOTO_SERVER_BIN ?= $(VENV)/bin/moto_server
CARGO            ?= cargo
MIGRATE          := $(CARGO_TARGET_DIR)/debug/migrate

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  \1\t/' | expand -t 16

# The virtualenv is rebuilt only when the pinned requirements change.
$(VENV)/.stamp: requirements-moto.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-moto.txt
	cp requirements-moto.txt $@

.PHONY: venv
venv: $(VENV)/.stamp ## Create the Python virtualenv with the pinned moto[server].

.PHONY: build
# Built with every target of the workspace so that features resolve exactly as for `make test`:
# the two then share one build of the AWS SDK crates instead of invalidating each other's.
build: ## Build the migrate binary (debug), sharing the build with the tests.
	$(CARGO) build --locked --workspace --all-targets

.PHONY: test
test: venv ## Run every test: unit, snapshot, property, simulation seeds, wire tests against moto.
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --locked --workspace --no-fail-fast; \
	else \
	  $(CARGO) test --locked --workspace --no-fail-fast; \
	fi
	$(CARGO) test --locked --workspace --doc

.PHONY: lint
lint: ## Format check and clippy with warnings denied.
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

.PHONY: fmt
fmt: ## Format the code.
	$(CARGO) fmt --all

# ---------------------------------------------------------------------------------------------
# The demo and moto helpers (owned by the AWS adapter).

# DEMO picks the source kind: ecs-ec2 (seed 001, playbooks/demo.yaml), asg, beanstalk or ec2.
DEMO ?= ecs-ec2

.PHONY: demo
demo: venv build ## Migrate a seeded moto account end to end: plan, apply with progress, status (DEMO=ecs-ec2|asg|beanstalk|ec2).
	DEMO=$(DEMO) VENV=$(VENV) MIGRATE=$(MIGRATE) scripts/demo.sh

MOTO_PORT ?= 5000

.PHONY: moto-up
moto-up: venv ## Start moto server on 127.0.0.1:$(MOTO_PORT) in the background (pid in .moto.pid).
	@if [ -f .moto.pid ] && kill -0 $$(cat .moto.pid) 2>/dev/null; then echo "moto already running (pid $$(cat .moto.pid))"; \
	else $(MOTO_SERVER_BIN) -H 127.0.0.1 -p $(MOTO_PORT) > .moto.log 2>&1 & echo $$! > .moto.pid; echo "moto on http://127.0.0.1:$(MOTO_PORT) (pid $$(cat .moto.pid))"; fi

.PHONY: moto-down
moto-down: ## Stop the moto server moto-up started.
	@if [ -f .moto.pid ]; then kill $$(cat .moto.pid) 2>/dev/null || true; rm -f .moto.pid; fi

# ---------------------------------------------------------------------------------------------
# The simulator (owned by migrate-sim).

.PHONY: soak
soak: ## Property checks of the engine over 5,000 seeds per property in the simulator (release build).
	MIGRATE_SIM_SEEDS=$${MIGRATE_SIM_SEEDS:-5000} $(CARGO) test --locked --release -p migrate-sim --test properties -- --nocapture

.PHONY: bench
bench: ## Rehearse the seed-001 playbook over many seeds: makespan/critical-path ratio, API calls, sim speed.
	$(CARGO) bench --locked -p migrate-sim --bench rehearsal

.PHONY: bench-discover
bench-discover: venv build ## Time `migrate discover` on moto with 200 ECS services, 50 ALBs, 50 then 500 ASGs.
	$(VENV)/bin/python scripts/bench_discover.py --migrate $(MIGRATE) --moto-server $(MOTO_SERVER_BIN)
