"""The unit of work: one session, the repositories on it, and an explicit commit.

Nothing is committed unless the caller says so; leaving the block without `commit()` (or with
an exception) rolls everything back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from dozvon.store.engine import make_engine
from dozvon.store.repositories import (
    AppointmentRepository,
    AttemptRepository,
    AuditRepository,
    CampaignRepository,
    DoNotCallRepository,
    OutboxRepository,
    TaskRepository,
    TelegramLinkRepository,
)


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.appointments = AppointmentRepository(session)
        self.attempts = AttemptRepository(session)
        self.audit = AuditRepository(session)
        self.campaigns = CampaignRepository(session)
        self.do_not_call = DoNotCallRepository(session)
        self.outbox = OutboxRepository(session)
        self.tasks = TaskRepository(session)
        self.telegram_links = TelegramLinkRepository(session)

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()


class Store:
    """The database of one Dozvon site: hands out units of work."""

    def __init__(self, url: str | URL, echo: bool = False) -> None:
        self.engine: Engine = make_engine(url, echo=echo)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with UnitOfWork(self._sessions()) as uow:
            yield uow

    def dispose(self) -> None:
        self.engine.dispose()
