"""Transactions fed messages and time by hand (no sockets, no real clock)."""

from __future__ import annotations

from dozvon.sip.message import Request, Response, parse, serialize
from dozvon.sip.transaction import (
    AckReceived,
    AckTimeout,
    Destination,
    Event,
    RequestReceived,
    ResponseReceived,
    Send,
    StrayResponse,
    TimerConfig,
    TransactionLayer,
    TransactionTimeout,
)

PEER = Destination("udp", "10.0.0.2", 5060)
TCP_PEER = Destination("tcp", "10.0.0.2", 5060)
TIMERS = TimerConfig()  # T1 0.5 s, so Timer B = 32 s


def request(method: str, branch: str = "z9hG4bKa", cseq: int = 1, to_tag: str = "") -> Request:
    tag = f";tag={to_tag}" if to_tag else ""
    return parse(
        (
            f"{method} sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch={branch}\r\n"
            f"From: <sip:a@10.0.0.1>;tag=f\r\nTo: <sip:b@10.0.0.2>{tag}\r\nCall-ID: call-1\r\n"
            f"CSeq: {cseq} {method}\r\n\r\n"
        ).encode()
    )  # type: ignore[return-value]


def response_to(req: Request, status: int, to_tag: str = "t") -> Response:
    headers = req.headers.copy()
    to = headers.get("to") or ""
    if status > 100 and ";tag=" not in to:
        headers.set("to", f"{to};tag={to_tag}")
    return Response(status, "X", headers)


def sends(events: list[Event]) -> list[str]:
    out = []
    for event in events:
        if isinstance(event, Send):
            message = event.message
            out.append(message.method if isinstance(message, Request) else str(message.status))
    return out


def test_invite_retransmits_with_timer_a_then_times_out_with_timer_b() -> None:
    layer = TransactionLayer(TIMERS)
    _, events = layer.send_request(request("INVITE"), PEER, now=0.0)
    assert sends(events) == ["INVITE"]
    moments = []
    now = 0.0
    while (deadline := layer.next_deadline()) is not None:
        now = deadline
        for event in layer.tick(now):
            if isinstance(event, Send):
                moments.append(now)
            elif isinstance(event, TransactionTimeout):
                moments.append(-now)
    # Timer A doubles: 0.5, 1.5, 3.5, 7.5, 15.5, 31.5; Timer B fires at 64*T1 = 32 s
    assert moments == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5, -32.0]
    assert layer.active == 0


def test_provisional_stops_retransmission_and_non2xx_is_acked_in_transaction() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    tx, _ = layer.send_request(invite, PEER, 0.0)
    events = layer.receive(response_to(invite, 180), PEER, 0.1)
    assert [type(e) for e in events] == [ResponseReceived]
    assert layer.next_deadline() is None  # no Timer A, no Timer B once proceeding
    events = layer.receive(response_to(invite, 486), PEER, 5.0)
    assert sends(events) == ["ACK"]
    ack = next(e.message for e in events if isinstance(e, Send))
    assert isinstance(ack, Request)
    assert ack.headers.get("via") == invite.headers.get("via")  # same branch as the INVITE
    assert ack.headers.get("to") == "<sip:b@10.0.0.2>;tag=t"
    assert ack.headers.get("cseq") == "1 ACK"
    # a retransmitted 486 gets the same ACK again and is not reported twice
    assert sends(layer.receive(response_to(invite, 486), PEER, 6.0)) == ["ACK"]
    assert layer.next_deadline() == 5.0 + TIMERS.b  # Timer D
    layer.tick(5.0 + TIMERS.b)
    assert layer.active == 0
    assert tx.ack is not None


def test_2xx_ends_the_invite_transaction_and_later_copies_are_stray() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    layer.send_request(invite, PEER, 0.0)
    first = layer.receive(response_to(invite, 200), PEER, 0.2)
    assert [type(e) for e in first] == [ResponseReceived]
    again = layer.receive(response_to(invite, 200), PEER, 0.7)
    assert [type(e) for e in again] == [StrayResponse]


def test_non_invite_timer_e_caps_at_t2_and_timer_k_after_final() -> None:
    layer = TransactionLayer(TIMERS)
    bye = request("BYE", to_tag="t")
    layer.send_request(bye, PEER, 0.0)
    retransmits = []
    now = 0.0
    while now < 10:
        deadline = layer.next_deadline()
        assert deadline is not None
        now = deadline
        if sends(layer.tick(now)):
            retransmits.append(now)
    assert retransmits == [0.5, 1.5, 3.5, 7.5, 11.5]  # doubling, then every T2 = 4 s
    events = layer.receive(response_to(bye, 200), PEER, now)
    assert [type(e) for e in events] == [ResponseReceived]
    assert layer.next_deadline() == now + TIMERS.t4  # Timer K


