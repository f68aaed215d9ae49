"""The `mis:` section of the settings, validated here because only this package knows its shape.

    mis:
      name: infoclinica            # shown in every error: "infoclinica, row 12, field 'TEL'"
      selection: filtered          # or "all": the MIS reports history and Dozvon decides
      source: {kind: sql, url: "...", select: "...", writeback: "..."}
      mapping: {...}               # see dozvon.mis.mapping

Each `kind` names a connector class (lazily imported, so an unused driver is never loaded);
its nested `Config` model validates the `source` block. A new connector adds one line to KINDS.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dozvon.mis.mapping import MappingConfig
from dozvon.mis.selection import SelectionMode

if TYPE_CHECKING:
    from dozvon.mis.source import Connector

KINDS: dict[str, str] = {
    # interface connectors (part 2): REST APIs, CRMs, 1C OData, FHIR, XML gateways, HL7 v2
    "rest": "dozvon.mis.rest:RestConnector",
    "bitrix24": "dozvon.mis.bitrix24:Bitrix24Connector",
    "amocrm": "dozvon.mis.amocrm:AmoCrmConnector",
    "onec_odata": "dozvon.mis.onec:OneCConnector",
    "fhir": "dozvon.mis.fhir:FhirConnector",
    "xml_gateway": "dozvon.mis.xmlgateway:XmlGatewayConnector",
    "hl7": "dozvon.mis.hl7v2:Hl7Connector",
    "renovatio": "dozvon.mis.renovatio:RenovatioConnector",
    # table connectors (part 1)
    "sql": "dozvon.mis.sql:SqlConnector",
    "odbc": "dozvon.mis.odbc:OdbcConnector",
    "csv": "dozvon.mis.files.csvfile:CsvConnector",
    "excel": "dozvon.mis.files.excel:ExcelConnector",
    "dbf": "dozvon.mis.files.dbffile:DbfConnector",
    "access": "dozvon.mis.files.access:AccessConnector",
    "http_tunnel": "dozvon.mis.tunnel.http:HttpTunnelConnector",
}
"""kind → "module:Class"; the class has a pydantic `Config` and `__init__(config, mis)`."""


Location = tuple[str | int, ...]


class MisConfigError(ValueError):
    """The `mis:` section is wrong: each problem with its key inside `mis:`, for the loader
    to turn into `file:line key: message`."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        super().__init__(
            "; ".join(f"{_dotted(loc)}: {msg}" if loc else msg for loc, msg in problems)
        )

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: Location = ()) -> MisConfigError:
        return cls(
            [
                ((*prefix, *error["loc"]), error["msg"].removeprefix("Value error, "))
                for error in exc.errors()
            ]
        )


def _dotted(loc: Location) -> str:
    return ".".join(str(part) for part in loc)


class MisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "mis"
    selection: SelectionMode = "filtered"
    max_attempts: int = Field(5, ge=1)
    """Selection mode "all": a visit with this many MIS-reported attempts is not called again."""
    source: dict[str, Any]
    mapping: MappingConfig

    @model_validator(mode="after")
    def _check(self) -> MisConfig:
        kind = self.source.get("kind")
        if kind not in KINDS:
            raise ValueError(
                f"source.kind: {kind!r} не поддерживается; доступны: {', '.join(sorted(KINDS))}"
            )
        if self.selection == "all" and not any(
            t.startswith("history.") for t in self.mapping.fields
        ):
            raise ValueError(
                "selection: all требует полей history.last_result и/или history.attempts в mapping"
            )
        return self


def connector_class(kind: str) -> type[Connector]:
    module_name, _, class_name = KINDS[kind].partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), class_name)
    return cls


def load(raw: dict[str, Any]) -> MisConfig:
    """Validate the raw `mis:` dict, including the connector's own `source` block."""
    try:
        config = MisConfig.model_validate(raw)
    except ValidationError as exc:
        raise MisConfigError.from_validation(exc) from None
    try:
        connector_class(config.source["kind"]).Config.model_validate(config.source)
    except ValidationError as exc:
        raise MisConfigError.from_validation(exc, ("source",)) from None
    return config


def open_connector(config: MisConfig) -> Connector:
    cls = connector_class(config.source["kind"])
    return cls(cls.Config.model_validate(config.source), config)


class SecretRef(BaseModel):
    """A password never sits in the config: it names an environment variable or a file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    password_env: str | None = None
    password_file: Path | None = None

    def password(self) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise MisConfigError([((), f"переменная окружения {self.password_env} не задана")])
            return value
        if self.password_file:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise MisConfigError([((), f"файл пароля {self.password_file}: {exc}")]) from exc
        return None


class StatementSource(SecretRef):
    """What every SQL-speaking source shares (SQLAlchemy, ODBC, the HTTP tunnel): the admin's
    write-back statements, and how often a lost connection is tried again."""

    writeback: str | list[str] | None = None
    """One statement or several, run in one transaction per outcome."""
    retries: int = Field(3, ge=1)
    retry_delay: float = Field(0.5, ge=0)

    @property
    def statements(self) -> list[str]:
        if self.writeback is None:
            return []
        return [self.writeback] if isinstance(self.writeback, str) else list(self.writeback)

