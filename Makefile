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
	# The job queue's worker runs alongside (embedded SQLite queue) and stops with the server.
	$(BIN)/intranet worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	INTRANET_SESSION_COOKIE_SECURE=false INTRANET_REMEMBER_COOKIE_SECURE=false \
		$(BIN)/intranet run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest

# Province demo data on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (see README, Benchmarks).
bench: install
	$(BIN)/python -m pytest benchmarks -p no:randomly -q

# Production on this machine: gunicorn (deploy/gunicorn.conf.py) on the local PostgreSQL and Redis.
# No reverse proxy here, so no proxy hop is trusted; behind nginx (deploy/nginx.conf) use PROXY_HOPS=1.
.PHONY: serve-prod
PROD_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/intranet
PROD_SECRET_KEY_FILE ?= instance/secret_key
PROD_PORT ?= 8000
PROD_QUEUE_URL ?= redis://127.0.0.1:6379/1
PROD_ENV = DATABASE_URL=$(PROD_DATABASE_URL) INTRANET_SECRET_KEY_FILE=$(abspath $(PROD_SECRET_KEY_FILE)) \
	INTRANET_QUEUE_URL=$(PROD_QUEUE_URL)
serve-prod: install
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "需要 127.0.0.1:6379 上的 Redis（redis-server）" >&2; exit 1; }
	$(BIN)/python deploy/create_database.py $(PROD_DATABASE_URL)
	@test -s $(PROD_SECRET_KEY_FILE) || { mkdir -p $(dir $(PROD_SECRET_KEY_FILE)); umask 077; \
		$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $(PROD_SECRET_KEY_FILE); }
	$(PROD_ENV) $(BIN)/intranet db upgrade
	@echo "首次使用请创建管理员：$(PROD_ENV) $(BIN)/intranet users create-admin"
	# the queue's worker (imports, exports, report builds, the daily jobs) stops with gunicorn
	$(PROD_ENV) $(BIN)/intranet worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PROD_ENV) INTRANET_PROXY_HOPS=0 GUNICORN_BIND=$(HOST):$(PROD_PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

clean:
	rm -rf $(VENV) .pytest_cache
