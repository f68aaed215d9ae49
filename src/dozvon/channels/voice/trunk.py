"""From the admin's `trunk:` settings to a running SIP user agent with its media engine."""

from __future__ import annotations

from dataclasses import dataclass

from dozvon.config.trunk import TrunkSettings
from dozvon.media import MediaEngine
from dozvon.sip.auth import Credentials
from dozvon.sip.call import IncomingHandler
from dozvon.sip.rtp_media import EngineMedia
from dozvon.sip.ua import UaConfig, UserAgent

REGISTER_EXPIRES = 300


def ua_config(trunk: TrunkSettings, bind_port: int | None = None) -> UaConfig:
    credentials = None
    if trunk.username and trunk.password is not None:
        credentials = Credentials(trunk.username, trunk.password.get_secret_value())
    proxy = f"sip:{trunk.outbound_proxy}" if trunk.outbound_proxy else None
    if proxy and trunk.transport == "tcp":
        proxy += ";transport=tcp"
    return UaConfig(
        host=trunk.bind_host,
        port=trunk.bind_port if bind_port is None else bind_port,
        transport=trunk.transport,
        tcp=trunk.transport == "tcp",
        user=trunk.username or "dozvon",
        domain=trunk.host,
        domain_port=trunk.port if trunk.port != 5060 else None,
        outbound_proxy=proxy,
        credentials=credentials,
        register_expires=REGISTER_EXPIRES if trunk.sip_register else 0,
    )


@dataclass
class VoiceStack:
    """The UA and the engine whose shared clock drives all of its calls' RTP."""

    ua: UserAgent
    engine: MediaEngine

    async def stop(self) -> None:
        await self.ua.stop()
        await self.engine.stop()


async def start_stack(
    config: UaConfig, rtp_ports: tuple[int, int], on_incoming: IncomingHandler | None = None
) -> VoiceStack:
    engine = MediaEngine(config.host, rtp_ports)
    await engine.start()
    ua = UserAgent(config, media=EngineMedia(engine), on_incoming=on_incoming)
    try:
        await ua.start()
    except BaseException:
        await ua.stop()
        await engine.stop()
        raise
    return VoiceStack(ua, engine)
