# VoltEdge front door. `make demo` runs the main job end to end; `make test` runs every test.
SHELL := /bin/bash
TENANT ?= demo
SOURCE ?= data/raw/household_power_consumption.txt.xz
BIN := build/voltedge
STAMP := .cache/bootstrap.stamp

.PHONY: bootstrap up down status migrate ingest features train promote serve worker index eval slo build test demo bench clean format llm

# Bootstrap re-runs when its inputs change; its own checks make a re-run with nothing to do take seconds.
$(STAMP): scripts/bootstrap scripts/mlflow-requirements.txt scripts/fuzz-requirements.txt $(wildcard scripts/bootstrap.d/*)
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

VOLTEDGE_WERROR ?= OFF
build: $(STAMP)
	cmake --preset default -DVOLTEDGE_WERROR=$(VOLTEDGE_WERROR) >/dev/null
	cmake --build build

migrate: build up
	$(BIN) migrate

ingest: migrate
	$(BIN) tenant create $(TENANT)
	$(BIN) ingest --tenant $(TENANT) --source $(SOURCE)

features: migrate
	$(BIN) features --tenant $(TENANT)

# Features + backtest + MLflow runs; the champion is registered with alias `staging`.
train: features
	$(BIN) train --tenant $(TENANT) --config configs/training.json

# Points `production` at the version `staging` points to (or VERSION=N).
VERSION ?= staging
promote: build
	$(BIN) promote --tenant $(TENANT) --version $(VERSION)

# The tenant's search index: the project's docs and code and the data dictionary (incremental: unchanged files
# are skipped). Then: build/voltedge search --tenant $(TENANT) "your question"
index: migrate
	$(BIN) tenant create $(TENANT)
	$(BIN) index --tenant $(TENANT)

# The nightly evaluation of $(TENANT) as a job (forecast error of production on data after its training, drift,
# answers and retrieval on the golden sets; results in model_eval_results): queued and waited for, or run here
# when no worker is up. `make worker` runs one.
eval: migrate
	$(BIN) jobs submit --tenant $(TENANT) eval --payload '{"suite": "nightly"}' --wait

# A worker in the foreground (Ctrl-C or SIGTERM stops it), with the periodic jobs of configs/schedule.json.
worker: migrate
	VOLTEDGE_SCHEDULE=$${VOLTEDGE_SCHEDULE:-configs/schedule.json} $(BIN) worker

# Each SLO of $(TENANT) over the last day; exit 1 on a breach.
slo: build
	$(BIN) slo check --tenant $(TENANT)

# A local LLM (llama-server + SmolLM2-135M) on VOLTEDGE_LLM_PORT (28081); not part of make demo or make test.
llm:
	scripts/llm install
	scripts/llm serve

# The prediction API in the foreground (Ctrl-C stops it); port VOLTEDGE_API_PORT (28080).
serve: migrate
	$(BIN) serve

# Tests run against the database voltedge_test (tests/integration/support.h) and delete what they create in
# MLflow, so the demo's data, registry and UI stay as they were.
TEST_DB_ENV = DATABASE_URL=postgresql://voltedge_app:voltedge_app@127.0.0.1:25432/voltedge_test \
              DATABASE_ADMIN_URL=postgresql://postgres:voltedge_admin@127.0.0.1:25432/voltedge_test
test: build up
	$(TEST_DB_ENV) $(BIN) migrate
	ctest --test-dir build --output-on-failure -j2
	scripts/scan-logs-for-secrets  # every test's output, the stack's logs and /metrics: no key, password or token

# The seven steps of DEMO.md (ingest, train, serve, ask, eval, canary, rollback), each checked; ends with the API
# and a worker running in the background. `demo-full` is the same run under the name DEMO.md uses.
demo: migrate
	scripts/demo-full $(TENANT) $(SOURCE)

.PHONY: demo-full
demo-full: demo

bench: build up
	$(BIN) migrate
	build/bench/ingest_bench --source $(SOURCE)
	build/bench/train_bench --tenant bench-train --source $(SOURCE)
	build/bench/serve_bench --tenant bench-train
	build/bench/embed_bench
	build/bench/search_bench
	build/bench/queue_bench 2>/dev/null
	$(BIN) index --tenant bench-train
	$(BIN) eval answers --tenant bench-train --golden evaluations/golden/demo/answers.jsonl

# n8n, the optional glue (n8n/: evaluation summary to chat, promotion announcement, push to main -> index rebuild):
# installs n8n 1.123.81 into .n8n/ (npm ci, pinned; 1.7 GB and 6-16 min the first time), imports and activates the
# flows and runs it on 127.0.0.1:25678, where Alertmanager's webhook points. scripts/n8n stop|status|start.
.PHONY: n8n
n8n:
	scripts/n8n up

# Each flow triggered against the local API, a local receiver standing in for Slack/Teams; not part of make test.
.PHONY: test-n8n
test-n8n: build up
	scripts/n8n install
	scripts/test-n8n

# Rewrites every C++ file as .clang-format says (the check_format test fails until it is).
format:
	scripts/check-format --fix

clean:
	rm -rf build build-asan

# Bootstrap re-runs when the image part's pinned tools change too (a prerequisite added, no recipe).
$(STAMP): scripts/image-requirements.txt

# dist/: the binary, its CycloneDX SBOM (voltedge.cdx.json), cosign signatures with the key COSIGN_KEY (else a
# local pair generated in .cache/release/, password COSIGN_PASSWORD), SHA256SUMS; all verified (scripts/release).
.PHONY: release
release: $(STAMP)
	scripts/release
