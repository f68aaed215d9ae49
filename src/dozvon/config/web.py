"""`web:` the API and UI listener and who may log in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from dozvon.config.types import STRICT


class WebUser(BaseModel):
    model_config = STRICT

    name: str = Field(min_length=1)
    password_hash: SecretStr
    """A hash, still only as ${ENV} or ${secret:NAME}: hashes of weak passwords are crackable."""
    role: Literal["admin", "operator", "viewer"] = "operator"


class WebSettings(BaseModel):
    model_config = STRICT

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    users: list[WebUser] = []
    session_secret: SecretStr | None = None
    """Signs the login cookie: as ${ENV} or ${secret:NAME}; the web server refuses to start
    without it, since a guessable key lets anyone forge a session."""

    @model_validator(mode="after")
    def _unique_names(self) -> WebSettings:
        names = [user.name for user in self.users]
        if len(names) != len(set(names)):
            raise ValueError("имена пользователей повторяются / user names repeat")
        return self
