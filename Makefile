# Gatehouse: `make run` serves the portal on SQLite, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GATEHOUSE_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: run test image bench profile soak faults screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,redis,postgres]'
	touch $@

# Plain-HTTP loopback: Secure cookies would never come back, so turn them off and say so.
# Log lines as text for a person at a terminal; the service (systemd unit) keeps JSON.
# The address printed is localhost's, not 127.0.0.1's: passkeys (WebAuthn) need a host name.
# The first-run line only while no password is set (`gatehouse set-password --check`).
RUN_BIND = $(or $(GATEHOUSE_BIND),127.0.0.1:8000)
RUN_URL = http://$(patsubst 127.0.0.1:%,localhost:%,$(RUN_BIND))
run: export GATEHOUSE_LOG_FORMAT ?= text
run: $(VENV)/.installed
	$(BIN)/gatehouse db upgrade
	@echo "Serving on $(RUN_URL) with GATEHOUSE_COOKIE_SECURE=0 (plain HTTP, loopback only)."
	@$(BIN)/gatehouse set-password --check >/dev/null 2>&1 || \
		echo "First run: open $(RUN_URL)/setup and enter the code from $(GATEHOUSE_INSTANCE_DIR)/setup-code"
	GATEHOUSE_COOKIE_SECURE=$${GATEHOUSE_COOKIE_SECURE:-0} $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The container image (docs/container.md). The wheels are built here, so the image build reaches
# no Python registry, and by the Python the image runs (Debian bookworm's python3, 3.11), so
# version markers resolve as they will inside. podman builds Containerfile (docker when that is
# what the machine has); `make image BASE=...` names another Debian bookworm base image.
IMAGE ?= localhost/gatehouse:latest
BASE ?= docker.io/library/debian:bookworm-slim
IMAGE_PYTHON ?= /usr/bin/python3
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
image:
	@command -v podman >/dev/null || docker info >/dev/null 2>&1 || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq podman)
	@$(IMAGE_PYTHON) -c 'import ensurepip' 2>/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv)
	@$(IMAGE_PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "make image: IMAGE_PYTHON must be Python 3.11, as in Debian bookworm")'
	rm -rf build/image
	$(IMAGE_PYTHON) -m venv build/image/venv
	build/image/venv/bin/pip wheel --quiet --wheel-dir build/image/wheels '.[postgres,redis]' setuptools wheel
	rm build/image/wheels/gatehouse-*.whl
	if command -v podman >/dev/null; then \
	  podman build --format docker --build-arg BASE=$(BASE) -f Containerfile -t $(IMAGE) . && podman image ls $(IMAGE); \
	else \
	  docker build --build-arg BASE=$(BASE) -f Containerfile -t $(IMAGE) . && docker image ls $(IMAGE); \
	fi

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,redis,postgres,bench]'
	touch $@

# Benchmarks and the soak: never part of `make test` (timings on shared machines are noisy).
# stack_vs_bare: Gatehouse as shipped against a bare Flask app and Flask-Login, ratios with targets
# (docs/performance.md); `make profile`: pyinstrument's call tree of /verify, / and /login in process.
bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk)
	@command -v redis-server >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server)
	$(BIN)/python bench/stack_vs_bare.py
	$(BIN)/python bench/db_scale.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/login_flood.py
	$(BIN)/python bench/scale_out.py

profile: $(VENV)/.installed-bench
	$(BIN)/python bench/profile_hot_path.py --profile

# Ten minutes of mixed traffic; `make soak SOAK_SECONDS=120` for a shorter run.
SOAK_SECONDS ?= 600
soak: $(VENV)/.installed-test
	$(BIN)/python bench/soak.py --seconds $(SOAK_SECONDS)

# Faults (faults/run.py, docs/operations.md): kill -9, SIGTERM, Redis and PostgreSQL outages and
# terminated connections, a full disk, under browsers signing in and out. Never part of `make test`.
# Needs redis-server, the machine's PostgreSQL (GATEHOUSE_TEST_POSTGRES_URL) and root (a tmpfs).
faults: $(VENV)/.installed-test
	@command -v redis-server >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server)
	$(BIN)/python faults/run.py $(FAULTS_ARGS)

# Every page at 1280x900 and 390x844, light and dark, into screenshots/ (ignored by git).
screenshots: $(VENV)/.installed-test
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver)
	$(BIN)/python tools/screenshots.py --out screenshots

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
