"""`dozvon call` and `dozvon listen`: try a trunk by hand, one call at a time."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from dozvon.channels.voice.signalling import signalling_outcome
from dozvon.channels.voice.trunk import VoiceStack, start_stack, ua_config
from dozvon.config import ConfigError, load_settings
from dozvon.config.speech import SpeechSettings
from dozvon.core.outcome import Outcome
from dozvon.media.engine import MediaError
from dozvon.media.player import PromptError, load_wav
from dozvon.sip.call import Call
from dozvon.sip.ua import UaConfig
from dozvon.speech.tts.base import SynthesisError
from dozvon.speech.tts.registry import create_engine
from dozvon.speech.voice import Voice

DIRECT_RTP_PORTS = (20000, 30000)
T = TypeVar("T")


@dataclass
class CallReport:
    outcome: str
    sip_status: int | None
    answered: bool
    digits: str
    ring_seconds: float
    talk_seconds: float
    hangup_by: str | None


def answered_outcome(call: Call, finished: bool) -> Outcome:
    """An answered call with no dialog to judge it: they hung up on us, or we cannot tell."""
    if call.result.hangup_by == "them" and not finished:
        return Outcome.HUNG_UP
    return Outcome.UNCERTAIN


def speak(text: str, speech: SpeechSettings) -> bytes:
    """The text as the campaign's voice would say it (lexicon, then the configured engine)."""
    try:
        return Voice(create_engine(speech.engine, speech.voice)).say(text)
    except SynthesisError as exc:
        raise typer.BadParameter(str(exc)) from exc


def prompt_pcm(play: Path | None, say: str | None, speech: SpeechSettings) -> bytes:
    if play is not None and say is not None:
        raise typer.BadParameter("--play или --say, не оба / --play or --say, not both")
    try:
        if play is not None:
            return load_wav(play)
    except PromptError as exc:
        raise typer.BadParameter(str(exc)) from exc
    return speak(say, speech) if say else b""


@dataclass
class CliSettings:
    ua: UaConfig
    rtp_ports: tuple[int, int]
    speech: SpeechSettings


def load_config(config: Path | None, target: str) -> CliSettings:
    if config is None:
        if not target.startswith("sip:"):
            raise typer.BadParameter(
                "номер без --config: укажите SIP URI / a number needs --config with a trunk"
            )
        loopback = "@127." in target or target.startswith("sip:127.")
        ua = UaConfig(host="127.0.0.1" if loopback else "0.0.0.0", port=0)
        return CliSettings(ua, DIRECT_RTP_PORTS, SpeechSettings())
    try:
        settings, _ = load_settings(config)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if settings.trunk is None:
        raise typer.BadParameter(f"{config}: нет раздела trunk / no trunk section")
    ports = settings.trunk.rtp_ports
    return CliSettings(ua_config(settings.trunk), (ports.start, ports.end), settings.speech)


@dataclass(frozen=True)
class CallPlan:
    """One call as the admin asked for it on the command line."""

    target: str
    prompt: bytes
    collect: int
    ring_timeout: float
    digit_timeout: float
    caller_id: str | None


async def place_call(stack: VoiceStack, plan: CallPlan) -> CallReport:
    call = await stack.ua.dial(plan.target, plan.caller_id, plan.ring_timeout)
    digits = ""
    finished = False
    if await call.wait_answered():
        if plan.prompt:
            await call.play(plan.prompt, barge_in=plan.collect > 0)
        if plan.collect:
            digits = await call.collect_digits(plan.collect, plan.digit_timeout)
        finished = call.is_active
        await call.hangup()
    await call.ended.wait()
    result = call.result
    outcome = signalling_outcome(result) or answered_outcome(call, finished)
    return CallReport(
        outcome.value,
        result.sip_status,
        result.answered,
        digits,
        result.ring_seconds,
        result.talk_seconds,
        result.hangup_by,
    )


async def _call(plan: CallPlan, config: UaConfig, rtp_ports: tuple[int, int]) -> CallReport:
    stack = await start_stack(config, rtp_ports)
    try:
        return await place_call(stack, plan)
    finally:
        await stack.stop()


async def _listen(config: UaConfig, rtp_ports: tuple[int, int], prompt: bytes, calls: int) -> None:
    stack = await start_stack(config, rtp_ports)
    done = asyncio.Event()
    answered = 0

    async def answer(call: Call) -> None:
        nonlocal answered
        await call.answer()
        if prompt:
            await call.play(prompt, barge_in=False)
        digits = await call.collect_digits(8, timeout=5)
        typer.echo(json.dumps({"from": call.remote_user[-2:], "digits": digits}))
        await call.hangup()
        answered += 1
        if calls and answered >= calls:
            done.set()

    stack.ua.on_incoming = answer
    typer.echo(f"слушаю / listening on {stack.ua.advertised_host}:{stack.ua.port}", err=True)
    try:
        await done.wait()
    finally:
        await stack.stop()


def run_or_explain(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the stack; a socket, media or registration failure becomes one readable line."""
    try:
        return asyncio.run(coroutine)
    except (OSError, MediaError) as exc:
        typer.echo(f"ошибка / error: {exc}", err=True)
        raise typer.Exit(2) from exc


ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="файл настроек / settings file")
]
PlayOption = Annotated[Path | None, typer.Option("--play", help="WAV-подсказка / WAV prompt")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="журнал SIP / SIP log")]


def register(app: typer.Typer) -> None:
    @app.command("call")
    def call_command(
        target: Annotated[str, typer.Argument(help="SIP URI или номер / SIP URI or number")],
        config: ConfigOption = None,
        play: PlayOption = None,
        say: Annotated[
            str | None, typer.Option("--say", help="текст для озвучки / text to speak")
        ] = None,
        collect: Annotated[
            int, typer.Option("--collect", help="сколько цифр собрать / keys to collect")
        ] = 0,
        ring_timeout: Annotated[
            float, typer.Option("--ring-timeout", help="секунд / seconds")
        ] = 30.0,
        digit_timeout: Annotated[
            float, typer.Option("--digit-timeout", help="секунд / seconds")
        ] = 10.0,
        caller_id: Annotated[
            str | None, typer.Option("--caller-id", help="номер А / caller id")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="вывод JSON / print JSON")] = False,
        verbose: VerboseOption = False,
    ) -> None:
        """Позвонить один раз: подсказка, сбор цифр / place one call: prompt, collect keys."""
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
        cli = load_config(config, target)
        prompt = prompt_pcm(play, say, cli.speech)
        plan = CallPlan(target, prompt, collect, ring_timeout, digit_timeout, caller_id)
        report = run_or_explain(_call(plan, cli.ua, cli.rtp_ports))
        if as_json:
            typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
        else:
            for name, value in report.__dict__.items():
                typer.echo(f"{name}: {value}")

    @app.command("listen")
    def listen_command(
        config: ConfigOption = None,
        play: PlayOption = None,
        port: Annotated[
            int, typer.Option("--port", help="SIP-порт без --config / SIP port")
        ] = 5060,
        calls: Annotated[
            int, typer.Option("--calls", help="выйти после N звонков / exit after N")
        ] = 0,
        verbose: VerboseOption = False,
    ) -> None:
        """Отвечать на входящие с подсказкой / answer incoming calls with a prompt."""
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
        if config is None:
            cli = CliSettings(UaConfig(host="127.0.0.1", port=port), DIRECT_RTP_PORTS,
                              SpeechSettings())  # fmt: skip
        else:
            cli = load_config(config, "sip:")
        run_or_explain(_listen(cli.ua, cli.rtp_ports, prompt_pcm(play, None, cli.speech), calls))
