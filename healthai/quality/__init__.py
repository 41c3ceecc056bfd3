"""Data quality: metrics per source and published table, the overall score, alerts, profiling.

- `evaluate(session, spec)` measures a source from its data and stores a snapshot;
- `dispatch(source, snapshot)` logs and notifies the alerts of a snapshot;
- `latest`, `latest_for`, `history`, `metric_history`, `snapshot_metrics` are what the API and the
  dashboard read. The score formula is in `metrics.WEIGHTS` and docs/quality.md.
"""

from healthai.quality.alerts import dispatch
from healthai.quality.evaluate import Evaluation, evaluate, threshold_for
from healthai.quality.metrics import WEIGHTS, overall_score
from healthai.quality.read import (
    history,
    latest,
    latest_for,
    metric_history,
    snapshot_metrics,
)

__all__ = [
    "WEIGHTS",
    "Evaluation",
    "dispatch",
    "evaluate",
    "history",
    "latest",
    "latest_for",
    "metric_history",
    "snapshot_metrics",
    "overall_score",
    "threshold_for",
]
