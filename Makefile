# Every target a user needs, from a fresh clone with nothing installed but python3 (3.11+).
# uv comes from PyPI into .tools/; it builds .venv/ from uv.lock with the newest supported CPython
# it finds (3.13 first, the Lambda runtime). No Python is ever downloaded.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
PYTHON ?= $(shell scripts/find-python.sh)
UV := .tools/bin/uv
VENV := .venv
RUN := $(UV) run --frozen --no-sync
EVENT ?= events/direct-email.json
# The function's code and the sandbox are plain folders, not installed packages.
export PYTHONPATH := $(CURDIR)/handler:$(CURDIR)/sandbox:$(CURDIR)

FUNCTION ?=

.PHONY: help venv demo invoke-local schemas test lint typecheck unit integration e2e test-py311 security ci layer-requirements sandbox bench clean
.PHONY: backfill bench-bulk

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python "$(PYTHON)"
	@touch $@

venv: $(VENV)/.synced  ## create .venv from uv.lock

demo: venv  ## run the action once against the local Intercom sandbox and a local Secrets Manager
	$(RUN) python -m scripts.demo --event $(EVENT)

invoke-local: venv  ## run EVENT's function (or FUNCTION=LogicalId) under the Lambda runtime emulator, locally
	bash scripts/build-host.sh
	$(RUN) python -m scripts.invoke_local --event $(EVENT) --function "$(FUNCTION)" --env-vars "$(ENV_VARS)"

schemas: venv  ## regenerate schemas/ (JSON Schema of input and output, OpenAPI) from the models
	$(RUN) python -m scripts.generate_schemas

test: venv lint typecheck  ## lint, type checks and the whole test suite
	$(RUN) pytest

lint: venv  ## ruff
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: venv  ## mypy --strict
	$(RUN) mypy handler sandbox tests scripts $(wildcard benchmarks)

unit: venv  ## unit tests only
	$(RUN) pytest tests/unit

integration: venv  ## integration tests only (sandbox + moto over HTTP)
	$(RUN) pytest tests/integration tests/contract

e2e: venv check-template  ## build with SAM; import every handler from the artefact; run every function under the Lambda runtime emulator
	bash scripts/build-host.sh
	REQUIRE_SAM_BUILD=1 $(RUN) pytest tests/e2e

test-py311: $(UV)  ## the whole suite on Python 3.11 too (the code must keep working there)
	UV_PROJECT_ENVIRONMENT=.venv-py311 $(UV) sync --frozen --python "$$(scripts/find-python.sh 3.11)"
	UV_PROJECT_ENVIRONMENT=.venv-py311 $(UV) run --frozen --no-sync pytest -q -p no:cacheprovider

security: $(UV)  ## bandit, pip-audit of the locked runtime dependencies, checkov on template.yaml
	bash scripts/security-checks.sh

ci: test test-py311 e2e security  ## everything .ci/run runs

layer-requirements: $(UV)  ## regenerate layers/requirements.txt from uv.lock
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o layers/requirements.txt

sandbox: venv  ## run the local Intercom sandbox in the foreground on port 8765 (token tok_sandbox)
	$(RUN) python -m intercom_sandbox --port 8765

# The benchmark's own environment: the locked runtime deps, moto, and the official SDK
# (python-intercom) that it compares against, which never enters .venv or the Lambda layer.
BENCH_VENV := .venv-bench
bench: $(UV)  ## benchmark against the official SDK: latency, round trips, CPU, cold start, memory (benchmarks/README.md)
	@[ -x $(BENCH_VENV)/bin/python ] || $(UV) venv --quiet $(BENCH_VENV) --python "$(PYTHON)"
	@$(UV) export --quiet --frozen --no-emit-project --no-hashes --format requirements-txt -o $(BENCH_VENV)/lock-all.txt
	@$(UV) export --quiet --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o $(BENCH_VENV)/lock-runtime.txt
	$(UV) pip install --quiet --python $(BENCH_VENV)/bin/python -r $(BENCH_VENV)/lock-runtime.txt -c $(BENCH_VENV)/lock-all.txt 'moto[server]' 'python-intercom==5.0.1'
	$(BENCH_VENV)/bin/python -m benchmarks.bench $(BENCH_ARGS)

FILE ?= examples/users.csv
backfill: venv  ## run FILE=rows.csv|.jsonl through the backfill: sandbox, or CONNECTED_ACCOUNT=<secret> for a real workspace; RESULTS=<results file> skips rows done (docs/backfill.md)
	$(RUN) python -m scripts.backfill "$(FILE)" $(if $(RESULTS),--results "$(RESULTS)") \
		$(if $(CONNECTED_ACCOUNT),--connected-account "$(CONNECTED_ACCOUNT)") $(BACKFILL_ARGS)

bench-bulk: venv  ## bulk benchmark: N users through M worker processes running the SQS handler, scaled rate limit (benchmarks/README.md)
	$(RUN) python -m benchmarks.bulk $(BULK_ARGS)

clean:  ## remove generated environments and caches
	rm -rf .venv .venv-py311 .venv-bench .tools .aws-sam .pytest_cache .mypy_cache .ruff_cache \
		.hypothesis

.PHONY: check-template
check-template: $(UV)  ## sam validate --lint, cfn-lint (template and state machine), sam build
	bash scripts/check-template.sh
