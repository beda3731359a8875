# The two commands a fresh machine needs: `make run` and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/veoportal
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
PYTEST_ARGS ?=

.PHONY: venv run test test-postgres test-sqlite services chromium bench lint migrate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

run: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	@echo ""
	@echo "  veoportal is starting on http://127.0.0.1:8000  (web + Celery worker + beat; Ctrl-C stops all)"
	@echo "  First: sign up at http://127.0.0.1:8000/accounts/signup/ — the verification mail is printed"
	@echo "  right here in this terminal. Then top up on /billing/ (sandbox) and open /studio/."
	@echo "  Admin: .venv/bin/python manage.py createsuperuser"
	@echo ""
	$(BIN)/honcho start -f Procfile

services:
	bash scripts/ensure-services.sh

chromium:
	command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

test: venv services chromium test-postgres test-sqlite

test-postgres: venv
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS)

test-sqlite: venv
	env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL $(BIN)/pytest -m sqlite $(PYTEST_ARGS)

bench: venv services
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m bench

lint: venv
	$(BIN)/ruff check .
