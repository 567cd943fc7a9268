# rongju — the two commands: `make demo` and `make test`. Both set up what they need first
# (Debian packages, the .venv) and are quick when that is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-osd fonts-wqy-microhei \
	fonts-wqy-zenhei fonts-arphic-uming fonts-arphic-ukai fonts-dejavu-core poppler-utils libmagic1 \
	chromium
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/var/prefect-home

.PHONY: setup apt venv demo test check lint clean

setup: apt venv

apt: var/.apt-done
var/.apt-done: Makefile
	@mkdir -p var
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements.lock requirements-exclude.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	@# uv for the one thing pip cannot do: leave out a package a dependency declares. RapidOCR's wheel
	@# asks for opencv-python, whose cv2 would replace opencv-python-headless's (README, OCR engines).
	$(VENV)/bin/pip install -q uv==0.13.10
	$(VENV)/bin/uv pip install -q --python $(VENV)/bin/python -c requirements.lock \
		--excludes requirements-exclude.txt -e '.[dev]'
	@$(VENV)/bin/python -c 'import rapidocr_onnxruntime, cv2' || { echo "RapidOCR or cv2 not importable"; exit 1; }
	@! $(VENV)/bin/uv pip show -q --python $(VENV)/bin/python opencv-python 2>/dev/null || \
		{ echo "opencv-python installed next to opencv-python-headless"; exit 1; }
	@touch $@

demo: setup
	RONGJU_DEMO=1 $(VENV)/bin/rongju demo

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadfile -q

# The fast loop for your own changes (about 1.5 min on 2 cores): lint, format, types, unit tests.
check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 -q -m "not slow" tests/unit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean:
	rm -rf var $(VENV)
