"""The daily funnel: how far each attempt got, from dialing to the outcome in the MIS."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from dozvon.core.outcome import Evidence, Outcome

_ANSWERED_BY_MACHINE = frozenset({Outcome.MESSAGE_LEFT, Outcome.ANSWERING_MACHINE})
_PAST_IDENTITY = frozenset(
    {
        Outcome.CONFIRMED,
        Outcome.DECLINED,
        Outcome.RESCHEDULE_REQUESTED,
        Outcome.CALLBACK_REQUESTED,
    }
)


@dataclass(frozen=True, slots=True)
class AttemptFact:
    """One finished attempt as the report needs it."""

    number: int
    outcome: Outcome
    evidence: Evidence
    started_at: datetime
    finished_at: datetime
    written_back: bool


@dataclass(slots=True)
class FunnelRow:
    attempt: str
    dialed: int = 0
    answered: int = 0
    human: int = 0
    identity_confirmed: int = 0
    confirmed: int = 0
    declined: int = 0
    rescheduled: int = 0
    written_back: int = 0

    def add(self, fact: AttemptFact) -> None:
        self.dialed += 1
        human = fact.outcome.reached_person
        if human or fact.outcome in _ANSWERED_BY_MACHINE or fact.evidence.talk_seconds > 0:
            self.answered += 1
        self.human += human
        if fact.outcome in _PAST_IDENTITY or fact.evidence.notes.get("identity") == "confirmed":
            self.identity_confirmed += 1
        self.confirmed += fact.outcome is Outcome.CONFIRMED
        self.declined += fact.outcome is Outcome.DECLINED
        self.rescheduled += fact.outcome is Outcome.RESCHEDULE_REQUESTED
        self.written_back += fact.written_back


@dataclass(frozen=True, slots=True)
class Undelivered:
    appointment_id: str
    attempt: int
    outcome: str
    tries: int
    last_error: str


@dataclass(slots=True)
class CampaignReport:
    day: date
    funnel: list[FunnelRow]
    outcomes: dict[str, int]
    reach_rate: float
    """Share of tasks whose person was reached at least once."""
    confirmation_rate: float
    """Share of tasks that ended confirmed."""
    retries_by_attempt: dict[int, int]
    line_utilisation: float | None
    not_in_mis: list[Undelivered] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


def build_report(
    day: date,
    tasks: Iterable[Sequence[AttemptFact]],
    lines: int,
    not_in_mis: Sequence[Undelivered] = (),
) -> CampaignReport:
    """`tasks` holds each task's finished attempts of the day."""
    total = FunnelRow("all")
    by_number: dict[int, FunnelRow] = {}
    outcomes: dict[str, int] = {}
    reached = confirmed = task_count = 0
    busy_seconds = 0.0
    first: datetime | None = None
    last: datetime | None = None
    for attempts in tasks:
        if not attempts:
            continue
        task_count += 1
        reached += any(a.outcome.reached_person for a in attempts)
        final = max(attempts, key=lambda a: a.number)
        confirmed += final.outcome is Outcome.CONFIRMED
        for fact in attempts:
            total.add(fact)
            by_number.setdefault(fact.number, FunnelRow(str(fact.number))).add(fact)
            outcomes[fact.outcome.value] = outcomes.get(fact.outcome.value, 0) + 1
            busy_seconds += (fact.finished_at - fact.started_at).total_seconds()
            first = fact.started_at if first is None else min(first, fact.started_at)
            last = fact.finished_at if last is None else max(last, fact.finished_at)
    span = (last - first).total_seconds() if first and last else 0.0
    return CampaignReport(
        day=day,
        funnel=[by_number[n] for n in sorted(by_number)] + [total],
        outcomes=dict(sorted(outcomes.items())),
        reach_rate=reached / task_count if task_count else 0.0,
        confirmation_rate=confirmed / task_count if task_count else 0.0,
        retries_by_attempt={n: row.dialed for n, row in sorted(by_number.items()) if n > 1},
        line_utilisation=busy_seconds / (span * lines) if span > 0 else None,
        not_in_mis=list(not_in_mis),
    )
