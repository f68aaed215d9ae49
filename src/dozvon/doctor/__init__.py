"""`dozvon doctor`: checks the machine, the config, the database and the trunk, and says how
to fix each problem. Kept apart from the CLI so the web UI can show the same checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dozvon.config import ConfigError, Settings, load_settings
from dozvon.config.loader import CONFIG_ENV
from dozvon.doctor.checks import (
    Check,
    Status,
    config_checks,
    database_checks,
    disk_checks,
    port_checks,
    secrets_file_check,
    tool_checks,
    trunk_checks,
    writable_check,
)


def run_checks(
    config: Path | None, environ: Mapping[str, str] | None = None, sip_timeout: float = 2.0
) -> list[Check]:
    env = os.environ if environ is None else environ
    if config is None and env.get(CONFIG_ENV):
        config = Path(env[CONFIG_ENV])
    error: ConfigError | None = None
    try:
        settings, _ = load_settings(config, env)
    except ConfigError as exc:
        error, settings = exc, Settings()
    results = list(config_checks(config, error, env))
    results += secrets_file_check(settings)
    results += tool_checks()
    results += port_checks(settings.trunk)
    results += database_checks(settings)
    results += trunk_checks(settings.trunk, sip_timeout)
    results += disk_checks(settings)
    results += writable_check(settings)
    return results


__all__ = ["Check", "Status", "run_checks"]
