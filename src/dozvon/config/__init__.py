"""Settings: one pydantic model read from YAML, with secrets only from the environment or a
secrets file, and errors that name the file, the line and the key."""

from dozvon.config.errors import ConfigError, ConfigIssue
from dozvon.config.loader import (
    ConfigDocument,
    load_document,
    load_settings,
    parse_document,
    validate,
)
from dozvon.config.settings import Settings

__all__ = [
    "ConfigDocument",
    "ConfigError",
    "ConfigIssue",
    "Settings",
    "load_document",
    "load_settings",
    "parse_document",
    "validate",
]
