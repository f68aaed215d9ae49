"""The tables. Typed ORM classes: mypy checks every column use in the repositories."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dozvon.core.appointment import AppointmentStatus
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store.columns import UtcDateTime, text_enum

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class CampaignState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"


class OutboxState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class CampaignRow(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[CampaignState] = mapped_column(text_enum(CampaignState, 16))
    created_at: Mapped[datetime]


class AppointmentRow(Base):
    """One visit as the MIS last reported it; `raw` and `fingerprint` show what the MIS changed."""

    __tablename__ = "appointments"
    __table_args__ = (UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    raw: Mapped[dict[str, Any]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[AppointmentStatus] = mapped_column(text_enum(AppointmentStatus, 16))
    start_at: Mapped[datetime] = mapped_column(index=True)
    patient_name: Mapped[str] = mapped_column(String(300))
    patient_id: Mapped[str | None] = mapped_column(String(200))
    phones: Mapped[list[str]]
    marketing_consent: Mapped[bool] = mapped_column(Boolean)
    robot_call_consent: Mapped[bool] = mapped_column(Boolean)
    doctor_name: Mapped[str] = mapped_column(String(300))
    specialty: Mapped[str] = mapped_column(String(300))
    services: Mapped[list[str]]
    branch_name: Mapped[str] = mapped_column(String(300))
    branch_address: Mapped[str] = mapped_column(String(500))
    branch_phone: Mapped[str] = mapped_column(String(100))
    branch_timezone: Mapped[str | None] = mapped_column(String(64))
    extra: Mapped[dict[str, Any]]
    history: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    task_key: Mapped[str | None] = mapped_column(String(64), index=True)
    first_seen_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("campaign_id", "key"),
        Index(None, "status", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[TaskStatus] = mapped_column(text_enum(TaskStatus, 16))
    timezone: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    phones: Mapped[list[str]]
    next_due_at: Mapped[datetime | None]
    attempts_count: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AttemptRow(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("task_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(text_enum(Channel, 16))
    phone: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[Outcome | None] = mapped_column(text_enum(Outcome, 32), index=True)
    evidence: Mapped[dict[str, Any]]


class OutboxRow(Base):
    """One outcome to write back to a MIS; the unique key makes a second write impossible."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("source", "appointment_id", "attempt"),
        Index(None, "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    appointment_id: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]]
    state: Mapped[OutboxState] = mapped_column(text_enum(OutboxState, 16))
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DoNotCallRow(Base):
    __tablename__ = "do_not_call"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    """E.164."""
    reason: Mapped[str] = mapped_column(String(300))
    added_at: Mapped[datetime]


class TelegramLinkRow(Base):
    """A phone its owner proved by sharing their own contact with the clinic's bot."""

    __tablename__ = "telegram_links"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    """E.164."""
    chat_id: Mapped[str] = mapped_column(String(32), index=True)
    linked_at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]]
