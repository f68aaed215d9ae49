"""Small typed repositories, one per table family, all sharing the unit of work's session."""

from dozvon.store.repositories.appointments import AppointmentRepository, Change, to_core
from dozvon.store.repositories.attempts import AttemptRepository
from dozvon.store.repositories.audit import AuditRepository
from dozvon.store.repositories.campaigns import CampaignRepository
from dozvon.store.repositories.outbox import OutboxRepository
from dozvon.store.repositories.people import DoNotCallRepository
from dozvon.store.repositories.tasks import TaskRepository
from dozvon.store.repositories.telegram_links import TelegramLinkRepository

__all__ = [
    "AppointmentRepository",
    "AttemptRepository",
    "AuditRepository",
    "CampaignRepository",
    "Change",
    "DoNotCallRepository",
    "OutboxRepository",
    "TaskRepository",
    "TelegramLinkRepository",
    "to_core",
]
