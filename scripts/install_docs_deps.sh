#!/usr/bin/env bash
# Idempotent install of what `make docs` needs beyond the Python lock (markdown, pypdf and
# playwright come from requirements.lock): Debian's Chromium, which draws the diagrams and
# prints the PDFs, the fonts the print styles name, and Mermaid from docs/tools (npm ci, from
# its lock file; no browser download).
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
for pkg in fonts-liberation fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need_apt[*]} (run as root or install them)" >&2
    exit 1
  fi
fi
# npm ci again when the lock file changed since the last install.
if [ ! -f docs/tools/node_modules/mermaid/dist/mermaid.min.js ] \
  || [ docs/tools/package-lock.json -nt docs/tools/node_modules/.package-lock.json ]; then
  (cd docs/tools && npm ci --no-audit --no-fund --silent)
fi
