"""Value records that are built by the hundred thousand: read-only to the type checker only.

A frozen dataclass sets each field through `object.__setattr__` in its `__init__`, which made
an `Appointment` cost 1.3 µs to build against 0.23 µs for a plain slotted one: on a 100k-row
sync that is the largest single cost after the database driver (docs/performance.md, "MIS
sync"). `readonly` keeps the frozen contract where it is enforced for us, in `mypy --strict`
(assigning to a field is an error there), and builds a plain slotted class at run time, hashed
by value like a frozen one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def readonly(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)
