"""The ingestion pipeline's domain logic: reading, validating, cleaning, staging, auditing,
approving, publishing and rolling back. Dagster assets (in `assets/`) are thin wrappers."""
