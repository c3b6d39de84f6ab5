# The two commands: `make up` (install + run the platform with sample data) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

WEB    := web/node_modules/.package-lock.json

.PHONY: up test lint bench clean install browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install -q -e '.[spark,test]'
	touch $(STAMP)

# The console's third-party JavaScript (Leaflet, ECharts, Swagger UI for the API docs), pinned by
# web/package-lock.json. Ready-built browser files: no package needs an install script, and none
# runs (swagger-ui-dist pulls in @scarf/scarf, whose install script reports the install home).
$(WEB): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	touch $(WEB)

# The browser tests drive Debian's chromium (never a downloaded browser build); Chinese needs a font.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wqy"; then \
		apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei; fi

install: $(STAMP) $(WEB)

up: $(STAMP) $(WEB)
	$(BIN)/ecohub up --simulate 4

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(STAMP) $(WEB) browser lint
	$(BIN)/pytest -q

bench: $(STAMP)
	for f in bench/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info web/node_modules
