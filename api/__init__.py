"""The HealthAI Coach REST API (FastAPI): `api.main:app`."""
