"""`database:` SQLite under ./var by default; PostgreSQL for sites with several workers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dozvon.config.types import STRICT

DEFAULT_URL = "sqlite:///./var/dozvon.sqlite"


class DatabaseSettings(BaseModel):
    model_config = STRICT

    url: str = Field(default=DEFAULT_URL, min_length=1)
    """SQLAlchemy URL; a password goes in as ${ENV}: postgresql://dozvon:${DB_PASSWORD}@host/db."""
    echo: bool = False
