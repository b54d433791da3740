# jichitai-ops: every target sets up what it needs (venv, Debian packages) on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

PLAYBOOKS := $(wildcard playbooks/*.yml)

.PHONY: help venv bytecode system-deps lint collections ee syntax unit test molecule demo lab-up lab-down lab-status bench clean

help:
	@echo "make demo   - set up, start the lab and run the main job against it"
	@echo "make test   - set up and run the whole suite (lint, syntax, unit, lab integration)"
	@echo "make lint | syntax | unit | lab-up | lab-down | lab-status | bench | screenshots"

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --no-compile -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-compile --no-deps --no-build-isolation -e .
	@# bytecode once, here: with PYTHONDONTWRITEBYTECODE set, every ansible-playbook and module would
	@# compile its imports again (docs/performance.md)
	$(BIN)/python -m compileall -q -j 0 -x 'olefile/olefile2\.py' $(VENV)/lib
	touch $@

# The project's own Python (the controller's side of plugins and reports) compiled before a suite or lab
# run: where PYTHONDONTWRITEBYTECODE is set, every ansible-playbook would compile it again (about 0.3 s
# of CPU per guarded run). Python compiles a changed file in memory, so a stale file costs only time.
bytecode: venv
	$(BIN)/python -m compileall -q -j 0 jichitai_ops plugins filter_plugins

# Debian packages of the lab stand-ins (Samba AD, Kea, NUT, sshd, mmdebstrap); needs root.
system-deps:
	@bash lab/install-deps.sh

lint: venv sanity
	$(BIN)/yamllint -s .
	$(BIN)/ruff check .
	$(BIN)/ansible-lint --profile production -q

# ansible-test sanity (validate-modules, pylint, pep8, import, ansible-doc, ...) on the modules and
# plugins, laid out as a temporary collection; offline but for PyPI on the first run (docs/development.md)
.PHONY: sanity
sanity: venv
	$(BIN)/python tools/sanity.py

# The bundle installed from requirements.txt must satisfy requirements.yml, offline.
collections: venv
	$(BIN)/ansible-galaxy collection install --offline -r requirements.yml 2>&1 | tee /dev/stderr | grep -q "Nothing to do"

# The execution environment's build context from execution-environment.yml, offline; building the
# image (ansible-builder build) needs a container engine.
ee: venv
	rm -rf work/ee
	$(BIN)/ansible-builder create -f execution-environment.yml -c work/ee --output-filename Containerfile

# one ansible-playbook per inventory for every playbook: a failure names its playbook and line
syntax: venv
	$(BIN)/ansible-playbook --syntax-check -i inventories/lab $(PLAYBOOKS) >/dev/null
	$(BIN)/ansible-playbook --syntax-check -i inventories/moriguchi $(PLAYBOOKS) >/dev/null
	@echo "syntax ok: $(PLAYBOOKS)"

unit: venv
	$(BIN)/pytest -q -n 2 tests/unit

# the lab tests (marker lab) on the lab brought up once, in the stages of tests/lanes.py (two lanes side
# by side); beside stage 3, whose tests run one at a time, every test that needs no lab (unit, the
# controller-only e2e and integration tests, the molecule scenarios that name no lab component) on
# both cores (pytest-xdist)
test: venv bytecode system-deps lint collections ee syntax
	$(BIN)/python tools/lab_suite.py --beside '$(BIN)/pytest -q -n 2 -m "not lab" tests'

# every role's molecule scenario on the lab (docs/molecule.md), each bringing up only the lab parts it
# needs; make test runs them too (tests/integration/test_molecule.py). One: make molecule SCENARIO=health_gate
molecule: venv bytecode system-deps
	$(BIN)/molecule test $(if $(SCENARIO),-s $(SCENARIO),--all)

lab-up: venv bytecode system-deps
	bash lab/up.sh

lab-down:
	bash lab/down.sh

lab-status:
	bash lab/status.sh

demo: venv bytecode system-deps
	bash tools/demo.sh

# every benchmark (each starts the lab parts it needs), or one: make bench BENCH=personnel
bench: venv bytecode system-deps
	$(BIN)/python -m bench $(BENCH)

# the plans and reports under work/plans rendered to PNG under work/screenshots, to look at them as the
# city reads them (headless Debian chromium, installed when missing; not part of make test)
.PHONY: screenshots
screenshots: venv
	$(BIN)/python tools/screenshot_plans.py work/plans work/screenshots

clean:
	rm -rf $(VENV) work .pytest_cache .ruff_cache
