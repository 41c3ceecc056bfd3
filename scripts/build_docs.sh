#!/usr/bin/env bash
# `make docs`: the French technical report (docs/report/rapport-technique.pdf) and the client
# deck (docs/deck/presentation.pdf and .html), built from their Markdown sources by
# docs/tools/build_docs.py with Debian's headless Chromium.
#
# Usage: bash scripts/build_docs.sh [--out DIR] [--only report|deck]
#   --out DIR  writes both documents into DIR instead of beside their sources (the test does).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
# The browser test that writes <page>-steward.png for every page of the web interface.
SCREENSHOT_TESTS=${SCREENSHOT_TESTS:-"test_every_page and steward"}

if [ ! -x "$PY" ]; then
  echo "no Python environment at $PY: run 'make install' first (or 'make docs')" >&2
  exit 1
fi
bash scripts/install_docs_deps.sh

# The deck and the report show screenshots of the real interface, taken by the browser tests into
# tests/artifacts/screenshots/ (not committed). Take them when one is missing.
mapfile -t shots < <(grep -oh 'tests/artifacts/screenshots/[A-Za-z0-9_.-]*\.png' \
  docs/deck/presentation.md docs/report/rapport-technique.md | sort -u)
missing() { for s in "${shots[@]}"; do [ -f "$s" ] || echo "$s"; done; }
if [ -n "$(missing)" ]; then
  echo "screenshots missing: $(missing | tr '\n' ' ')" >&2
  echo "taking them: $PY -m pytest tests/browser/test_dashboard.py -k '$SCREENSHOT_TESTS'" >&2
  bash scripts/install_test_deps.sh
  if ! "$PY" -m pytest tests/browser/test_dashboard.py -q -p no:cacheprovider \
    -k "$SCREENSHOT_TESTS"; then
    echo "the screenshot tests failed (above); fix them, or run them alone with:" >&2
    echo "  $PY -m pytest tests/browser/test_dashboard.py -k '$SCREENSHOT_TESTS'" >&2
    exit 1
  fi
  if [ -n "$(missing)" ]; then
    echo "still missing after the browser tests: $(missing | tr '\n' ' ')" >&2
    echo "(docs/deck/presentation.md names a screenshot no test writes)" >&2
    exit 1
  fi
fi

"$PY" docs/tools/build_docs.py "$@"
