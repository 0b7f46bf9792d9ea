# Stream Portal: `make run` serves the portal with its emulators, `make test` runs every test.
# Both install what is missing first and are quick the second time (stamp files).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PG_URL ?= postgresql://postgres@127.0.0.1:5432
export FLASK_APP := wsgi

.PHONY: run test test-sqlite test-postgres deps dev-deps assets system-deps bench clean

run: deps assets system-deps .env
	$(BIN)/flask db upgrade
	@set -a; . ./.env; echo; echo "Portal  http://127.0.0.1:$$PORTAL_PORT    Moodle  http://127.0.0.1:$$MOODLE_PORT    Stream  http://127.0.0.1:$$STREAM_PORT"; \
	 echo "Demo accounts (password 'demo'): student1, teacher1, manager1, studentb1, teacherb1, managerb1, admin"; echo
	$(BIN)/honcho start -f Procfile

test: dev-deps assets system-deps
	$(BIN)/pytest -q -p no:cacheprovider --db sqlite
	$(BIN)/pytest -q -p no:cacheprovider --db postgres -m "not dbless"

test-sqlite: dev-deps assets system-deps
	$(BIN)/pytest -q --db sqlite $(ARGS)

test-postgres: dev-deps assets system-deps
	$(BIN)/pytest -q --db postgres -m "not dbless" $(ARGS)

deps: $(STAMPS)/python
dev-deps: $(STAMPS)/python-dev
assets: $(STAMPS)/assets

$(STAMPS)/python: requirements.txt
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(STAMPS)/python-dev: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(STAMPS)/python

# Front-end libraries come from npm (package-lock.json) and are copied, never committed.
$(STAMPS)/assets: package.json package-lock.json
	@mkdir -p $(STAMPS) static/vendor
	npm ci --no-audit --no-fund --loglevel=error
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/tus-js-client/dist/tus.min.js static/vendor/
	@touch $@

# Debian packages: chromium for browser tests, ffmpeg/ffprobe for test videos and the Stream
# emulator, php-cli to lint the Moodle plugin.
SYSTEM_TOOLS := chromium ffmpeg ffprobe php
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium ffmpeg php-cli >/dev/null; \
	fi

# A local configuration pointing at the emulators, with a fresh secret key (never committed).
.env: | deps
	$(BIN)/python -m portal.devenv > .env

bench: dev-deps assets system-deps
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(STAMPS) static/vendor var instance
