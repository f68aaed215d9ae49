"""`trunk:` the SIP trunk the robot calls through, and our side of the sockets."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from dozvon.config.types import STRICT, Duration


class RtpPorts(BaseModel):
    model_config = STRICT

    start: int = Field(default=10000, ge=1024, le=65534)
    end: int = Field(default=20000, ge=1025, le=65535)

    @model_validator(mode="after")
    def _ordered(self) -> RtpPorts:
        if self.end - self.start < 1:
            raise ValueError("end должен быть больше start / end must be above start")
        return self


class TrunkSettings(BaseModel):
    model_config = STRICT | ConfigDict(populate_by_name=True)

    host: str = Field(min_length=1)
    """Registrar / proxy of the provider (name or address)."""
    port: int = Field(default=5060, ge=1, le=65535)
    transport: Literal["udp", "tcp"] = "udp"
    outbound_proxy: str | None = None
    """`host[:port]` when requests must go through a proxy other than `host`."""
    username: str = ""
    password: SecretStr | None = None
    """Only as ${ENV} or ${secret:NAME}; a literal value is refused by the loader."""
    caller_id: str = ""
    sip_register: bool = Field(default=True, alias="register")
    """Send REGISTER to the trunk (written `register:` in the file)."""
    lines: int = Field(default=1, ge=1, le=1000)
    """Concurrent calls the trunk allows."""
    cps: float = Field(default=1.0, gt=0, le=100)
    """New calls per second the trunk allows."""
    ring_timeout: Duration = timedelta(seconds=30)
    bind_host: str = "0.0.0.0"
    bind_port: int = Field(default=5060, ge=1, le=65535)
    rtp_ports: RtpPorts = RtpPorts()
