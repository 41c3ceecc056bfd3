"""Structured logging: one JSON object per line, naming run, source and batch."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from healthai.settings import get_settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message)
            if not isinstance(fields, dict):
                fields = {"message": message}
        except ValueError:
            fields = {"message": message}
        return json.dumps(
            {
                "ts": datetime.now(UTC).isoformat(),
                "level": record.levelname,
                "logger": record.name,
                **fields,
            },
            default=str,
        )


def configure_logging() -> None:
    logger = logging.getLogger("healthai")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(get_settings().log_level)
