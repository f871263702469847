# hiili: the two commands of the quick start are `make demo` and `make test`.
#
#   make deps    install what is missing (Debian packages when root, .venv with PyPI deps)
#   make build   one CMake build in build/ (library, command, _core, C++ tests, benchmarks) through
#                scikit-build-core; its wheel, repaired by auditwheel, is installed into .venv
#   make wheel   the same: dist/hiili-*.whl, self-contained (SuiteSparse, TBB, libzip, OpenBLAS
#                vendored); make test-wheel checks it in a fresh venv outside the tree
#   make sdist   dist/hiili-*.tar.gz (pip install builds it where the Debian build deps are)
#   make cpp     the C++ alone with plain CMake (no Python needed), in build/
#   make test    deps + build, then ctest, pytest (notebooks included) and make test-wheel
#   make demo    deps + build, then `hiili demo`
#   make bench   the benchmark suite against its peers (writes docs/performance.md; peers from
#                requirements-bench.txt into .venv-bench); make bench-quick: the CI-sized run
#   make test-sanitize  C++ tests under ASan + UBSan (make test-asan, build-asan), threaded ones
#                under TSan with a TSan build of Debian's oneTBB (make test-tsan, build-tsan);
#                clang. See docs/testing.md.
#   make fuzz    one libFuzzer run of FUZZ_SECONDS per reader (build-fuzz); clang
#   make fuzz-python  the footprint activity CSV reader (Python) under atheris, FUZZ_SECONDS

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

JOBS ?= $(shell nproc)
BUILD ?= build
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

APT_PACKAGES := build-essential cmake pkg-config libeigen3-dev libsuitesparse-dev libtbb-dev \
  libmetis-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev nlohmann-json3-dev \
  libfast-float-dev libzip-dev libarchive-dev liblzma-dev libbz2-dev librandom123-dev libopenblas0-pthread libxxhash-dev \
  chromium
PY_STAMP := $(VENV)/.deps-stamp
# Only test-sanitize and fuzz need these (clang and its sanitizer / libFuzzer runtimes; dpkg-source
# unpacks Debian's oneTBB source for the TSan build of it).
SANITIZER_APT_PACKAGES := clang-14 libclang-rt-14-dev dpkg-dev
CLANGXX ?= clang++-14

# test-sanitize: the threaded tests that run under TSan (ctest -R).
TSAN_TESTS ?= MonteCarlo\.|WhatIf\.|SolveMany|ManyColumn|Threads|ParallelRefactor|OpenLca\.|Uslci\.
TSAN_TARGETS := test_monte_carlo test_scenario test_solver test_lca test_static_lu test_io_openlca
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# fuzz: seconds per target, and libFuzzer's bounds (an input that makes a reader allocate more
# than malloc_limit_mb at once, hold more than rss_limit_mb or run longer than timeout seconds
# is a finding).
FUZZ_SECONDS ?= 30
FUZZ_TARGETS ?= useeio npy datapackage openlca ecoinvent matrix_market csv_triplets scenario analysis_cache
FUZZ_FLAGS ?= -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=1
FUZZ_BUILD := build-fuzz

.PHONY: deps apt-deps sanitizer-deps build cpp python wheel sdist test test-cpp test-python test-wheel demo \
  bench bench-build bench-quick format lint clean test-sanitize test-asan test-tsan fuzz fuzz-python

# Installs those of the Debian packages $(1) that are missing (root only; else says which).
define apt_install
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done)
	if [ -n "$$missing" ]; then
	  echo "installing missing Debian packages: $$missing"
	  if [ "$$(id -u)" != 0 ]; then echo "run as root or install: $$missing" >&2; exit 1; fi
	  export DEBIAN_FRONTEND=noninteractive
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing
	fi
endef

deps: apt-deps $(PY_STAMP)

apt-deps:
	$(call apt_install,$(APT_PACKAGES))

sanitizer-deps:
	$(call apt_install,$(SANITIZER_APT_PACKAGES))

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
one_build_flags = --no-build-isolation --no-deps -C build-dir=$(BUILD) \
  -C cmake.define.HIILI_BUILD_TESTS=ON -C cmake.define.HIILI_BUILD_BENCH=ON \
  -C cmake.define.HIILI_BUILD_PYTHON=ON
one_build = CMAKE_GENERATOR="Unix Makefiles" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
  $(1) -m pip install -q $(one_build_flags) .

