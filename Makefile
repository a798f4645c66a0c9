# The README's commands. Each installs what it needs into .venv from requirements.lock.
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app service
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint lock clean messages

# Translations (SPEC §12): the .po catalogues are committed, their .mo compiled here, never committed.
TRANSLATIONS := service/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

install: $(STAMP) $(MO)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -l $* -i $< -o $@

## make messages: extract every translatable string and update the catalogues (then translate the new ones)
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--project K-Sustain -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--no-fuzzy-matching --ignore-obsolete

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

## make run: migrate the SQLite database under instance/, load demo data once, serve on :5000
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "K-Sustain on http://127.0.0.1:5000  (API docs: http://127.0.0.1:5000/api/v1/docs)"
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: the whole suite (PostgreSQL too when TEST_DATABASE_URL is set), one pytest-xdist
## worker per core (TEST_WORKERS=0 runs it in one process); a test module stays on one worker,
## the modules in the order tests/conftest.py gives (longest first: xdist would otherwise sort
## them by their number of tests and start the two longest, which have few, last)
TEST_WORKERS ?= auto
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check service models schedules tests migrations bench scripts
	$(VENV)/bin/mypy

## make lock: re-resolve requirements.lock (with every file's sha256) after changing pyproject.toml.
## Extras stay in the pins (fonttools[woff]==…, apispec[marshmallow]==…): pip's resolver in
## --require-hashes mode takes a dependency's `pkg[extra]>=…` for an unpinned requirement and
## refuses the install as soon as a newer pkg is published (pypa/pip#9644)
lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --extra dev --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

## make bench: issue 13's benchmark on the bench data set (about 15 minutes; writes
## bench/results.json, then the README's section from it). BENCH_DATABASE_URL=postgresql://…
## adds the PostgreSQL figures (that database is emptied); BENCH_ARGS=--quick checks it works.
.PHONY: bench
bench: install
	timeout 3600 $(PY) -m bench.run $(BENCH_ARGS)
	$(PY) scripts/bench_table.py
