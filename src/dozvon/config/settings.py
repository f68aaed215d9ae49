"""The one settings model. Each section lives in its own module, owned by its area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, model_validator

from dozvon.config.campaign import CampaignSettings
from dozvon.config.channels import TextChannelsSettings
from dozvon.config.clinic import ClinicSettings
from dozvon.config.database import DatabaseSettings
from dozvon.config.speech import SpeechSettings
from dozvon.config.trunk import TrunkSettings
from dozvon.config.types import STRICT
from dozvon.config.web import WebSettings


class Settings(BaseModel):
    model_config = STRICT

    secrets_file: Path | None = None
    clinic: ClinicSettings = ClinicSettings()
    database: DatabaseSettings = DatabaseSettings()
    trunk: TrunkSettings | None = None
    speech: SpeechSettings = SpeechSettings()
    campaigns: list[CampaignSettings] = []
    web: WebSettings = WebSettings()
    text_channels: TextChannelsSettings = TextChannelsSettings()
    mis: dict[str, Any] | None = None  # raw here: dozvon.mis validates it with its own models

    @model_validator(mode="after")
    def _unique_campaigns(self) -> Settings:
        names = [campaign.name for campaign in self.campaigns]
        if len(names) != len(set(names)):
            raise ValueError("имена кампаний повторяются / campaign names repeat")
        return self
