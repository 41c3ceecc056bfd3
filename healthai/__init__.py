"""HealthAI Coach shared domain package: settings, models, sessions, pipeline and queries.

`assets/` (Dagster), `api/` (FastAPI) and `dashboard/` (Panel) all import from here, so that
no two of them define the same thing.
"""
