# QuantumLayer: the two commands of the README are `make demo` and `make test`.
# Both install what they need from a clean clone.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PNPM_VERSION := $(shell node -p "require('./package.json').packageManager.split('@')[1]")
PNPM := pnpm
export TURBO_TELEMETRY_DISABLED := 1

.PHONY: help install proto proto-lint proto-check build lint typecheck test test-unit test-integration services demo bench clean

help:
	@echo "make demo        run the main job in embedded mode"
	@echo "make test        install, check contracts, build, lint, type-check and run every test"
	@echo "make install | proto | proto-lint | proto-check | build | lint | typecheck | bench | clean"

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

services:
	scripts/dev/ensure-services.sh

test-unit: install
	$(PNPM) run test:unit

test-integration: install services build
	$(PNPM) run test:integration

test: install proto-check proto-lint build lint typecheck services
	$(PNPM) run test

demo: install build
	$(PNPM) run demo

bench: install services
	$(PNPM) run bench:bus

clean:
	rm -rf node_modules packages/*/node_modules services/*/node_modules packages/*/dist services/*/dist .turbo
