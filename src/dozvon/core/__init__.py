"""Pure domain model: no I/O, no clocks, no globals. Everything else in Dozvon depends on it."""

from dozvon.core.appointment import Appointment, AppointmentStatus, Branch, Doctor, Patient
from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Evidence, HangupBy, Outcome
from dozvon.core.phone import InvalidPhone, mask_phone, normalize_phone, split_phones
from dozvon.core.task import Task, TaskStatus, bundle_tasks

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "Attempt",
    "Branch",
    "Channel",
    "Doctor",
    "Evidence",
    "HangupBy",
    "InvalidPhone",
    "Outcome",
    "Patient",
    "Task",
    "TaskStatus",
    "bundle_tasks",
    "mask_phone",
    "normalize_phone",
    "split_phones",
]
