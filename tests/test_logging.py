"""Structured logging (structlog): every line under the `healthai` logger is one JSON object
with its time, level, logger and event, and the event's fields as keys; plain standard-library
lines come out as JSON too; the level of LOG_LEVEL filters."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime

import pytest

from healthai.logging import get_logger, json_formatter


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("healthai")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_event_is_one_json_line_with_its_fields(output: io.StringIO) -> None:
    log = get_logger("healthai.pipeline")
    log.info("landed", source="gym_members", ingestion_run=7, sha256="ab" * 32)
    log.warning("api_retry", url="http://127.0.0.1/x", attempt=2, delay_s=0.5)
    first, second = lines(output)
    assert first["event"] == "landed" and first["source"] == "gym_members"
    assert first["ingestion_run"] == 7 and first["level"] == "info"
    assert first["logger"] == "healthai.pipeline"
    assert datetime.fromisoformat(first["ts"]).utcoffset().total_seconds() == 0
    assert second["level"] == "warning" and second["attempt"] == 2


def test_plain_logging_lines_and_odd_values_are_json_too(output: io.StringIO) -> None:
    logging.getLogger("healthai.api").warning("database refused a request: %s", "23505")
    get_logger("healthai.quality").info("measured", when=datetime(2026, 1, 2), scores={"a": 1})
    plain, odd = lines(output)
    assert plain["event"] == "database refused a request: 23505"
    assert plain["level"] == "warning" and plain["logger"] == "healthai.api"
    assert odd["when"] == "2026-01-02 00:00:00" and odd["scores"] == {"a": 1}


def test_the_level_filters(output: io.StringIO) -> None:
    logging.getLogger("healthai").setLevel(logging.WARNING)
    log = get_logger("healthai.quality")
    log.info("quiet")
    log.error("alert_webhook_failed", source="gym_members", status_code=500)
    assert [x["event"] for x in lines(output)] == ["alert_webhook_failed"]
