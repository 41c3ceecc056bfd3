"""List parameters of the published tables that are exported but have no CRUD routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from api.schemas.common import Id, ListParams
from api.schemas.resources import PlanTier


class DailyActivityParams(ListParams):
    user_id: Id | None = None
    activity_date_from: date | None = None
    activity_date_to: date | None = None
    sort: Literal["id", "-id", "activity_date", "-activity_date", "steps", "-steps"] | None = None


class AppSessionParams(ListParams):
    user_id: Id | None = None
    platform: Literal["ios", "android", "web"] | None = None
    started_at_from: datetime | None = None
    started_at_to: datetime | None = None
    sort: Literal["id", "-id", "started_at", "-started_at"] | None = None


class SatisfactionParams(ListParams):
    user_id: Id | None = None
    answered_on_from: date | None = None
    answered_on_to: date | None = None
    score_from: int | None = Field(default=None, ge=0, le=10)
    score_to: int | None = Field(default=None, ge=0, le=10)
    sort: Literal["id", "-id", "answered_on", "-answered_on", "score", "-score"] | None = None


class SubscriptionParams(ListParams):
    user_id: Id | None = None
    plan_tier: PlanTier | None = None
    started_on_from: date | None = None
    started_on_to: date | None = None
    sort: Literal["id", "-id", "started_on", "-started_on"] | None = None
