"""The seed's two selection modes: the MIS filters, or it reports history and Dozvon decides.

In mode "all" the MIS returns every booked visit with its last call result and attempt count
(the MIS's view: it may include calls made by people or by another robot). Dozvon drops those
that the core rules say are finished. Only the last result and the total are known, so the
per-outcome caps of `RetryPolicy` cannot be applied here; the campaign applies them to the
attempts it makes itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Outcome
from dozvon.core.rules.retry import RetryPolicy
from dozvon.mis.base import RowError

SelectionMode = Literal["filtered", "all"]


def why_not_call(appointment: Appointment, policy: RetryPolicy) -> str | None:
    """None when the visit still needs a call, else the reason (for the sync report)."""
    history = appointment.history
    if history is None:
        return None
    if history.attempts >= policy.max_attempts:
        return f"попыток уже {history.attempts} (предел {policy.max_attempts})"
    if history.last_result is None:
        return None
    last = Outcome(history.last_result)
    if last.is_final:
        return f"итог уже получен: {last.value}"
    if last not in policy.per_outcome:
        return f"после исхода {last.value} повтор не предусмотрен"
    return None


def select(
    items: Iterable[Appointment | RowError], mode: SelectionMode, policy: RetryPolicy
) -> Iterator[Appointment | RowError]:
    """Pass errors through; in mode "all" keep only the visits that still need a call."""
    if mode == "filtered":
        yield from items
        return
    for item in items:
        if isinstance(item, RowError) or why_not_call(item, policy) is None:
            yield item
