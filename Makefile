# Two commands do all the set-up: `make run` starts the app, `make test` runs the tests.
# Each creates .venv in the repository root and installs into it when needed. `make check` is the
# quick tier: the tests that need neither ../shared nor a browser.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The versions the tests passed with (constraints.txt; `make lock` refreshes it).
CONSTRAINTS ?= -c constraints.txt
# --compile-bytecode: every module's .pyc written once, here. uv leaves them to the first import,
# and where PYTHONDONTWRITEBYTECODE is set (as on this machine) no import writes them, so every
# process compiled what it imported again: `coach analyze` of a keypoint file took 3.5 CPU-s, 1.5
# with them; test_store_faults, which starts the CLI some 40 times, 138 CPU-s, 74 with them.
UV := $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(CONSTRAINTS)

# pytest with bytecode written (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE is set,
# as on this machine: otherwise each of the three pytest processes rewrote every test module's asserts
# again (collection 8.5 CPU-s, 3.7 with them), and each `coach` the tests start compiled coach again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

# Tests in parallel (pytest-xdist), one worker per core; a module stays on one worker, so its
# fixtures (the app, a browser) start once; tests/conftest.py hands out two modules test by test.
WORKERS ?= auto

.PHONY: run test check bench install system-deps lock

$(STAMP): pyproject.toml Makefile constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# uv installs the same versions as pip in an eighth of the time (16 s against 2 min 9 s cold).
	$(BIN)/pip install --quiet $(CONSTRAINTS) uv
	# A .venv from before coach depended on opencv-python had -headless: both are cv2, keep one.
	$(BIN)/uv pip uninstall --quiet --python $(BIN)/python opencv-python-headless
	$(UV) -e '.[hub,test]'
	# tf-keras requires the full `tensorflow` wheel; tensorflow-cpu already provides it.
	$(UV) --no-deps 'tensorflow-hub==0.16.1' 'tf-keras>=2.21,<2.22'
	touch $(STAMP)

install: $(STAMP)

# Newest releases into a fresh .venv, written to constraints.txt (its comment kept): run the tests after.
lock:
	rm -rf $(VENV)
	$(MAKE) install CONSTRAINTS=
	{ grep '^#' constraints.txt; $(BIN)/uv pip freeze --python $(BIN)/python | grep -v -e '^-e' -e '^pip==' -e '^setuptools==' -e '^wheel=='; } > constraints.new
	mv constraints.new constraints.txt

run: $(STAMP)
	$(BIN)/coach app $(if $(HTTPS),--https)

# What the tests need from Debian: a real browser, a PostgreSQL server, ffmpeg for the fake camera.
SYSTEM_TOOLS := /usr/bin/chromium /usr/bin/chromedriver /usr/bin/ffmpeg /usr/lib/postgresql
system-deps:
	@for path in $(SYSTEM_TOOLS); do test -e $$path || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver ffmpeg postgresql >/dev/null; \
	fi

# The browser tests play a clip as a live camera in real time: beside another test's model runs
# they lost frames and reps (7 of 11 jumping jacks in one parallel run). So they run one at a time
# in the background at normal priority, while the rest run in parallel (pytest-xdist) at the
# lowest priority (nice 19): those take only the CPU the browser tests leave idle, which is most
# of it. Both always run; the browser tests' report (out/browser-tests.log) follows the rest's.
# bash, as its `( ... ) &` can give the background run back the Ctrl+C that a script's background
# jobs ignore; the pytest cache is the parallel run's (two runs at once would overwrite it).
SHELL := /bin/bash
BROWSER_LOG := out/browser-tests.log
test: $(STAMP) system-deps
	@mkdir -p out
	(trap - INT; exec $(PYTEST) -m browser -p no:cacheprovider >$(BROWSER_LOG) 2>&1) & browser=$$!; \
	nice -n 19 $(PYTEST) -n $(WORKERS) --dist loadscope -m "not browser"; rest=$$?; \
	echo "== the browser tests ($(BROWSER_LOG)), once they end =="; wait $$browser; browser=$$?; cat $(BROWSER_LOG); \
	test $$rest -eq 0 && test $$browser -eq 0

check: $(STAMP)
	$(PYTEST) -n $(WORKERS) --dist loadscope -m "not shared and not browser"

bench: $(STAMP)
	$(BIN)/python benchmarks/pose_speed.py
	$(BIN)/python benchmarks/repcount.py
