#!/bin/bash
# Run once by the postgres image on an EMPTY data volume (docker-entrypoint-initdb.d).
# The image already created $POSTGRES_DB (the application's database, `healthai`); this adds
# Dagster's own database: Dagster's storage migrations use Alembic's default version table,
# the same one the application's migrations use, so the two never share a database.
set -euo pipefail
DAGSTER_DB="${DAGSTER_DB:-dagster}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=db="$DAGSTER_DB" --set=owner="$POSTGRES_USER" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
