# One command set everywhere: make demo, make test, make lint, make bench.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test test-pg lint format bench bench-text clean browser-deps

# With Java on the machine the Spark extra comes too, so the Spark parity tests run; without
# it they skip, saying why.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	if command -v java >/dev/null 2>&1; then $(BIN)/pip install -q -e '.[dev,spark]'; \
	else $(BIN)/pip install -q -e '.[dev]'; fi
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium and CJK fonts for the browser tests; never `playwright install`. libcairo2
# draws journey maps and persona cards as PNG and PDF (cairosvg).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' \
	    || ! ldconfig -p 2>/dev/null | grep -q 'libcairo.so.2'; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk libcairo2 >/dev/null) \
	      || echo "browser-deps: could not install chromium; browser tests will be skipped"; \
	  else echo "browser-deps: chromium missing and not root; browser tests will be skipped"; fi; \
	fi

demo: install
	$(BIN)/kizuna db upgrade
	$(BIN)/kizuna demo

test: install browser-deps
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Peers (oseti, mlask, lifetimes) live in their own venvs: never dependencies of Kizuna.
.venv-bench-text/.installed: bench/requirements-text-peers.txt
	test -x .venv-bench-text/bin/python || $(PYTHON) -m venv .venv-bench-text
	.venv-bench-text/bin/pip install -q -r bench/requirements-text-peers.txt
	touch $@

.venv-bench-clv/.installed: bench/requirements-clv-peers.txt
	test -x .venv-bench-clv/bin/python || $(PYTHON) -m venv .venv-bench-clv
	.venv-bench-clv/bin/pip install -q -r bench/requirements-clv-peers.txt
	touch $@

bench: install .venv-bench-text/.installed .venv-bench-clv/.installed
	$(BIN)/python -m bench.run_all

bench-text: install .venv-bench-text/.installed
	$(BIN)/python -m bench.text

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
