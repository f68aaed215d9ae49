"""The signalling-to-outcome table of the voice channel (a pure function)."""

from __future__ import annotations

import pytest

from dozvon.channels.voice.signalling import signalling_outcome
from dozvon.core.outcome import Outcome
from dozvon.sip.call import CallResult


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (486, Outcome.BUSY), (600, Outcome.BUSY), (603, Outcome.REJECTED),
        (404, Outcome.INVALID_NUMBER), (484, Outcome.INVALID_NUMBER),
        (604, Outcome.INVALID_NUMBER), (480, Outcome.NO_ANSWER), (408, Outcome.NO_ANSWER),
        (503, Outcome.NETWORK_ERROR), (302, Outcome.NETWORK_ERROR), (403, Outcome.NETWORK_ERROR),
    ],
)  # fmt: skip
def test_final_statuses(status: int, outcome: Outcome) -> None:
    assert signalling_outcome(CallResult(sip_status=status)) is outcome


def test_our_cancel_timer_b_and_answered() -> None:
    assert signalling_outcome(CallResult(sip_status=487, cancelled=True)) is Outcome.NO_ANSWER
    assert signalling_outcome(CallResult(timed_out=True)) is Outcome.NETWORK_ERROR
    assert signalling_outcome(CallResult(sip_status=200, answered=True)) is None
    # a 200 that crossed our CANCEL: we hung up at once, nobody was spoken to
    crossed = CallResult(sip_status=200, answered=True, cancelled=True)
    assert signalling_outcome(crossed) is Outcome.NO_ANSWER
