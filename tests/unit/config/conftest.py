"""Write a config file and load it: every test works on real files, as an admin would."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from dozvon.config import ConfigError, Settings, load_settings

Load = Callable[..., Settings]


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    def _write(text: str, name: str = "dozvon.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(write: Callable[[str, str], Path]) -> Load:
    def _load(text: str, env: dict[str, str] | None = None) -> Settings:
        settings, _ = load_settings(write(text, "dozvon.yaml"), env or {})
        return settings

    return _load


@pytest.fixture
def fails(load: Load) -> Callable[..., ConfigError]:
    def _fails(text: str, env: dict[str, str] | None = None) -> ConfigError:
        with pytest.raises(ConfigError) as caught:
            load(text, env)
        return caught.value

    return _fails
