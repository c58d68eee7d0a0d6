# The same commands run locally and in CI. Each target installs what it needs first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXTRAS := dev,explore,dask

.PHONY: install demo test lint eval explore bench lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/agencywatch demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check flows extractors store evaluation tests
	$(BIN)/mypy

eval: install
	$(BIN)/python -m evaluation

# Datasette on the demo database (built by `agencywatch demo` when missing); Ctrl-C stops.
explore: install
	mkdir -p demo-out
	test -f demo-out/demo.db || $(BIN)/agencywatch demo --db demo-out/demo.db > /dev/null
	$(BIN)/agencywatch explore --db demo-out/demo.db

# Benchmark (issue 6): agencywatch vs a Scrapy spider and the floors, on a synthetic site.
# ~45 min at the default 20,000 articles on 2 cores; BENCH_ARGS="--articles 5000" takes ~12 min.
# Then (issue 22) many polite sites: 200 sites x 15 pages at 1 s, Scrapy and the floor beside
# (~4 min); POLITE_ARGS="--sites 1000 --site-pages 5 --delay 2" for another shape.
BENCH_ARGS ?=
POLITE_ARGS ?=
bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[$(EXTRAS),bench]'
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  { S=$$( [ "$$(id -u)" = 0 ] || echo "sudo -n" ); \
	    $$S apt-get update -qq && $$S apt-get install -y -qq nginx-light; } || \
	  echo "bench: could not install nginx; the Python fallback server will be used"
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.polite $(POLITE_ARGS)

# Re-pin every dependency to what is installed now; read the diff before committing it.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable --exclude agencywatch > constraints.txt

clean:
	rm -rf $(VENV) .prefect .pytest_cache .mypy_cache .ruff_cache
