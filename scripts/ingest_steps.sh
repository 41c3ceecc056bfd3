#!/bin/bash
# Dev tool (issue #4): each ingestion step of one sim_biometrics file in its own process, with
# its time, rows/s and peak RSS (/usr/bin/time -v), on a scratch PostgreSQL database.
#   scripts/ingest_steps.sh DBNAME FILE init setup land check clean stage copy
# init: (re)create DBNAME and migrate it; setup: publish the users of FILE's simulation
# (FILE's folder's ../sim_users/*.csv, from `healthai simulate --out DIR`); land, check, clean,
# stage (with the audit) or stageonly: the pipeline's functions; copy: COPY of FILE into a bare
# table (the floor); pandas: read_csv + to_sql. Example, 1 M rows:
#   .venv/bin/healthai simulate --users 13240 --days 90 --seed 7 --out /tmp/sim1m
#   scripts/ingest_steps.sh scale_scratch /tmp/sim1m/sim_biometrics/biometrics-001.csv \
#       init setup land check clean stage copy
set -e
db=$1; file=$2; shift 2
export DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/$db
export VAR_DIR=${WORK:-/tmp/ingest_steps}/var_$db LANDING_DIR=${WORK:-/tmp/ingest_steps}/var_$db/landing RAW_STORE_DIR=${WORK:-/tmp/ingest_steps}/var_$db/raw_store RAW_DIR=${WORK:-/tmp/ingest_steps}/empty
mkdir -p ${WORK:-/tmp/ingest_steps} $VAR_DIR ${WORK:-/tmp/ingest_steps}/empty
cd "$(dirname "$0")/.."
for step in "$@"; do
  if [ "$step" = init ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    rm -rf $VAR_DIR; mkdir -p $VAR_DIR
    .venv/bin/healthai db upgrade > /dev/null
    continue
  fi
  /usr/bin/time -v .venv/bin/python scripts/ingest_steps.py $step $file 2> ${WORK:-/tmp/ingest_steps}/time_$step.txt | grep -v "^$" || { tail -30 ${WORK:-/tmp/ingest_steps}/time_$step.txt; exit 1; }
  grep -E "Maximum resident|Elapsed" ${WORK:-/tmp/ingest_steps}/time_$step.txt | sed 's/^\s*/    /'
done
