# hiili: the two commands of the quick start are `make demo` and `make test`.
#
#   make deps    install what is missing (Debian packages when root, .venv with PyPI deps)
#   make build   one CMake build in build/ (library, command, _core, C++ tests, benchmarks) through
#                scikit-build-core, installed as the Python package into .venv
#   make cpp     the C++ alone with plain CMake (no Python needed), in build/
#   make test    deps + build, then ctest and pytest (notebooks included)
#   make demo    deps + build, then `hiili demo`
#   make bench   the benchmark suite against its peers (writes docs/performance.md; peers from
#                requirements-bench.txt into .venv-bench); make bench-quick: the CI-sized run

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

JOBS ?= $(shell nproc)
BUILD ?= build
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

APT_PACKAGES := build-essential cmake pkg-config libeigen3-dev libsuitesparse-dev libtbb-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev nlohmann-json3-dev \
  libfast-float-dev libzip-dev librandom123-dev libopenblas0-pthread \
  chromium
PY_STAMP := $(VENV)/.deps-stamp

.PHONY: deps apt-deps build cpp python test test-cpp test-python demo bench bench-build bench-quick format lint clean

deps: apt-deps $(PY_STAMP)

apt-deps:
	missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done)
	if [ -n "$$missing" ]; then
	  echo "installing missing Debian packages: $$missing"
	  if [ "$$(id -u)" != 0 ]; then echo "run as root or install: $$missing" >&2; exit 1; fi
	  export DEBIAN_FRONTEND=noninteractive
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing
	fi

$(PY_STAMP): pyproject.toml requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

build: deps python

cpp:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

# The library is compiled once: scikit-build-core builds in $(BUILD) with the tests and
# benchmarks on, so ctest, the command and the installed package share one tree.
python:
	CMAKE_GENERATOR="Unix Makefiles" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
	  $(PY) -m pip install -q --no-build-isolation --no-deps -C build-dir=$(BUILD) \
	  -C cmake.define.HIILI_BUILD_TESTS=ON -C cmake.define.HIILI_BUILD_BENCH=ON \
	  -C cmake.define.HIILI_BUILD_PYTHON=ON .

test: build test-cpp test-python

test-cpp:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

test-python:
	$(PY) -m pytest -q tests/python
	$(PY) -m pytest -q --nbmake --nbmake-timeout=300 examples/notebooks

demo: build
	$(VENV)/bin/hiili demo

BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.deps-stamp

$(BENCH_STAMP): pyproject.toml requirements-dev.txt requirements-bench.txt
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -r requirements-bench.txt
	touch $@

# Only what the benchmark runs: the library, bench_overhead, and hiili into .venv-bench.
bench-build: apt-deps $(BENCH_STAMP)
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS) --target bench_overhead
	$(BENCH_PY) -m pip install -q --no-build-isolation --no-deps .

bench: bench-build
	$(BENCH_PY) bench/run.py

bench-quick: bench-build
	$(BENCH_PY) bench/run.py --quick

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
	$(VENV)/bin/ruff format python tests bench 2>/dev/null || true

lint:
	clang-tidy -p $(BUILD) $$(git diff --name-only HEAD -- '*.cpp') 2>/dev/null || true

clean:
	rm -rf $(BUILD) build-py
