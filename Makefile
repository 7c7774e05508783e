# The documented entry points. `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: setup demo test check lint typecheck bench fuzz batch-sample docs-images clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,dask]"
	touch $(STAMP)

## setup: create .venv (if missing) and install the package with its test tools
setup: $(STAMP)

## demo: run the main job on the embedded Helsinki extract, writing out/demo/
demo: setup
	$(VENV)/bin/coverage15 demo --out out/demo

## test: the whole test suite
test: setup
	$(PY) -m pytest

lint: setup
	$(PY) -m ruff check coverage tests $(wildcard scripts benchmarks)
	$(PY) -m ruff format --check coverage tests $(wildcard scripts benchmarks)

typecheck: setup
	$(PY) -m mypy coverage

## check: lint, type check and the tests (what CI runs)
check: lint typecheck test

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,dask,bench]"
	touch $(BENCH_STAMP)

## bench: the benchmarks against the reference tools (writes out/bench/)
bench: $(BENCH_STAMP)
	$(PY) benchmarks/run.py --out out/bench
	$(PY) benchmarks/bench_siting.py --out out/bench

## fuzz: the fuzz and property tests with many more examples (HYPOTHESIS_PROFILE=fuzz)
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/test_fuzz.py tests/test_properties.py

## docs-images: draw the pictures of docs/img/ again from ../shared/data and the demo
docs-images: setup
	$(PY) scripts/docs_images.py --shared ../shared/data --out docs/img

## batch-sample: regenerate the maps of the sample batch (data/sample_batch/, writes out/sample_batch/)
batch-sample: setup
	$(VENV)/bin/coverage15 batch data/sample_batch/batch.yaml --workers 2

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
