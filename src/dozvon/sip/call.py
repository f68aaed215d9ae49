"""`Call`: one phone call as the rest of Dozvon sees it, and the SIP dialog logic behind it.

The UA routes messages here; the call owns its INVITE, CANCEL, BYE and in-dialog requests."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from dozvon.sip.dialog import Dialog
from dozvon.sip.masking import mask_numbers, mask_user
from dozvon.sip.media_port import AudioTap, MediaChannel
from dozvon.sip.message import ParseError, Request, Response, parse_cseq
from dozvon.sip.sdp import Negotiated, answer_direction, build_sdp, negotiate, parse_sdp
from dozvon.sip.transaction import ClientTransaction, ServerTransaction
from dozvon.sip.uri import NameAddr, SipUri, new_tag, parse_name_addr

if TYPE_CHECKING:
    from dozvon.sip.ua import UserAgent

log = logging.getLogger(__name__)
Side = Literal["us", "them"]
DTMF_SYMBOLS = "0123456789*#ABCD"
MAX_REDIRECTS = 3
REASONS = {
    404: "Not Found",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    488: "Not Acceptable Here",
    600: "Busy Everywhere",
    603: "Decline",
}


@dataclass(slots=True)
class CallResult:
    """How a call ended, in SIP terms; channels map it to an outcome."""

    sip_status: int | None = None
    answered: bool = False
    hangup_by: Side | None = None
    cancelled: bool = False  # we sent CANCEL (ring timeout or hangup before answer)
    timed_out: bool = False  # no final response at all (Timer B)
    reason: str = ""
    started_at: float = 0.0  # wall-clock seconds
    ended_at: float | None = None
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0


def dtmf_from_info(content_type: str, body: bytes) -> str | None:
    """The key in an INFO body: application/dtmf-relay ('Signal=5') or application/dtmf ('5')."""
    kind = content_type.split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if kind == "application/dtmf-relay":
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal":
                digit = value.strip().upper()
                return digit if len(digit) == 1 and digit in DTMF_SYMBOLS else None
        return None
    if kind == "application/dtmf":
        digit = text.strip().upper()
        if digit.isdigit() and 0 <= int(digit) <= 15:
            return DTMF_SYMBOLS[int(digit)] if len(digit) > 1 else digit
        return digit if len(digit) == 1 and digit in DTMF_SYMBOLS else None
    return None


class Call:
    """Events: `ringing`, `answered`, `ended` (asyncio.Event); `result` once ended."""

    def __init__(self, ua: UserAgent, direction: Literal["out", "in"], media: MediaChannel) -> None:
        self._ua = ua
        self.direction = direction
        self.media = media
        self.ringing = asyncio.Event()
        self.answered = asyncio.Event()
        self.ended = asyncio.Event()
        self.result = CallResult(started_at=time.time())
        self.dialog: Dialog | None = None
        self.call_id = ""
        self.remote_user = ""
        self.stream: Negotiated | None = None
        self._digits: asyncio.Queue[str] = asyncio.Queue()
        self._start = ua.now()
        self._answer_time: float | None = None
        self._invite: Request | None = None
        self._invite_tx: ClientTransaction | None = None
        self._server_tx: ServerTransaction | None = None
        self._got_provisional = False
        self._cancel_wanted = False
        self._ring_timer: asyncio.TimerHandle | None = None
        self._ack: Request | None = None
        self._auth_tries = 0
        self._redirects = 0
        self._transfer_done: asyncio.Future[int] | None = None
        self._sdp_version = 0
        media.on_digit(self._on_digit)

    # ---- public interface ----

    @property
    def is_active(self) -> bool:
        return not self.ended.is_set()

    async def wait_answered(self) -> bool:
        """True once answered, False if the call ended first."""
        answered = asyncio.ensure_future(self.answered.wait())
        ended = asyncio.ensure_future(self.ended.wait())
        await asyncio.wait({answered, ended}, return_when=asyncio.FIRST_COMPLETED)
        answered.cancel()
        ended.cancel()
        return self.answered.is_set()

    async def play(self, pcm: bytes, barge_in: bool = True) -> bool:
        """Play 8 kHz 16-bit PCM; a key press stops it when barge_in. True if played to the end."""
        if not self.is_active:
            return False
        playing = asyncio.ensure_future(self.media.play(pcm, barge_in))
        ended = asyncio.ensure_future(self.ended.wait())
        await asyncio.wait({playing, ended}, return_when=asyncio.FIRST_COMPLETED)
        ended.cancel()
        if not playing.done():
            self.media.stop_playback()
            playing.cancel()
            return False
        return playing.result()

    def enable_inband_dtmf(self) -> None:
        """Listen for DTMF tones in the audio too (costs CPU per frame, so it is opt-in)."""
        self.media.enable_inband_detection()

    async def collect_digits(self, max_digits: int, timeout: float, terminators: str = "#") -> str:
        """Up to max_digits keys within timeout seconds; a terminator ends early and is dropped."""
        digits = ""
        deadline = self._ua.now() + timeout
        while len(digits) < max_digits and self.is_active:
            remaining = deadline - self._ua.now()
            if remaining <= 0:
                break
            getter = asyncio.ensure_future(self._digits.get())
            ended = asyncio.ensure_future(self.ended.wait())
            done, _ = await asyncio.wait(
                {getter, ended}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            ended.cancel()
            if getter not in done:
                getter.cancel()
                break
            digit = getter.result()
            if digit in terminators:
                break
            digits += digit
        return digits

    def add_audio_tap(self, tap: AudioTap) -> None:
        self.media.add_tap(tap)

    async def hangup(self) -> None:
        """Hang up in any state: CANCEL while ringing, BYE once answered, reject if incoming."""
        if not self.is_active:
            return
        if self.direction == "in" and not self.answered.is_set():
            await self.reject(480)
        elif not self.answered.is_set():
            self.cancel()
            await self.ended.wait()
        else:
            await self._send_bye()

    async def transfer(self, target: str, timeout: float = 10.0) -> bool:
        """Blind transfer with REFER (RFC 3515); True once the transferee reports 2xx."""
        if self.dialog is None or not self.answered.is_set() or not self.is_active:
            return False
        request = self.dialog.request("REFER", self._ua.via())
        request.headers.add("refer-to", f"<{target}>")
        request.headers.add("referred-by", str(self.dialog.local.uri))
        request.headers.add("contact", self._ua.contact())
        self._transfer_done = asyncio.get_running_loop().create_future()
        response = await self._ua.request(request, await self._ua.dialog_destination(self.dialog))
        if response is None or response.status >= 300:
            return False
        try:
            status = await asyncio.wait_for(asyncio.shield(self._transfer_done), timeout)
        except TimeoutError:
            return False
        if 200 <= status < 300:
            await self._send_bye()
            return True
        return False

    # ---- outgoing call ----

    async def start_outgoing(self, target: NameAddr, caller: NameAddr, ring_timeout: float) -> None:
        self.remote_user = target.uri.user
        self.call_id = new_tag() + new_tag()
        headers_from = caller.with_tag(new_tag())
        request = Request("INVITE", str(target.uri))
        request.headers.add("via", self._ua.via())
        request.headers.add("max-forwards", "70")
        request.headers.add("from", str(headers_from))
        request.headers.add("to", str(target))
        request.headers.add("call-id", self.call_id)
        request.headers.add("cseq", "1 INVITE")
        request.headers.add("contact", self._ua.contact())
        request.headers.add("allow", self._ua.allow)
        request.headers.add("user-agent", self._ua.config.user_agent)
        request.headers.add("content-type", "application/sdp")
        request.body = self._local_sdp("sendrecv")
        self._invite = request
        self._ua.bind_call(self, headers_from.tag or "")
        log.info("call %s: dialling %s", self.call_id[:8], mask_user(self.remote_user))
        self._ring_timer = asyncio.get_running_loop().call_later(ring_timeout, self.cancel)
        self._invite_tx = self._ua.start_invite(
            self, request, await self._ua.request_destination(target.uri)
        )

    def cancel(self) -> None:
        """Stop a ringing outgoing call (RFC 3261 §9.1); waits for a 1xx before sending CANCEL."""
        if self.answered.is_set() or not self.is_active or self._invite is None:
            return
        if self.result.cancelled:
            return
        self.result.cancelled = True
        if self._got_provisional and self._invite_tx is not None:
            self._send_cancel(self._invite_tx)
        else:
            self._cancel_wanted = True

    def _send_cancel(self, tx: ClientTransaction) -> None:
        invite = tx.request
        cancel = Request("CANCEL", invite.uri)
        cancel.headers.add("via", invite.headers.get("via") or "")
        for route in invite.headers.get_all("route"):
            cancel.headers.add("route", route)
        cancel.headers.add("max-forwards", "70")
        for name in ("from", "to", "call-id"):
            cancel.headers.add(name, invite.headers.get(name) or "")
        number, _ = parse_cseq(invite.headers.get("cseq") or "")
        cancel.headers.add("cseq", f"{number} CANCEL")
        log.info("call %s: ring timeout, sending CANCEL", self.call_id[:8])
        self._ua.send_cancel(cancel, tx)

    def on_invite_response(self, tx: ClientTransaction, response: Response) -> None:
        status = response.status
        if status < 200:
            self._got_provisional = True
            if status > 100:
                self.ringing.set()
                self._maybe_start_media(response)
            if self._cancel_wanted:
                self._cancel_wanted = False
                self._send_cancel(tx)
            return
        if status < 300:
            self._on_answer(tx, response)
            return
        if status in (401, 407) and self._retry_with_auth(tx, response):
            return
        if 300 <= status < 400 and self._follow_redirect(response):
            return
        self._end(status, response.reason, None)

    def _retry_with_auth(self, tx: ClientTransaction, response: Response) -> bool:
        if self._auth_tries >= 2 or self.result.cancelled:
            return False
        request = self._ua.authorize(tx.request, response)
        if request is None:
            return False
        self._auth_tries += 1
        self._invite = request
        self._got_provisional = False
        self._invite_tx = self._ua.start_invite(self, request, tx.destination)
        return True

    def _follow_redirect(self, response: Response) -> bool:
        """3xx (RFC 3261 §8.1.3.4): INVITE the first Contact instead, a few times at most."""
        contacts = response.headers.get_all("contact")
        if self._redirects >= MAX_REDIRECTS or self.result.cancelled or not contacts:
            return False
        if self._invite is None:
            return False
        self._redirects += 1
        target = parse_name_addr(contacts[0]).uri
        log.info("call %s: redirected to %s", self.call_id[:8], mask_user(target.user))
        request = self._ua.next_attempt(self._invite, str(target))
        self._ua.spawn(self._invite_again(request, target))
        return True

    async def _invite_again(self, request: Request, target: SipUri) -> None:
        self._invite = request
        self._got_provisional = False
        self._invite_tx = self._ua.start_invite(
            self, request, await self._ua.request_destination(target)
        )

    def _maybe_start_media(self, message: Response | Request) -> None:
        if not message.body or "sdp" not in (message.headers.get("content-type") or "").lower():
            return
        try:
            self.stream = negotiate(parse_sdp(message.body), self._ua.config.codecs)
        except ParseError as exc:
            log.warning("call %s: unusable SDP: %s", self.call_id[:8], mask_numbers(exc.what))
            return
        self._start_media(self.stream)

    def _on_answer(self, tx: ClientTransaction, response: Response) -> None:
        if self._ring_timer is not None:
            self._ring_timer.cancel()
        self.dialog = Dialog.from_uac(tx.request, response)
        self._ua.spawn(self._send_ack(tx))
        self._maybe_start_media(response)
        self._mark_answered()
        if self.result.cancelled:  # CANCEL crossed the 200: we still end it
            self._ua.spawn(self._send_bye())

    async def _send_ack(self, tx: ClientTransaction) -> None:
        assert self.dialog is not None
        number, _ = parse_cseq(tx.request.headers.get("cseq") or "")
        self._ack = self.dialog.request("ACK", self._ua.via(), cseq=number)
        await self._resend_ack()

    def on_late_2xx(self, response: Response) -> None:
        """A 2xx after the INVITE transaction ended: a retransmission (our ACK was lost), or
        another fork answering, or an answer after we gave up; the last two get ACK and BYE."""
        tag = parse_name_addr(response.headers.get("to") or "").tag
        if self.dialog is not None and self.dialog.remote.tag == tag:
            self._ua.spawn(self._resend_ack())
        elif self._invite is not None:
            self._ua.spawn(self._ack_and_bye(Dialog.from_uac(self._invite, response)))

    async def _resend_ack(self) -> None:
        if self._ack is not None and self.dialog is not None:
            self._ua.send_stateless(self._ack, await self._ua.dialog_destination(self.dialog))

    async def _ack_and_bye(self, dialog: Dialog) -> None:
        assert self._invite is not None
        number, _ = parse_cseq(self._invite.headers.get("cseq") or "")
        destination = await self._ua.dialog_destination(dialog)
        self._ua.send_stateless(dialog.request("ACK", self._ua.via(), cseq=number), destination)
        await self._ua.request(dialog.request("BYE", self._ua.via()), destination)

    def on_invite_timeout(self) -> None:
        if self.result.cancelled:
            self._end(None, "no answer to CANCEL", None)
        else:
            self.result.timed_out = True
            self._end(None, "no response (Timer B)", None)

    # ---- incoming call ----

    def begin_incoming(self, tx: ServerTransaction, request: Request) -> None:
        self._server_tx = tx
        self.call_id = request.headers.get("call-id") or ""
        self.dialog = Dialog.from_uas(request, new_tag())
        self.remote_user = self.dialog.remote.uri.user
        if request.body:
            try:
                self.stream = negotiate(parse_sdp(request.body), self._ua.config.codecs)
            except ParseError as exc:
                self._ua.respond(tx, 488, "Not Acceptable Here", warning=exc.what)
                self._end(488, exc.what, None)
                return
        log.info("call %s: incoming from %s", self.call_id[:8], mask_user(self.remote_user))
        self._ua.respond(tx, 180, "Ringing", to_tag=self.dialog.local.tag, contact=True)
        self.ringing.set()

    async def answer(self) -> None:
        """Answer an incoming call with our SDP; the 2xx is resent until the ACK comes."""
        if self._server_tx is None or self.dialog is None or self.answered.is_set():
            return
        if not self.is_active:
            return
        direction = answer_direction(self.stream.direction) if self.stream else "sendrecv"
        if self.stream is not None:
            self._start_media(self.stream)
        self._ua.respond(
            self._server_tx,
            200,
            "OK",
            to_tag=self.dialog.local.tag,
            contact=True,
            sdp=self._local_sdp(direction),
        )
        self._mark_answered()

    async def reject(self, status: int = 486, reason: str | None = None) -> None:
        if self._server_tx is None or self.answered.is_set() or not self.is_active:
            return
        reason = reason or REASONS.get(status, "Rejected")
        tag = self.dialog.local.tag if self.dialog else None
        self._ua.respond(self._server_tx, status, reason, to_tag=tag)
        self._end(status, reason, "us")

    def on_cancel(self) -> None:
        if self._server_tx is not None and not self.answered.is_set() and self.is_active:
            tag = self.dialog.local.tag if self.dialog else None
            self._ua.respond(self._server_tx, 487, "Request Terminated", to_tag=tag)
            self._end(487, "caller cancelled", "them")

    def on_ack(self, ack: Request) -> None:
        """An INVITE without SDP got our offer in the 200; the answer comes in the ACK."""
        if self.stream is None and ack.body:
            self._maybe_start_media(ack)

    def on_ack_timeout(self) -> None:
        log.warning("call %s: no ACK for our 200, hanging up", self.call_id[:8])
        self._ua.spawn(self._send_bye("no ACK"))

    # ---- in-dialog requests from the peer ----

    def on_request(self, tx: ServerTransaction, request: Request) -> None:
        method = request.method
        if method == "BYE":
            self._ua.respond(tx, 200, "OK")
            self._end(self.result.sip_status, "peer hung up", "them")
        elif method == "INFO":
            digit = dtmf_from_info(request.headers.get("content-type") or "", request.body)
            self._ua.respond(tx, 200, "OK")
            if digit is not None:
                self.media.inject_digit(digit)
        elif method in ("INVITE", "UPDATE"):
            self._on_refresh(tx, request)
        elif method == "NOTIFY":
            self._ua.respond(tx, 200, "OK")
            self._on_notify(request)
        elif method == "OPTIONS":
            self._ua.respond(tx, 200, "OK")
        else:
            self._ua.respond(tx, 405, "Method Not Allowed")

    def _on_refresh(self, tx: ServerTransaction, request: Request) -> None:
        """re-INVITE or UPDATE: hold, resume, or a session-timer refresh; we accept all of them."""
        assert self.dialog is not None
        self.dialog.update_target(request)
        if not request.body:
            sdp = self._local_sdp("sendrecv") if request.method == "INVITE" else None
            self._ua.respond(tx, 200, "OK", contact=True, sdp=sdp)
            return
        try:
            stream = negotiate(parse_sdp(request.body), self._ua.config.codecs)
        except ParseError as exc:
            self._ua.respond(tx, 488, "Not Acceptable Here", warning=exc.what)
            return
        self.stream = stream
        self._start_media(stream)
        log.info(
            "call %s: session %s", self.call_id[:8], "on hold" if stream.on_hold else "resumed"
        )
        self._ua.respond(
            tx, 200, "OK", contact=True, sdp=self._local_sdp(answer_direction(stream.direction))
        )

    def _on_notify(self, request: Request) -> None:
        """REFER progress (RFC 3515): the sipfrag body carries the transferee's status line."""
        if self._transfer_done is None or self._transfer_done.done():
            return
        first = request.body.decode("utf-8", "replace").strip().split("\r\n")[0].split(" ")
        if len(first) >= 2 and first[1].isdigit() and int(first[1]) >= 200:
            self._transfer_done.set_result(int(first[1]))

    # ---- common ----

    def _local_sdp(self, direction: str) -> bytes:
        self._sdp_version += 1
        return build_sdp(
            self._ua.advertised_host,
            self.media.local_port,
            self._ua.config.codecs,
            direction=direction,
            session_id=id(self) & 0xFFFFFFFF,
            version=self._sdp_version,
        )

    def _start_media(self, stream: Negotiated) -> None:
        """A peer's SDP the media cannot use (a host name, an odd payload type) costs the audio,
        not the call: signalling goes on and the failure is logged."""
        try:
            self.media.start(stream)
        except ValueError as exc:
            log.warning("call %s: media not started: %s", self.call_id[:8], exc)

    def _on_digit(self, digit: str) -> None:
        self._digits.put_nowait(digit)

    def _mark_answered(self) -> None:
        if self.answered.is_set():
            return
        self._answer_time = self._ua.now()
        self.result.answered = True
        self.result.sip_status = 200
        self.result.ring_seconds = round(self._answer_time - self._start, 3)
        self.answered.set()
        log.info("call %s: answered after %.1f s", self.call_id[:8], self.result.ring_seconds)

    async def _send_bye(self, reason: str = "we hung up") -> None:
        if self.dialog is None or not self.is_active:
            return
        self._end(self.result.sip_status, reason, "us")
        request = self.dialog.request("BYE", self._ua.via())
        await self._ua.request(request, await self._ua.dialog_destination(self.dialog))

    def _end(self, status: int | None, reason: str, by: Side | None) -> None:
        if self.ended.is_set():
            return
        now = self._ua.now()
        if self._ring_timer is not None:
            self._ring_timer.cancel()
        if status is not None:
            self.result.sip_status = status
        self.result.reason = reason
        self.result.hangup_by = by
        self.result.ended_at = time.time()
        if self._answer_time is None:
            self.result.ring_seconds = round(now - self._start, 3)
        else:
            self.result.talk_seconds = round(now - self._answer_time, 3)
        self.media.stop_playback()
        self._ua.spawn(self.media.close())
        self.ended.set()
        self._ua.unbind_call(self)
        log.info(
            "call %s: ended (%s, status %s, by %s)", self.call_id[:8], reason, status, by or "-"
        )


IncomingHandler = Callable[[Call], Awaitable[None]]
