"""Do the MIS and our store agree? Outcomes that never reached the MIS, and MIS rows that
changed after we wrote them (a receptionist overwrote the result, the visit moved or vanished).

It reads the MIS afresh rather than trusting the last sync, and changes nothing anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dozvon.campaign.queries import not_in_mis
from dozvon.campaign.report import Undelivered
from dozvon.campaign.worklist import collect
from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Outcome
from dozvon.mis.base import RowError, Source, Window
from dozvon.store import Store
from dozvon.store.repositories.outbox import Delivered


@dataclass(frozen=True, slots=True)
class Drift:
    appointment_id: str
    attempt: int
    """Our last outcome the MIS acknowledged."""
    written: str
    delivered_at: datetime
    what: str


@dataclass(slots=True)
class Reconciliation:
    not_in_mis: list[Undelivered] = field(default_factory=list)
    changed_after_write: list[Drift] = field(default_factory=list)
    mis_errors: list[RowError] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.not_in_mis and not self.changed_after_write


async def reconcile(store: Store, source: Source, window: Window) -> Reconciliation:
    result = Reconciliation(not_in_mis=not_in_mis(store))
    appointments, result.mis_errors = await collect(source, window)
    fresh = {a.external_id: a for a in appointments}
    with store.unit_of_work() as uow:
        delivered = uow.outbox.last_delivered(source.name, window.start, window.end)
    for last in delivered:
        drift = _compare(last, fresh.get(last.appointment_id))
        if drift is not None:
            result.changed_after_write.append(
                Drift(last.appointment_id, last.attempt, last.outcome, last.at, drift)
            )
    return result


def _compare(last: Delivered, mis: Appointment | None) -> str | None:
    ours = last.outcome
    if mis is None:
        if Outcome(ours).is_final:
            return None  # a worklist of who still needs a call rightly drops a finished visit
        return "визит пропал из выборки МИС / the visit is no longer in the MIS worklist"
    if mis.status is AppointmentStatus.CANCELLED:
        return "визит отменён после записи / cancelled after we wrote"
    if mis.start != last.visit_start:
        return f"визит перенесён на {mis.start.isoformat()} / moved after we wrote"
    history = mis.history
    if history is not None and history.last_result and history.last_result != ours:
        return f"результат в МИС изменён: {ours} → {history.last_result} / result overwritten"
    if history is not None and history.attempts and history.attempts < last.attempt:
        return (
            f"счётчик попыток в МИС {history.attempts} < {last.attempt} / attempt count went back"
        )
    return None
