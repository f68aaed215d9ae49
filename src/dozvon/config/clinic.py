"""`clinic:` who is calling, and the zone used when a number's own zone is unknown."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dozvon.config.types import STRICT, TimeZoneName


class ClinicSettings(BaseModel):
    model_config = STRICT

    name: str = "Клиника"
    timezone: TimeZoneName = "Europe/Moscow"
    region: str = Field(default="RU", pattern=r"^[A-Z]{2}$")
    """ISO country of numbers written without a country code."""
