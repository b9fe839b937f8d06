# VoltEdge front door. `make demo` runs the main job end to end; `make test` runs every test.
SHELL := /bin/bash
TENANT ?= demo
SOURCE ?= data/raw/household_power_consumption.txt.xz
BIN := build/voltedge
STAMP := .cache/bootstrap.stamp

.PHONY: bootstrap up down status migrate ingest build test demo bench clean

# Bootstrap re-runs when its inputs change; its own checks make a re-run with nothing to do take seconds.
$(STAMP): scripts/bootstrap scripts/mlflow-requirements.txt
	scripts/bootstrap
	@mkdir -p .cache && touch $@

bootstrap:
	scripts/bootstrap
	@mkdir -p .cache && touch $(STAMP)

up: $(STAMP)
	scripts/devstack up

down:
	scripts/devstack down

status:
	scripts/devstack status

build: $(STAMP)
	cmake --preset default >/dev/null
	cmake --build build

migrate: build up
	$(BIN) migrate

ingest: migrate
	$(BIN) tenant create $(TENANT)
	$(BIN) ingest --tenant $(TENANT) --source $(SOURCE)

test: build up
	$(BIN) migrate
	ctest --test-dir build --output-on-failure -j2

demo: ingest
	$(BIN) dq report --tenant $(TENANT)

bench: build up
	$(BIN) migrate
	build/bench/ingest_bench --source $(SOURCE)

clean:
	rm -rf build build-asan
