#!/usr/bin/env bash
# Dev tool (issue #17): what `make run` costs in profiling, start after start. In a scratch
# folder (never var/), it runs `make materialize`, starts the Dagster daemon as `make run` does,
# waits for the runs the daemon launches (the profiles_on_change sensor), prints each run with
# its steps' durations and the failed asset checks, stops the daemon; then the same again (a
# second start: no run is expected). Example:  bash scripts/measure_profiling.sh /tmp/profiling
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/healthai-profiling}
rm -rf "$WORK" && mkdir -p "$WORK/var"
export VAR_DIR=$WORK/var DATABASE_URL=sqlite:///$WORK/var/healthai.db REPORTS_DIR=$WORK/reports
export DAGSTER_HOME=$WORK/var/dagster_home LANDING_DIR=$WORK/var/landing RAW_STORE_DIR=$WORK/var/raw_store
for start in 1 2; do
  echo "== start $start"
  t0=$(date +%s)
  make -s materialize > "$WORK/materialize$start.log" 2>&1
  echo "make materialize: $(( $(date +%s) - t0 )) s"
  .venv/bin/dagster-daemon run -w workspace.yaml > "$WORK/daemon$start.log" 2>&1 &
  daemon=$!
  .venv/bin/python scripts/measure_profiling.py --min-wait 240 --max-wait 3600
  kill "$daemon"; wait "$daemon" || true
done