# The wheel comes out of the same build: pip wheel compiles in $(BUILD) (nothing twice), then
# auditwheel copies the shared libraries _core and the command need (SuiteSparse, oneTBB, libzip,
# OpenBLAS, ...) into hiili.libs/, points their RPATH there and sets the manylinux tag. .venv gets
# that wheel, so pytest and the notebooks test what a user installs. See README, "From Python".
DIST ?= dist
WHEEL_RAW := $(BUILD)/wheel-raw

python:
	rm -rf $(WHEEL_RAW) && mkdir -p $(DIST)
	CMAKE_GENERATOR="Unix Makefiles" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
	  $(PY) -m pip wheel -q $(one_build_flags) -w $(WHEEL_RAW) .
	rm -f $(DIST)/hiili-*.whl
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/auditwheel repair -w $(DIST) $(WHEEL_RAW)/hiili-*.whl
	$(PY) -m pip install -q --force-reinstall --no-deps $(DIST)/hiili-*.whl
	ls -l $(DIST)/hiili-*.whl

wheel: build

# Builds from source (compiles everything): a one-off check, not part of make test.
sdist: deps
	mkdir -p $(DIST) && rm -f $(DIST)/hiili-*.tar.gz
	$(PY) -m build --sdist --no-isolation --outdir $(DIST) .

test: build test-cpp test-python test-wheel

# The wheel in a fresh venv outside the tree (tests/wheel/test_wheel.sh; no compiling).
test-wheel:
	PYTHON=$(PYTHON) tests/wheel/test_wheel.sh $(DIST) $(VENV)/bin/auditwheel

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
	$(call one_build,$(BENCH_PY))

bench: bench-build
	$(BENCH_PY) bench/run.py
	$(BENCH_PY) bench/scale_out.py --json $(BUILD)/bench-scale-out.json

bench-quick: bench-build
	$(BENCH_PY) bench/run.py --quick

test-sanitize: test-asan test-tsan

test-asan: apt-deps sanitizer-deps
	cmake -S . -B build-asan -DCMAKE_CXX_COMPILER=$(CLANGXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHIILI_SANITIZE=address,undefined -DHIILI_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)
	$(SANITIZER_ENV) ctest --test-dir build-asan --output-on-failure -j $(JOBS) -E '^install_and_consume$$'

test-tsan: apt-deps sanitizer-deps
	cmake -S . -B build-tsan -DCMAKE_CXX_COMPILER=$(CLANGXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHIILI_SANITIZE=thread -DHIILI_BUILD_BENCH=OFF -DHIILI_BUILD_CLI=OFF
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	JOBS=$(JOBS) CLANGXX=$(CLANGXX) tests/sanitizers/tsan_onetbb.sh $(CURDIR)/build-tsan/onetbb
	loaded=$$(LD_LIBRARY_PATH=$(CURDIR)/build-tsan/onetbb/lib ldd build-tsan/tests/cpp/test_monte_carlo)
	[[ $$loaded == *build-tsan/onetbb/lib/libtbb* ]] || { echo "test-tsan: the TSan-built oneTBB is not the one loaded" >&2; exit 1; }
	LD_LIBRARY_PATH=$(CURDIR)/build-tsan/onetbb/lib $(SANITIZER_ENV) \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

fuzz: apt-deps sanitizer-deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_CXX_COMPILER=$(CLANGXX) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHIILI_FUZZ=ON -DHIILI_BUILD_TESTS=OFF -DHIILI_BUILD_BENCH=OFF -DHIILI_BUILD_CLI=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	$(PYTHON) tests/fuzz/make_corpus.py $(FUZZ_BUILD)/seeds
	for t in $(FUZZ_TARGETS); do
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/findings/$$t
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"
	  $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    -artifact_prefix=$(FUZZ_BUILD)/findings/$$t/ $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t
	done

fuzz-python: build
	$(PY) -m pip install -q atheris
	$(PYTHON) tests/fuzz/make_corpus.py $(FUZZ_BUILD)/seeds
	mkdir -p $(FUZZ_BUILD)/corpus/footprint_activity $(FUZZ_BUILD)/findings/footprint_activity
	$(PY) tests/fuzz/fuzz_footprint_activity.py -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	  -artifact_prefix=$(FUZZ_BUILD)/findings/footprint_activity/ \
	  $(FUZZ_BUILD)/corpus/footprint_activity $(FUZZ_BUILD)/seeds/footprint_activity

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
	$(VENV)/bin/ruff format python tests bench 2>/dev/null || true

lint:
	clang-tidy -p $(BUILD) $$(git diff --name-only HEAD -- '*.cpp') 2>/dev/null || true

clean:
	rm -rf $(BUILD) build-py build-asan build-tsan $(FUZZ_BUILD)
