# Two commands on a fresh clone; each creates or reuses .venv and installs what it needs.
#   make demo   routed generation on the embedded simulator -> out/demo.mp4 (no key, no network)
#   make test   the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vidbridge demo --out out

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src plugins tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy src plugins

bench: $(STAMP)
	$(PY) benchmarks/import_time.py
	$(PY) benchmarks/routing_overhead.py
	$(PY) benchmarks/simulator_throughput.py
	$(PY) benchmarks/simulator_media.py
	$(PY) benchmarks/gateway_load.py
	$(PY) benchmarks/dashboard_pages.py

clean:
	rm -rf $(VENV) out
