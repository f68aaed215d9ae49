"""Persistence: SQLAlchemy tables, small repositories and a unit of work, Alembic migrations.
SQLite (WAL) by default; PostgreSQL for sites with several workers."""

from dozvon.store.engine import make_engine, normalize_url
from dozvon.store.migrate import current_revision, head_revision, upgrade
from dozvon.store.models import CampaignState, OutboxState
from dozvon.store.repositories import Change
from dozvon.store.uow import Store, UnitOfWork

__all__ = [
    "CampaignState",
    "Change",
    "OutboxState",
    "Store",
    "UnitOfWork",
    "current_revision",
    "head_revision",
    "make_engine",
    "normalize_url",
    "upgrade",
]
