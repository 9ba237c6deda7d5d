# The two commands: `make run` starts the service, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test check lint lock docs redis-server chromium nginx prometheus bench soak

# `make run` installs what serving needs (about 120 MB) from requirements.lock; `make test`
# adds the test and load-test tools from requirements-test.lock (about 320 MB in all). The
# locks pin every package with its files' sha256, checked by pip (--require-hashes); the
# project itself is then installed editable with --no-deps, as a local tree has no hash.
# The venv is made afresh (--clear) whenever this runs: a build cut short (a Ctrl-C during
# the pip upgrade leaves a pip that cannot start) is redone, never patched. bin/skycache
# is its last file, and make deletes it when interrupted while this runs.
$(BIN)/skycache: pyproject.toml setup.py requirements.lock
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# urllib3-future (niquests' HTTP core, under the test extra openmeteo-requests) is built
# from its source with URLLIB3_NO_OVERRIDE: its wheel writes a urllib3/ package of its own
# over the real urllib3, and a .pth file that does so again at every start, and requests
# (and so schemathesis) then fail on its different internals. niquests needs only
# urllib3_future. The lock's hashes cover the source archive too.
$(VENV)/.test-extras: $(BIN)/skycache requirements-test.lock
	URLLIB3_NO_OVERRIDE=1 $(BIN)/pip install --quiet --require-hashes --no-binary urllib3-future -r requirements-test.lock
	touch $@

run: $(BIN)/skycache
	$(BIN)/skycache serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# Debian's redis-server backs the integration tests when no Docker engine answers; its
# redis-cli (package redis-tools, a dependency of redis-server) joins the test cluster.
redis-server:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server redis-tools)

# Debian's chromium renders /schema offline in tests/e2e/test_api_docs_browser.py.
chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

# Debian's nginx runs deploy/nginx/skycache.conf in front of the app in the edge tests.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nginx)

# Debian's prometheus (with promtool) checks and runs deploy/prometheus/ in the tests.
prometheus:
	@command -v promtool >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq prometheus)

lint: $(VENV)/.test-extras
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# In parallel, one pytest-xdist worker a core (TEST_WORKERS=0: serially); each worker starts
# its own Redis. Tests in one xdist_group run on one worker, one after another.
TEST_WORKERS ?= auto
test: $(VENV)/.test-extras redis-server chromium nginx prometheus lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

# The inner loop, under a minute: lint and types, then the unit and contract tests.
check: lint redis-server
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup tests/unit tests/contract

# docs/CONFIGURATION.md from Settings and its help text (a test fails while it is stale).
docs: $(BIN)/skycache
	$(BIN)/python -m entrypoints.config_docs

# A few minutes on loopback: the hit path against its ceiling (see docs/BENCHMARKS.md).
bench: $(VENV)/.test-extras redis-server
	@command -v wrk >/dev/null || ($(SUDO) apt-get install -y -qq wrk || true)
	$(BIN)/pip install --quiet --require-hashes -r requirements-bench.lock
	$(BIN)/python -m bench

# A compressed day of traffic and faults (bench/soak); its table lands in docs/SOAK.md.
SOAK_MINUTES ?= 10
soak: $(VENV)/.test-extras redis-server
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)

# After a change to pyproject.toml's dependencies: uv resolves each lock in about a second
# (pip-tools' pip-compile found the same pins and hashes in 15 s, for this platform only: no
# markers for the others). Pins already in a lock are kept while pyproject.toml allows them
# (UPGRADE=--upgrade takes the newest); the test, bench and otel (the image's tracing extra)
# locks are constrained to the runtime lock's pins, so the venvs agree. The build lock pins
# the build backend pyproject.toml's [build-system] names, for the image (deploy/Dockerfile).
UV_VERSION := 0.13.9
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --no-header --quiet $(UPGRADE)
lock: $(VENV)/.test-extras
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra test -c requirements.lock -o requirements-test.lock
	$(COMPILE) --extra test --extra bench -c requirements-test.lock -o requirements-bench.lock
	$(COMPILE) --extra otel -c requirements-test.lock -o requirements-otel.lock
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(BIN)/uv pip compile - --universal --python-version 3.11 --generate-hashes \
		--no-header --quiet -o requirements-build.lock
