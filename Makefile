# QuantumLayer: the two commands of the README are `make demo` and `make test`.
# Both install what they need from a clean clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PNPM_VERSION := $(shell node -p "require('./package.json').packageManager.split('@')[1]")
PNPM := pnpm
export TURBO_TELEMETRY_DISABLED := 1

.PHONY: help install proto proto-lint proto-check build lint typecheck test test-unit test-integration services sandbox-tools demo bench bench-router clean

help:
	@echo "make demo        run the main job in embedded mode"
	@echo "make test        install, check contracts, build, lint, type-check and run every test"
	@echo "make install | proto | proto-lint | proto-check | build | lint | typecheck | bench | bench-router | clean"

install:
	@if [ "$$(pnpm --version 2>/dev/null)" != "$(PNPM_VERSION)" ]; then \
		echo "installing pnpm $(PNPM_VERSION)"; npm install -g pnpm@$(PNPM_VERSION) >/dev/null; fi
	$(PNPM) install --frozen-lockfile

proto: install
	scripts/proto/generate.sh

proto-lint: install
	scripts/proto/lint.sh

proto-check: install
	scripts/proto/check-fresh.sh

build: install
	$(PNPM) run build

lint: install
	$(PNPM) run lint

typecheck: install
	$(PNPM) run typecheck

services: sandbox-tools
	scripts/dev/ensure-services.sh

# qtest runs untrusted commands under bubblewrap (GNU time reports their usage); its runner tests
# drive go test and pytest with coverage.py too. From Debian, when missing.
sandbox-tools:
	@command -v bwrap >/dev/null && test -x /usr/bin/time && command -v go >/dev/null && \
		test -x /usr/bin/python3 && /usr/bin/python3 -c 'import pytest, coverage' 2>/dev/null || \
		(echo "installing bubblewrap, time, go and pytest with coverage from Debian"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap time golang-go \
		python3-pytest python3-pytest-cov >/dev/null)

test-unit: install
	$(PNPM) run test:unit

test-integration: install services build
	$(PNPM) run test:integration

test: install proto-check proto-lint build lint typecheck services
	$(PNPM) run test

# The main job: a generation in embedded mode (blueprint mode: no LLM needed), then the generated
# project's own install, type-check and tests, and a check of the signed capsule. The project
# lands in demo-output/lending-library/, the capsule next to it.
DEMO_DESCRIPTION ?= A lending library. Each book has a title, an isbn (unique), a genre (fiction, \
  science, history) and a published date. Each author has a name and an email; an author has many \
  books. Members have a name and an email, and can borrow books. Members log in; librarians are admins.
DEMO_OUT ?= demo-output

demo: install build sandbox-tools
	node packages/cli/dist/main.js generate "$(DEMO_DESCRIPTION)" --name lending-library --out $(DEMO_OUT) --force --verify
	node packages/cli/dist/main.js capsule verify $(DEMO_OUT)/lending-library-0.1.0.qlc

bench: install services
	$(PNPM) run bench:bus

# The router's overhead against a bare proxy, run as deployed (the machine's Postgres and NATS).
bench-router: install services
	$(PNPM) run bench:router

clean:
	rm -rf node_modules packages/*/node_modules services/*/node_modules packages/*/dist services/*/dist .turbo
