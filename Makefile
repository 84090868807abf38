# Two entry points (see README): `make demo` and `make test`. Both work on a fresh machine.
# `make demo` installs only the core (numpy, scipy, sympy, numba and a few pure-Python
# packages: pyproject.toml's dependencies) and prints its first number within seconds;
# `make test` installs everything (torch, Ray, POT, PettingZoo, matplotlib, ...) first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
ICQ    := $(VENV)/bin/icq
CORE   := $(VENV)/.core
STAMP  := $(VENV)/.installed

.PHONY: setup core sysdeps demo test test-fast proofs bench lint clean

$(CORE): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	touch $(CORE)

$(STAMP): $(CORE)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first: a plain `torch` requirement would pull CUDA packages
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[all]'
	touch $(STAMP)

core: $(CORE)

setup: $(STAMP)

# Debian packages the tests need: Coq (proofs) and Chromium (the report is checked headless)
sysdeps:
	@{ command -v coqc && command -v chromium; } >/dev/null 2>&1 || { apt-get update -qq && \
	  apt-get install -y -qq --no-install-recommends coq chromium >/dev/null; }
	@coqc --version | head -1

# every demo command needs only the core: no torch, Ray or matplotlib
demo: $(CORE)
	$(ICQ) audit icq/examples/synthetic-handoff.json
	$(ICQ) budget icq/examples/synthetic-handoff.json --target 2 --error total --norm mu --tune
	$(ICQ) budget icq/examples/author-reviewer-editor.json --target 0.1
	$(ICQ) audit icq/examples/author-reviewer-editor.json
	$(ICQ) audit icq/examples/planner-coder-tester-reviewer.json --what-if --try-gamma 0.5

proofs: sysdeps setup
	$(PY) proofs/check.py

# tests/test_proofs.py compiles every proof from scratch and runs the tie check
test: setup sysdeps
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} $(PY) -m pytest

test-fast: setup
	$(PY) -m pytest -x tests

bench: setup
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_audit.py
	$(PY) benchmarks/bench_env_ray.py

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
