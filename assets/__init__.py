"""The Dagster code location of HealthAI Coach (loaded through workspace.yaml)."""
