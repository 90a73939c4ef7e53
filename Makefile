# The two commands of the README's Quick start, and the steps they share.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install demo test test-sqlite bench serve clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]" $(foreach p,$(PLUGIN_DIRS),-e $(p))
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/intranet db upgrade
	$(BIN)/intranet demo load --scale small --skip-if-loaded
	@echo "打开 http://$(HOST):$(PORT)/ ，按上面的账户登录（Ctrl-C 停止）"
	# The demo is served over plain http: let the browser send its cookies there.
	INTRANET_SESSION_COOKIE_SECURE=false INTRANET_REMEMBER_COOKIE_SECURE=false \
		$(BIN)/intranet run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

# Province demo data on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (see README, Benchmarks).
bench: install
	$(BIN)/python -m pytest benchmarks -p no:randomly -q

clean:
	rm -rf $(VENV) .pytest_cache
