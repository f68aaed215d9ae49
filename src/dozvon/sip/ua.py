"""`UserAgent`: the asyncio adapter around the sans-I/O transaction layer.

It owns the sockets and the one timer that drives every transaction, routes messages to
calls, answers what needs no call (OPTIONS, stray requests, malformed input) and registers."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from dozvon.sip.auth import Credentials, authorization, parse_challenge
from dozvon.sip.call import Call, IncomingHandler
from dozvon.sip.dialog import Dialog
from dozvon.sip.masking import mask_numbers, mask_user
from dozvon.sip.media_port import MediaFactory, NoMediaFactory
from dozvon.sip.message import (
    Headers,
    ParseError,
    Request,
    Response,
    parse,
    parse_cseq,
    serialize,
)
from dozvon.sip.registration import Registration
from dozvon.sip.transaction import (
    AckReceived,
    AckTimeout,
    ClientTransaction,
    Destination,
    Event,
    RequestReceived,
    ResponseReceived,
    Send,
    ServerTransaction,
    StrayResponse,
    TimerConfig,
    TransactionLayer,
    TransactionTimeout,
    top_via_key,
)
from dozvon.sip.transport import Transports
from dozvon.sip.uri import (
    NameAddr,
    SipUri,
    new_branch,
    new_tag,
    parse_name_addr,
    parse_uri,
    parse_via,
)

log = logging.getLogger(__name__)
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY"


@dataclass(frozen=True, slots=True)
class UaConfig:
    host: str = "127.0.0.1"  # address to bind; 0.0.0.0 needs public_host
    port: int = 5060  # 0 picks a free port
    public_host: str | None = None  # what we put in Via, Contact and SDP
    transport: str = "udp"  # for requests whose URI does not say
    tcp: bool = False  # also listen on TCP
    user: str = "dozvon"
    domain: str | None = None  # trunk domain for From/To and REGISTER
    domain_port: int | None = None  # trunk port, when not 5060
    display_name: str = ""
    outbound_proxy: str | None = None  # e.g. "sip:10.0.0.1:5060"
    credentials: Credentials | None = None
    register_expires: int = 0  # 0: do not register
    timers: TimerConfig = field(default_factory=TimerConfig)
    codecs: tuple[str, ...] = ("PCMA", "PCMU")
    user_agent: str = "Dozvon"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def warning_value(host: str, text: str) -> str:
    """A Warning header (RFC 3261 §20.43) naming what was wrong, safe inside its quotes."""
    return f'399 {host} "{text[:80].replace(chr(34), chr(39))}"'


def _check_addresses(message: Request | Response) -> None:
    """Parse now the address headers calls and dialogs read later, so a bad one is a
    malformed message (400 or dropped) rather than an error halfway through a call."""
    try:
        for name in ("from", "to"):
            parse_name_addr(message.headers.get(name) or "")
        for name in ("contact", "record-route", "route"):
            for value in message.headers.get_all(name):
                if value != "*":
                    parse_name_addr(value)
        parse_via(message.headers.get("via") or "")
    except ParseError as exc:
        raise ParseError(exc.what, message.headers, isinstance(message, Request)) from exc


class UserAgent:
    allow = ALLOW

    def __init__(
        self,
        config: UaConfig,
        media: MediaFactory | None = None,
        on_incoming: IncomingHandler | None = None,
    ) -> None:
        self.config = config
        self.media = media or NoMediaFactory()
        self.on_incoming = on_incoming
        self.layer = TransactionLayer(config.timers)
        self.transports = Transports(self._on_bytes)
        self.registration = Registration(self)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._invites: dict[ClientTransaction, Call] = {}
        self._waiters: dict[ClientTransaction, asyncio.Future[Response | None]] = {}
        self._dialog_calls: dict[tuple[str, str], Call] = {}
        self._calls_by_id: dict[str, Call] = {}
        self._server_calls: dict[ServerTransaction, Call] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._nonce_counts: dict[str, int] = {}
        self._resolved: dict[str, str] = {}
        self._detected_host: str | None = None

    # ---- lifecycle ----

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.transports.start(self.config.host, self.config.port, self.config.tcp)
        if self.config.public_host is None and self.transports.host in ("0.0.0.0", "::"):
            self._detected_host = self._route_source(self._first_hop_host())
        log.info("SIP user agent on %s:%d", self.transports.host, self.transports.port)
        if self.config.register_expires and not await self.register():
            raise ConnectionError("registration failed")

    async def stop(self) -> None:
        calls = list({id(c): c for c in self._calls_by_id.values() if c.is_active}.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.hangup() for c in calls)), 5)
        self.registration.stop()
        if self.registered:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.register(expires=0), 5)
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        self.transports.close()

    async def __aenter__(self) -> UserAgent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- addresses ----

    def now(self) -> float:
        assert self._loop is not None, "UserAgent not started"
        return self._loop.time()

    @property
    def advertised_host(self) -> str:
        return self.config.public_host or self._detected_host or self.transports.host

    def _first_hop_host(self) -> str:
        if self.config.outbound_proxy:
            return parse_uri(self.config.outbound_proxy).host
        return self.config.domain or "192.0.2.1"

    @staticmethod
    def _route_source(host: str) -> str:
        """The local address the kernel would use toward host (no packet is sent)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((host, 5060))
                return str(probe.getsockname()[0])
            except OSError:
                return "127.0.0.1"

    @property
    def port(self) -> int:
        return self.transports.port

    @property
    def domain(self) -> str:
        return self.config.domain or self.advertised_host

    def via(self, transport: str | None = None) -> str:
        proto = (transport or self.config.transport).upper()
        return f"SIP/2.0/{proto} {self.advertised_host}:{self.port};rport;branch={new_branch()}"

    def contact(self) -> str:
        """Our Contact: the address the registrar saw us at when that differs (NAT)."""
        host, port = self.registration.nat_address or (self.advertised_host, self.port)
        extra = ";transport=tcp" if self.config.transport == "tcp" else ""
        return f"<sip:{self.config.user}@{host}:{port}{extra}>"

    def target_address(self, target: str) -> NameAddr:
        """A SIP URI as given, or a phone number / extension routed to the trunk domain."""
        if target.startswith(("sip:", "sips:", "<")):
            return parse_name_addr(target)
        return NameAddr(SipUri(self.domain, target.strip(), self.config.domain_port))

    async def _resolve(self, uri: SipUri) -> Destination:
        transport = uri.transport or self.config.transport
        host = uri.host
        if not _is_ip(host):
            if host not in self._resolved:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None)
                self._resolved[host] = str(infos[0][4][0])
            host = self._resolved[host]
        return Destination(transport, host, uri.port or 5060)

    async def request_destination(self, uri: SipUri) -> Destination:
        if self.config.outbound_proxy:
            return await self._resolve(parse_uri(self.config.outbound_proxy))
        return await self._resolve(uri)

    async def dialog_destination(self, dialog: Dialog) -> Destination:
        return await self._resolve(dialog.next_hop())

    # ---- placing calls ----

    async def dial(
        self, target: str, caller_id: str | None = None, ring_timeout: float = 30.0
    ) -> Call:
        """Send the INVITE and return at once; await `call.answered` / `call.ended`."""
        address = self.target_address(target)
        caller = NameAddr(
            SipUri(self.domain, caller_id or self.config.user), self.config.display_name
        )
        call = Call(self, "out", await self.media.open())
        await call.start_outgoing(address, caller, ring_timeout)
        return call

    def start_invite(
        self, call: Call, request: Request, destination: Destination
    ) -> ClientTransaction:
        tx, events = self.layer.send_request(request, destination, self.now())
        self._invites[tx] = call
        self._process(events)
        return tx

    def send_cancel(self, cancel: Request, invite_tx: ClientTransaction) -> None:
        _, events = self.layer.send_request(cancel, invite_tx.destination, self.now())
        self.layer.cancel_timeout(invite_tx, self.now())
        self._process(events)

    def send_stateless(self, request: Request, destination: Destination) -> None:
        self._process([Send(request, destination)])

    async def request(self, request: Request, destination: Destination) -> Response | None:
        """A non-INVITE request, answering up to two digest challenges; None on Timer F."""
        for _ in range(3):
            tx, events = self.layer.send_request(request, destination, self.now())
            waiter: asyncio.Future[Response | None] = asyncio.get_running_loop().create_future()
            self._waiters[tx] = waiter
            self._process(events)
            response = await waiter
            if response is None or response.status not in (401, 407):
                return response
            retry = self.authorize(request, response)
            if retry is None:
                return response
            request = retry
        return response

    def authorize(self, request: Request, response: Response) -> Request | None:
        """A copy of `request` with credentials answering the 401/407, next CSeq, new branch."""
        credentials = self.config.credentials
        if credentials is None:
            return None
        proxy = response.status == 407
        challenge_text = response.headers.get("proxy-authenticate" if proxy else "www-authenticate")
        if not challenge_text:
            return None
        try:
            challenge = parse_challenge(challenge_text)
        except ParseError as exc:
            log.warning("cannot answer challenge: %s", mask_numbers(exc.what))
            return None
        count = self._nonce_counts.get(challenge.nonce, 0) + 1
        self._nonce_counts[challenge.nonce] = count
        retry = self.next_attempt(request)
        name = "proxy-authorization" if proxy else "authorization"
        value = authorization(challenge, credentials, request.method, request.uri, count)
        retry.headers.set(name, value)
        return retry

    def next_attempt(self, request: Request, uri: str | None = None) -> Request:
        """The same request tried again (after a challenge or a redirect): a new transaction,
        so a new branch and the next CSeq, optionally to another Request-URI."""
        headers = request.headers.copy()
        via = parse_via(headers.get("via") or "")
        headers.replace_first("via", self.via(via.transport))
        number, method = parse_cseq(headers.get("cseq") or "")
        headers.set("cseq", f"{number + 1} {method}")
        return Request(request.method, uri or request.uri, headers, request.body)

    # ---- registration ----

    async def register(self, expires: int | None = None) -> bool:
        """REGISTER at the trunk (401 answered); refreshed at 80 % of the granted time."""
        return await self.registration.register(expires)

    @property
    def registered(self) -> bool:
        return self.registration.registered

    @property
    def registered_until(self) -> float:
        """Loop time the registration runs out."""
        return self.registration.until

    # ---- answering ----

    def respond(
        self,
        tx: ServerTransaction,
        status: int,
        reason: str,
        to_tag: str | None = None,
        contact: bool = False,
        sdp: bytes | None = None,
        warning: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        response = self._response_for(tx.request.headers, status, reason, to_tag)
        for name, value in (extra or {}).items():
            response.headers.add(name, value)
        if contact:
            response.headers.add("contact", self.contact())
        if status == 200 and tx.request.method in ("OPTIONS", "INVITE"):
            response.headers.add("allow", self.allow)
        if warning:
            response.headers.add("warning", warning_value(self.advertised_host, warning))
        if sdp is not None:
            response.headers.add("content-type", "application/sdp")
            response.body = sdp
        self._process(self.layer.send_response(tx, response, self.now()))

    def _response_for(
        self, request_headers: Headers, status: int, reason: str, to_tag: str | None
    ) -> Response:
        headers = Headers()
        for via in request_headers.get_all("via"):
            headers.add("via", via)
        for name in ("record-route",) if 100 < status < 300 else ():
            for value in request_headers.get_all(name):
                headers.add(name, value)
        headers.add("from", request_headers.get("from") or "")
        to = request_headers.get("to") or ""
        if to_tag and status > 100 and ";tag=" not in to.replace(" ", ""):
            to = f"{to};tag={to_tag}"
        headers.add("to", to)
        headers.add("call-id", request_headers.get("call-id") or "")
        headers.add("cseq", request_headers.get("cseq") or "")
        headers.add("server", self.config.user_agent)
        return Response(status, reason, headers)

    # ---- bookkeeping for calls ----

    def bind_call(self, call: Call, local_tag: str) -> None:
        self._dialog_calls[(call.call_id, local_tag)] = call
        self._calls_by_id[call.call_id] = call

    def unbind_call(self, call: Call) -> None:
        """Forget the call after 64*T1, so late retransmissions still find it."""

        def forget() -> None:
            for key in [k for k, v in self._dialog_calls.items() if v is call]:
                del self._dialog_calls[key]
            if self._calls_by_id.get(call.call_id) is call:
                del self._calls_by_id[call.call_id]
            for tx in [t for t, v in self._server_calls.items() if v is call]:
                del self._server_calls[tx]

        if self._loop is not None:
            self._loop.call_later(self.config.timers.b, forget)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("SIP task failed", exc_info=task.exception())

    @property
    def active_calls(self) -> int:
        return sum(1 for call in set(self._calls_by_id.values()) if call.is_active)

    # ---- the event pump ----

    def _on_bytes(self, data: bytes, source: Destination) -> None:
        """Every received datagram or framed TCP message; nothing raised here may escape."""
        if not data.strip():
            return  # CRLF keep-alive
        try:
            self._on_message(data, source)
        except Exception:
            log.exception("error handling a SIP message from %s:%d", source.host, source.port)

    def _on_message(self, data: bytes, source: Destination) -> None:
        try:
            message = parse(data)
            _check_addresses(message)
            if isinstance(message, Request):
                self._stamp_via(message, source)
            events = self.layer.receive(message, source, self.now())
        except ParseError as exc:
            self._reject_malformed(exc, source)
            return
        self._process(events)

    def _stamp_via(self, request: Request, source: Destination) -> None:
        """RFC 3261 §18.2.1 and RFC 3581: note where the request really came from."""
        via = parse_via(request.headers.get("via") or "")
        params = dict(via.params)
        if via.host != source.host:
            params["received"] = source.host
        if "rport" in params:
            params["rport"] = str(source.port)
            params["received"] = source.host
        if params != via.params:
            request.headers.replace_first(
                "via", str(type(via)(via.transport, via.host, via.port, params))
            )

    def _reject_malformed(self, exc: ParseError, source: Destination) -> None:
        what = mask_numbers(exc.what)
        if not exc.is_request:
            log.warning("dropped a malformed SIP message from %s: %s", source.host, what)
            return
        headers = exc.headers
        try:
            parse_cseq(headers.get("cseq") or "")
            parse_via(headers.get("via") or "")
        except ParseError:
            log.warning("malformed request from %s, cannot answer: %s", source.host, what)
            return
        if not all(headers.get(name) for name in ("from", "to", "call-id")):
            log.warning("malformed request from %s, cannot answer: %s", source.host, what)
            return
        log.warning("400 to a malformed request from %s: %s", source.host, what)
        response = self._response_for(headers, 400, "Bad Request", None)
        response.headers.add("warning", warning_value(self.advertised_host, exc.what))
        self.transports.send(serialize(response), source)

    def _process(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Send):
                self.transports.send(serialize(event.message), event.destination)
            elif isinstance(event, ResponseReceived):
                self._on_response(event.transaction, event.response)
            elif isinstance(event, TransactionTimeout):
                self._on_timeout(event.transaction)
            elif isinstance(event, RequestReceived):
                self._on_request(event.transaction, event.request)
            elif isinstance(event, AckTimeout):
                call = self._server_calls.get(event.transaction)
                if call is not None:
                    call.on_ack_timeout()
            elif isinstance(event, StrayResponse):
                self._on_stray(event.response)
            elif isinstance(event, AckReceived):
                acked = self._calls_by_id.get(event.request.headers.get("call-id") or "")
                if acked is not None:
                    acked.on_ack(event.request)
        self._arm()

    def _arm(self) -> None:
        deadline = self.layer.next_deadline()
        if deadline is None or self._loop is None:
            return
        if self._timer is not None and self._timer_at <= deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self._process(self.layer.tick(self.now() + 0.001))
        except Exception:
            log.exception("error in SIP timers")
            self._arm()

    def _on_response(self, tx: ClientTransaction, response: Response) -> None:
        call = self._invites.get(tx)
        if call is not None:
            if response.status >= 200:
                del self._invites[tx]
            call.on_invite_response(tx, response)
            return
        waiter = self._waiters.get(tx)
        if waiter is not None and response.status >= 200:
            del self._waiters[tx]
            if not waiter.done():
                waiter.set_result(response)

    def _on_timeout(self, tx: ClientTransaction) -> None:
        call = self._invites.pop(tx, None)
        if call is not None:
            call.on_invite_timeout()
        waiter = self._waiters.pop(tx, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_stray(self, response: Response) -> None:
        _, method = parse_cseq(response.headers.get("cseq") or "")
        call = self._calls_by_id.get(response.headers.get("call-id") or "")
        if method == "INVITE" and 200 <= response.status < 300 and call is not None:
            call.on_late_2xx(response)

    def _on_request(self, tx: ServerTransaction, request: Request) -> None:
        call_id = request.headers.get("call-id") or ""
        to_tag = parse_name_addr(request.headers.get("to") or "").tag
        required = request.headers.get_all("require")
        if required and request.method not in ("CANCEL", "BYE"):
            # We support no extensions (no 100rel, no timer): RFC 3261 §8.2.2.3
            unsupported = {"unsupported": ", ".join(required)}
            self.respond(tx, 420, "Bad Extension", to_tag=new_tag(), extra=unsupported)
            return
        if request.method == "CANCEL":
            branch, sent_by = top_via_key(request.headers)
            invite_tx = self.layer.find_server(branch, sent_by, "INVITE")
            cancelled = self._server_calls.get(invite_tx) if invite_tx else None
            if cancelled is None:
                self.respond(tx, 481, "Call/Transaction Does Not Exist")
                return
            self.respond(
                tx, 200, "OK", to_tag=cancelled.dialog.local.tag if cancelled.dialog else None
            )
            cancelled.on_cancel()
        elif to_tag:
            call = self._dialog_calls.get((call_id, to_tag))
            if call is None or call.dialog is None:
                self.respond(tx, 481, "Call/Transaction Does Not Exist")
            elif not call.dialog.accepts(request):
                self.respond(tx, 500, "Server Internal Error", warning="CSeq out of order")
            else:
                call.on_request(tx, request)
        elif request.method == "INVITE":
            self._on_invite(tx, request)
        elif request.method == "OPTIONS":
            self.respond(tx, 200, "OK", to_tag=new_tag())
        elif request.method in ("BYE", "INFO", "UPDATE", "NOTIFY", "PRACK"):
            self.respond(tx, 481, "Call/Transaction Does Not Exist")
        else:
            self.respond(tx, 405, "Method Not Allowed", to_tag=new_tag())

    def _on_invite(self, tx: ServerTransaction, request: Request) -> None:
        if self.on_incoming is None:
            self.respond(tx, 480, "Temporarily Unavailable", to_tag=new_tag())
            return
        self.respond(tx, 100, "Trying")
        self.spawn(self._incoming(tx, request, self.on_incoming))

    async def _incoming(
        self, tx: ServerTransaction, request: Request, handler: IncomingHandler
    ) -> None:
        call = Call(self, "in", await self.media.open())
        self._server_calls[tx] = call
        call.begin_incoming(tx, request)
        if call.dialog is None or not call.is_active:
            return
        self.bind_call(call, call.dialog.local.tag or "")
        try:
            await handler(call)
        except Exception:
            log.exception("incoming call handler failed for %s", mask_user(call.remote_user))
        if call.is_active:
            await call.hangup()
