"""RFC 3261 §17 transactions as pure state machines driven by an injected clock.

`TransactionLayer` takes parsed messages and the current time and returns events; it never
touches a socket or reads a clock, so tests feed it bytes and time directly (sans-I/O)."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from enum import Enum

from dozvon.sip.message import Headers, Message, ParseError, Request, Response, parse_cseq
from dozvon.sip.uri import parse_via


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a message goes: transport name ('udp' or 'tcp') and an IP address and port."""

    transport: str
    host: str
    port: int

    @property
    def reliable(self) -> bool:
        return self.transport != "udp"


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """RFC 3261 Table 4 base values; every other timer derives from them as the RFC says."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def b(self) -> float:
        """INVITE client gives up; also F (non-INVITE), H (ACK wait), J, and our Timer D."""
        return 64 * self.t1


class State(Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


# ---- events the layer hands to the transaction user ----


@dataclass(frozen=True, slots=True)
class Send:
    message: Message
    destination: Destination


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    transaction: ClientTransaction
    response: Response


@dataclass(frozen=True, slots=True)
class TransactionTimeout:
    """Timer B or F fired: no final response ever came."""

    transaction: ClientTransaction


@dataclass(frozen=True, slots=True)
class RequestReceived:
    transaction: ServerTransaction
    request: Request


@dataclass(frozen=True, slots=True)
class AckReceived:
    """The ACK for a 2xx we sent (it has its own branch, so no transaction owns it)."""

    request: Request


@dataclass(frozen=True, slots=True)
class AckTimeout:
    """We kept resending a 2xx for 64*T1 and no ACK came: the TU should send BYE."""

    transaction: ServerTransaction


@dataclass(frozen=True, slots=True)
class StrayResponse:
    """A response no transaction wants, e.g. a retransmitted 2xx the TU must ACK again."""

    response: Response


Event = (
    Send
    | ResponseReceived
    | TransactionTimeout
    | RequestReceived
    | AckReceived
    | AckTimeout
    | StrayResponse
)


def top_via_key(headers: Headers) -> tuple[str, str]:
    """(branch, sent-by) of the top Via: the transaction identity of RFC 3261 §17.2.3."""
    via = parse_via(headers.get("via") or "")
    return via.branch, f"{via.host}:{via.port or 5060}"


def build_non2xx_ack(request: Request, response: Response) -> Request:
    """ACK inside the INVITE transaction (§17.1.1.3): same branch and Route, To of the response."""
    headers = Headers()
    headers.add("via", request.headers.get("via") or "")
    for route in request.headers.get_all("route"):
        headers.add("route", route)
    headers.add("max-forwards", "70")
    headers.add("from", request.headers.get("from") or "")
    headers.add("to", response.headers.get("to") or "")
    headers.add("call-id", request.headers.get("call-id") or "")
    number, _ = parse_cseq(request.headers.get("cseq") or "")
    headers.add("cseq", f"{number} ACK")
    return Request("ACK", request.uri, headers)


@dataclass(eq=False)
class ClientTransaction:
    request: Request
    destination: Destination
    branch: str
    state: State
    timers: TimerConfig
    started: float
    interval: float = 0.0
    retransmit_at: float | None = None
    timeout_at: float | None = None
    ack: Request | None = None

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def is_invite(self) -> bool:
        return self.request.method == "INVITE"

    @property
    def deadline(self) -> float | None:
        moments = [t for t in (self.retransmit_at, self.timeout_at) if t is not None]
        return min(moments) if moments else None


@dataclass(eq=False)
class ServerTransaction:
    request: Request
    source: Destination
    key: tuple[str, str, str]
    state: State
    timers: TimerConfig
    last_response: Response | None = None
    interval: float = 0.0
    retransmit_at: float | None = None
    timeout_at: float | None = None
    ack_key: tuple[str, int] | None = None
    data: dict[str, object] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def deadline(self) -> float | None:
        moments = [t for t in (self.retransmit_at, self.timeout_at) if t is not None]
        return min(moments) if moments else None


Transaction = ClientTransaction | ServerTransaction


class TransactionLayer:
    def __init__(self, timers: TimerConfig | None = None) -> None:
        self.timers = timers or TimerConfig()
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self._servers: dict[tuple[str, str, str], ServerTransaction] = {}
        self._accepted: dict[tuple[str, int], ServerTransaction] = {}
        self._heap: list[tuple[float, int, Transaction]] = []
        self._counter = itertools.count()

    # ---- timers ----

    def _schedule(self, transaction: Transaction) -> None:
        deadline = transaction.deadline
        if deadline is not None:
            heapq.heappush(self._heap, (deadline, next(self._counter), transaction))

    def next_deadline(self) -> float | None:
        while self._heap:
            deadline, _, transaction = self._heap[0]
            if transaction.state is not State.TERMINATED and transaction.deadline == deadline:
                return deadline
            heapq.heappop(self._heap)
        return None

    def tick(self, now: float) -> list[Event]:
        events: list[Event] = []
        while self._heap and self._heap[0][0] <= now:
            deadline, _, transaction = heapq.heappop(self._heap)
            if transaction.state is State.TERMINATED or transaction.deadline != deadline:
                continue
            if isinstance(transaction, ClientTransaction):
                self._client_timer(transaction, now, events)
            else:
                self._server_timer(transaction, now, events)
            self._schedule(transaction)
        return events

    @property
    def active(self) -> int:
        return len(self._clients) + len(self._servers) + len(self._accepted)

    # ---- client side ----

    def send_request(
        self, request: Request, destination: Destination, now: float
    ) -> tuple[ClientTransaction, list[Event]]:
        """Start a client transaction (not for ACK: see `send_stateless`)."""
        branch, _ = top_via_key(request.headers)
        state = State.CALLING if request.method == "INVITE" else State.TRYING
        transaction = ClientTransaction(request, destination, branch, state, self.timers, now)
        if not destination.reliable:
            transaction.interval = self.timers.t1
            transaction.retransmit_at = now + self.timers.t1
        transaction.timeout_at = now + self.timers.b
        self._clients[(branch, request.method)] = transaction
        self._schedule(transaction)
        return transaction, [Send(request, destination)]

    def _client_timer(self, tx: ClientTransaction, now: float, events: list[Event]) -> None:
        if tx.timeout_at is not None and now >= tx.timeout_at:
            if tx.state in (State.CALLING, State.TRYING, State.PROCEEDING):
                events.append(TransactionTimeout(tx))
            self._terminate_client(tx)
            return
        if tx.retransmit_at is not None and now >= tx.retransmit_at:
            events.append(Send(tx.request, tx.destination))
            if tx.is_invite:
                tx.interval *= 2
            else:
                tx.interval = min(tx.interval * 2, self.timers.t2)
            tx.retransmit_at = now + tx.interval

    def _terminate_client(self, tx: ClientTransaction) -> None:
        tx.state = State.TERMINATED
        tx.retransmit_at = tx.timeout_at = None
        self._clients.pop((tx.branch, tx.method), None)

    def _on_response(self, response: Response, now: float) -> list[Event]:
        branch, _ = top_via_key(response.headers)
        _, method = parse_cseq(response.headers.get("cseq") or "")
        tx = self._clients.get((branch, method))
        if tx is None:
            return [StrayResponse(response)]
        events: list[Event] = []
        status = response.status
        if tx.state is State.COMPLETED:
            if tx.is_invite and tx.ack is not None and status >= 300:
                events.append(Send(tx.ack, tx.destination))
            return events
        if status < 200:
            if tx.state in (State.CALLING, State.TRYING, State.PROCEEDING):
                if tx.is_invite:
                    tx.retransmit_at = None
                    tx.timeout_at = None  # the TU's ring timeout takes over once a 1xx came
                elif tx.retransmit_at is not None:
                    tx.interval = self.timers.t2
                    tx.retransmit_at = now + tx.interval
                tx.state = State.PROCEEDING
                events.append(ResponseReceived(tx, response))
        elif tx.is_invite and status < 300:
            events.append(ResponseReceived(tx, response))
            self._terminate_client(tx)
        else:
            events.append(ResponseReceived(tx, response))
            tx.state = State.COMPLETED
            tx.retransmit_at = None
            if tx.is_invite:
                tx.ack = build_non2xx_ack(tx.request, response)
                events.append(Send(tx.ack, tx.destination))
                wait = 0.0 if tx.destination.reliable else self.timers.b
            else:
                wait = 0.0 if tx.destination.reliable else self.timers.t4
            tx.timeout_at = now + wait
            self._schedule(tx)
        return events

    def cancel_timeout(self, tx: ClientTransaction, now: float) -> None:
        """Give a proceeding INVITE 64*T1 to end after we CANCEL it (RFC 3261 §9.1)."""
        if tx.state is not State.TERMINATED:
            tx.timeout_at = now + self.timers.b
            self._schedule(tx)

    # ---- server side ----

    def _on_request(self, request: Request, source: Destination, now: float) -> list[Event]:
        branch, sent_by = top_via_key(request.headers)
        if request.method == "ACK":
            tx = self._servers.get((branch, sent_by, "INVITE"))
            if tx is not None:
                if tx.state is State.COMPLETED:
                    tx.state = State.CONFIRMED
                    tx.retransmit_at = None
                    tx.timeout_at = now + (0.0 if source.reliable else self.timers.t4)
                    self._schedule(tx)
                return []
            number, _ = parse_cseq(request.headers.get("cseq") or "")
            accepted = self._accepted.get((request.headers.get("call-id") or "", number))
            if accepted is not None:
                self._terminate_server(accepted)
            return [AckReceived(request)]
        key = (branch, sent_by, request.method)
        tx = self._servers.get(key)
        if tx is not None:
            if tx.last_response is not None and tx.state is not State.ACCEPTED:
                return [Send(tx.last_response, tx.source)]
            return []
        tx = ServerTransaction(
            request,
            source,
            key,
            State.PROCEEDING if request.method == "INVITE" else State.TRYING,
            self.timers,
        )
        self._servers[key] = tx
        return [RequestReceived(tx, request)]

    def find_server(self, branch: str, sent_by: str, method: str) -> ServerTransaction | None:
        return self._servers.get((branch, sent_by, method))

    def send_response(self, tx: ServerTransaction, response: Response, now: float) -> list[Event]:
        if tx.state in (State.COMPLETED, State.CONFIRMED, State.TERMINATED, State.ACCEPTED):
            return []
        tx.last_response = response
        events: list[Event] = [Send(response, tx.source)]
        if response.status < 200:
            return events
        unreliable = not tx.source.reliable
        if tx.method == "INVITE" and response.status < 300:
            # RFC 6026 'Accepted': resend the 2xx until the ACK arrives or 64*T1 passes.
            tx.state = State.ACCEPTED
            tx.interval = self.timers.t1
            tx.retransmit_at = now + tx.interval if unreliable else None
            tx.timeout_at = now + self.timers.b
            number, _ = parse_cseq(tx.request.headers.get("cseq") or "")
            tx.ack_key = (tx.request.headers.get("call-id") or "", number)
            self._accepted[tx.ack_key] = tx
        elif tx.method == "INVITE":
            tx.state = State.COMPLETED
            tx.interval = self.timers.t1
            tx.retransmit_at = now + tx.interval if unreliable else None
            tx.timeout_at = now + self.timers.b
        else:
            tx.state = State.COMPLETED
            tx.timeout_at = now + (self.timers.b if unreliable else 0.0)
        self._schedule(tx)
        return events

    def _server_timer(self, tx: ServerTransaction, now: float, events: list[Event]) -> None:
        if tx.timeout_at is not None and now >= tx.timeout_at:
            if tx.state is State.ACCEPTED:
                events.append(AckTimeout(tx))
            self._terminate_server(tx)
            return
        if tx.retransmit_at is not None and now >= tx.retransmit_at and tx.last_response:
            events.append(Send(tx.last_response, tx.source))
            tx.interval = min(tx.interval * 2, self.timers.t2)
            tx.retransmit_at = now + tx.interval

    def _terminate_server(self, tx: ServerTransaction) -> None:
        tx.state = State.TERMINATED
        tx.retransmit_at = tx.timeout_at = None
        self._servers.pop(tx.key, None)
        if tx.ack_key is not None:
            self._accepted.pop(tx.ack_key, None)

    # ---- entry point for everything the transport delivers ----

    def receive(self, message: Message, source: Destination, now: float) -> list[Event]:
        """Route one parsed message; raises ParseError if its Via or CSeq is unusable."""
        try:
            if isinstance(message, Response):
                return self._on_response(message, now)
            return self._on_request(message, source, now)
        except ParseError:
            raise
        except ValueError as exc:
            raise ParseError(f"unusable transaction headers: {exc}") from exc
