# Two set-up commands: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= test,fast

.PHONY: run test bench lint csms clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

# The default config points at the bundled CSMS on 127.0.0.1:8180, started in the same process.
run: $(STAMP)
	$(BIN)/python -m simulator run --with-csms $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check simulator workers tests bench
	$(BIN)/mypy --strict simulator workers

bench: $(STAMP)
	@test -f bench/__main__.py || { echo "bench/: not written yet (see README, Missing)"; exit 1; }
	# The bench extra: what the bench's own contenders need (picows, uvloop).
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench $(if $(FULL),--full,)

csms: $(STAMP)
	$(BIN)/python -m simulator csms

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
