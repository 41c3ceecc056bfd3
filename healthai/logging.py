"""Structured logging with structlog: one JSON object per line, naming run, source and batch.

`get_logger(name)` gives a structlog logger over the standard library's logger `name`:
`log.info("landed", source=..., sha256=...)` becomes the line
`{"event": "landed", "source": ..., "sha256": ..., "ts": ..., "level": "info", "logger": ...}`
once `configure_logging()` has put the JSON handler on the `healthai` logger (the Dagster code
location does). Lines of plain standard-library loggers under `healthai` come out as JSON too.

structlog is wired per logger (`structlog.wrap_logger`), never with the global
`structlog.configure()`, which Dagster sets for its own logs in the same process.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from healthai.settings import get_settings

# Added to every line, structlog's or a plain logger's.
_STAMP: list[Any] = [
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.wrap_logger(
        logging.getLogger(name),
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def json_formatter() -> logging.Formatter:
    """Renders structlog's events and plain log records as one JSON object per line."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            *_STAMP,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
        foreign_pre_chain=[structlog.stdlib.ExtraAdder()],
    )


def configure_logging() -> None:
    logger = logging.getLogger("healthai")
    if any(isinstance(h.formatter, structlog.stdlib.ProcessorFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    logger.addHandler(handler)
    logger.setLevel(get_settings().log_level)
