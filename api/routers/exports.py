"""Exports of published tables as CSV or JSON, streamed, with the lists' filters."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/exports", tags=["exports"])
