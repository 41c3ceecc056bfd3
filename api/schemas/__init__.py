"""Pydantic schemas of the API (separate from the SQLAlchemy models in healthai.models)."""
