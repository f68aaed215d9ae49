"""What the signalling alone says about a call attempt, in the project's outcome taxonomy.

Lives outside dozvon.sip because the SIP stack knows nothing of clinics or outcomes."""

from __future__ import annotations

from dozvon.core.outcome import Outcome
from dozvon.sip.call import CallResult

_BY_STATUS = {
    486: Outcome.BUSY,
    600: Outcome.BUSY,
    603: Outcome.REJECTED,
    404: Outcome.INVALID_NUMBER,
    484: Outcome.INVALID_NUMBER,
    604: Outcome.INVALID_NUMBER,
    480: Outcome.NO_ANSWER,
    408: Outcome.NO_ANSWER,
}


def signalling_outcome(result: CallResult) -> Outcome | None:
    """The outcome of an unanswered call; None when it was answered (the dialog decides then).
    A 200 that crossed our CANCEL is still no_answer: we hung up before anyone was spoken to."""
    if result.cancelled:
        return Outcome.NO_ANSWER
    if result.answered:
        return None
    if result.timed_out or result.sip_status is None:
        return Outcome.NETWORK_ERROR
    return _BY_STATUS.get(result.sip_status, Outcome.NETWORK_ERROR)
