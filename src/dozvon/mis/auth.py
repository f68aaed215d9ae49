"""Authentication for interface connectors: static secrets and OAuth2 with rotating refresh tokens.

Secrets never sit in the config: each one names an environment variable or a file. OAuth2
tokens live in a `TokenStore`; amoCRM (and other servers) rotate the refresh token on every
use, so the new pair is written atomically (temp file, fsync, rename) BEFORE the new access
token is used: a crash between the two can then lose nothing but an unused token.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dozvon.mis.base import MisError
from dozvon.mis.files.common import replace_atomically
from dozvon.mis.http import Secrets, snippet


class SecretConfig(BaseModel):
    """Where a secret comes from: `{env: NAME}` or `{file: /path}`; never the value itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretConfig:
        if (self.env is None) == (self.file is None):
            raise ValueError("укажите ровно одно: env (переменная окружения) или file (файл)")
        return self

    def value(self) -> str:
        if self.env is not None:
            found = os.environ.get(self.env)
            if not found:
                raise MisError(f"переменная окружения {self.env} не задана или пуста")
            return found
        assert self.file is not None
        try:
            return self.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise MisError(f"файл секрета {self.file}: {exc.strerror}") from None


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    """Unix time; None when the server did not say."""


class TokenStore(Protocol):
    def load(self) -> TokenPair | None: ...

    def save(self, pair: TokenPair) -> None: ...


class FileTokenStore:
    """A JSON file readable only by us, replaced atomically on every save."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> TokenPair | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise MisError(f"файл токенов {self.path} не читается: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise MisError(f"файл токенов {self.path}: нет access_token")
        return TokenPair(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=data.get("expires_at"),
        )

    def save(self, pair: TokenPair) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def write(temp: Path) -> None:
            os.chmod(temp, 0o600)
            temp.write_text(json.dumps(asdict(pair)), encoding="utf-8")

        replace_atomically(self.path, write, f"файл токенов {self.path}")
        os.chmod(self.path, 0o600)


class BearerAuth(httpx.Auth):
    def __init__(self, token: str, scheme: str = "Bearer") -> None:
        self._header = f"{scheme} {token}"

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = self._header
        yield request


class ApiKeyAuth(httpx.Auth):
    """An API key in a header or in the query string (Renovatio, Archimed, many MIS gateways)."""

    def __init__(self, name: str, key: str, where: Literal["header", "query"]) -> None:
        self.name, self.key, self.where = name, key, where

    def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        if self.where == "header":
            request.headers[self.name] = self.key
        else:
            request.url = request.url.copy_merge_params({self.name: self.key})
        yield request


class OAuth2RefreshAuth(httpx.Auth):
    """Bearer tokens from a store; refreshed when expiring, and once more on a 401.

    One lock per connection: two requests that both see a 401 must not both spend the same
    rotating refresh token (the second would be refused and the integration locked out).
    """

    def __init__(
        self,
        *,
        system: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        store: TokenStore,
        secrets: Secrets,
        redirect_uri: str | None = None,
        body: Literal["form", "json"] = "form",
        skew: float = 60.0,
    ) -> None:
        self.system = system
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.store = store
        self.secrets = secrets
        self.redirect_uri = redirect_uri
        self.body = body
        self.skew = skew
        self._pair: TokenPair | None = None
        self._lock = asyncio.Lock()
        secrets.add(client_secret)

    def _current(self) -> TokenPair:
        if self._pair is None:
            self._pair = self.store.load()
            if self._pair is None:
                raise MisError(
                    f"{self.system}: нет токенов OAuth2 в хранилище; выполните авторизацию "
                    "и сохраните первую пару токенов"
                )
            self.secrets.add(self._pair.access_token)
            self.secrets.add(self._pair.refresh_token)
        return self._pair

    def _expiring(self, pair: TokenPair) -> bool:
        return pair.expires_at is not None and pair.expires_at - self.skew <= time.time()

    def _refresh_request(self, pair: TokenPair) -> httpx.Request:
        if not pair.refresh_token:
            raise MisError(f"{self.system}: токен доступа истёк, а refresh token не сохранён")
        fields = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": pair.refresh_token,
        }
        if self.redirect_uri:
            fields["redirect_uri"] = self.redirect_uri
        if self.body == "json":
            return httpx.Request("POST", self.token_url, json=fields)
        return httpx.Request("POST", self.token_url, data=fields)

    def _accept(self, response: httpx.Response, old: TokenPair) -> TokenPair:
        where = f"{self.system}: POST {self.secrets.mask_url(self.token_url)}"
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code != 200 or not isinstance(data, dict):
            raise MisError(
                f"{where}: обновление токена отклонено (HTTP {response.status_code}: "
                f"{self.secrets.mask(snippet(response.content))}); нужна повторная авторизация"
            )
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise MisError(f"{where}: в ответе нет access_token")
        refresh = data.get("refresh_token") or old.refresh_token
        expires_in = data.get("expires_in")
        expires_at = None
        if isinstance(expires_in, int | float):
            expires_at = time.time() + float(expires_in)
        pair = TokenPair(access, refresh if isinstance(refresh, str) else None, expires_at)
        self.secrets.add(pair.access_token)
        self.secrets.add(pair.refresh_token)
        self.store.save(pair)
        self._pair = pair
        return pair

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        # Overriding the async flow means reading answer bodies ourselves.
        async with self._lock:
            pair = self._current()
            if self._expiring(pair):
                answer = yield self._refresh_request(pair)
                await answer.aread()
                pair = self._accept(answer, pair)
        request.headers["Authorization"] = f"Bearer {pair.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        await response.aread()
        async with self._lock:
            current = self._current()
            if current.access_token == pair.access_token:
                answer = yield self._refresh_request(current)
                await answer.aread()
                current = self._accept(answer, current)
        request.headers["Authorization"] = f"Bearer {current.access_token}"
        yield request


class NoAuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["none"] = "none"


class BearerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["bearer"]
    token: SecretConfig
    scheme: str = "Bearer"


class BasicConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["basic"]
    username: str
    password: SecretConfig


class ApiKeyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["api_key"]
    name: str
    key: SecretConfig
    where: Literal["header", "query"] = "header"


class OAuth2Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["oauth2"]
    token_url: str
    client_id: str
    client_secret: SecretConfig
    token_store: Path
    """JSON file with the current pair; rewritten atomically on each refresh."""
    redirect_uri: str | None = None
    body: Literal["form", "json"] = "form"


AuthConfig = Annotated[
    NoAuthConfig | BearerConfig | BasicConfig | ApiKeyConfig | OAuth2Config,
    Field(discriminator="type"),
]


def build_auth(config: AuthConfig, system: str, secrets: Secrets) -> httpx.Auth | None:
    """The httpx auth for a config; every secret it reads is registered for masking first."""
    if isinstance(config, NoAuthConfig):
        return None
    if isinstance(config, BearerConfig):
        token = config.token.value()
        secrets.add(token)
        return BearerAuth(token, config.scheme)
    if isinstance(config, BasicConfig):
        password = config.password.value()
        secrets.add(password)
        return httpx.BasicAuth(config.username, password)
    if isinstance(config, ApiKeyConfig):
        key = config.key.value()
        secrets.add(key)
        return ApiKeyAuth(config.name, key, config.where)
    return OAuth2RefreshAuth(
        system=system,
        token_url=config.token_url,
        client_id=config.client_id,
        client_secret=config.client_secret.value(),
        store=FileTokenStore(config.token_store),
        secrets=secrets,
        redirect_uri=config.redirect_uri,
        body=config.body,
    )