def test_non_invite_timer_f() -> None:
    layer = TransactionLayer(TimerConfig(t1=0.01, t2=0.04))
    layer.send_request(request("OPTIONS"), PEER, 0.0)
    timeouts = []
    while (deadline := layer.next_deadline()) is not None:
        timeouts += [e for e in layer.tick(deadline) if isinstance(e, TransactionTimeout)]
    assert len(timeouts) == 1


def test_reliable_transport_never_retransmits() -> None:
    layer = TransactionLayer(TIMERS)
    layer.send_request(request("INVITE"), TCP_PEER, 0.0)
    assert layer.next_deadline() == TIMERS.b
    assert [type(e) for e in layer.tick(TIMERS.b)] == [TransactionTimeout]


def test_cancel_is_its_own_transaction_beside_the_invite() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    layer.send_request(invite, PEER, 0.0)
    layer.receive(response_to(invite, 180), PEER, 0.1)
    cancel = request("CANCEL")
    layer.send_request(cancel, PEER, 1.0)
    ok = layer.receive(response_to(cancel, 200), PEER, 1.1)
    assert [type(e) for e in ok] == [ResponseReceived]
    assert ok[0].transaction.method == "CANCEL"  # type: ignore[union-attr]
    terminated = layer.receive(response_to(invite, 487), PEER, 1.2)
    assert sends(terminated) == ["ACK"]
    assert terminated[0].transaction.method == "INVITE"  # type: ignore[union-attr]


def test_uas_resends_2xx_until_ack() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    [received] = layer.receive(invite, PEER, 0.0)
    assert isinstance(received, RequestReceived)
    assert sends(layer.send_response(received.transaction, response_to(invite, 200), 0.0)) == [
        "200"
    ]
    resent = []
    for _ in range(4):
        deadline = layer.next_deadline()
        assert deadline is not None
        if sends(layer.tick(deadline)):
            resent.append(deadline)
    assert resent == [0.5, 1.5, 3.5, 7.5]
    ack = request("ACK", branch="z9hG4bKother", to_tag="t")
    assert [type(e) for e in layer.receive(ack, PEER, 8.0)] == [AckReceived]
    assert layer.next_deadline() is None
    assert layer.active == 0


def test_uas_gives_up_on_missing_ack() -> None:
    layer = TransactionLayer(TimerConfig(t1=0.01, t2=0.04))
    invite = request("INVITE")
    [received] = layer.receive(invite, PEER, 0.0)
    assert isinstance(received, RequestReceived)
    layer.send_response(received.transaction, response_to(invite, 200), 0.0)
    events: list[Event] = []
    while (deadline := layer.next_deadline()) is not None:
        events += layer.tick(deadline)
    assert [type(e) for e in events if not isinstance(e, Send)] == [AckTimeout]


def test_uas_non2xx_waits_for_ack_and_absorbs_retransmissions() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    [received] = layer.receive(invite, PEER, 0.0)
    assert isinstance(received, RequestReceived)
    layer.send_response(received.transaction, response_to(invite, 100), 0.0)
    assert sends(layer.receive(invite, PEER, 0.2)) == ["100"]  # retransmitted INVITE
    layer.send_response(received.transaction, response_to(invite, 486), 0.3)
    assert sends(layer.receive(invite, PEER, 0.4)) == ["486"]
    assert layer.receive(request("ACK", to_tag="t"), PEER, 0.5) == []  # Timer G stops
    assert layer.next_deadline() == 0.5 + TIMERS.t4  # Timer I


def test_server_non_invite_resends_its_final_response() -> None:
    layer = TransactionLayer(TIMERS)
    bye = request("BYE", to_tag="t")
    [received] = layer.receive(bye, PEER, 0.0)
    assert isinstance(received, RequestReceived)
    layer.send_response(received.transaction, response_to(bye, 200), 0.0)
    assert sends(layer.receive(bye, PEER, 1.0)) == ["200"]
    assert layer.next_deadline() == TIMERS.b
    layer.tick(TIMERS.b)
    assert layer.active == 0


def test_serialized_retransmission_is_identical() -> None:
    layer = TransactionLayer(TIMERS)
    invite = request("INVITE")
    _, first = layer.send_request(invite, PEER, 0.0)
    again = layer.tick(0.5)
    assert [serialize(e.message) for e in first if isinstance(e, Send)] == [
        serialize(e.message) for e in again if isinstance(e, Send)
    ]
