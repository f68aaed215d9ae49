"""Database failures as an admin can act on them: which statement, which values, no secrets.

Shared by the SQL, ODBC and tunnel connectors, which all run an admin's statement with bound
values and all can lose their connection.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from dozvon.mis.base import MisError

log = logging.getLogger(__name__)
T = TypeVar("T")

_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]*)(@)")
_CONNSTR_PASSWORD = re.compile(r"((?:^|;)\s*(?:PWD|PASSWORD)\s*=\s*)(\{[^}]*\}|[^;]*)", re.I)


def mask_secrets(text: str, secrets: Sequence[str | None] = ()) -> str:
    """Hide URL passwords, ODBC `PWD=` values and any known secret wherever it appears."""
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    text = _CONNSTR_PASSWORD.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def mask_params(params: Mapping[str, object]) -> dict[str, object]:
    return {k: "***" if _SECRET_KEY.search(k) else v for k, v in params.items()}


_RECORD_ERRORS = frozenset({"IntegrityError", "DataError"})
"""DB-API exception names (PEP 249) for a statement the data broke, not the connection."""


def _refuses_the_record(exc: BaseException) -> bool:
    """True for a constraint or a bad value, whichever driver raised it (SQLAlchemy wraps the
    driver's exception under the same PEP 249 name)."""
    return any(kind.__name__ in _RECORD_ERRORS for kind in type(exc).__mro__)


def statement_failed(
    source: str,
    what: str,
    statement: str,
    params: Mapping[str, object] | Sequence[object],
    exc: BaseException,
    secrets: Sequence[str | None] = (),
) -> MisError:
    """One message with the driver's complaint, the statement and the values it was given."""
    shown = mask_params(params) if isinstance(params, Mapping) else list(params)
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    message = (
        f"{source}: {what} не выполнен: {reason}\n"
        f"  запрос: {' '.join(statement.split())}\n"
        f"  параметры: {shown}"
    )
    return MisError(mask_secrets(message, secrets), record_only=_refuses_the_record(exc))


def with_retries(
    action: Callable[[], T],
    *,
    transient: Callable[[BaseException], bool],
    attempts: int,
    delay: float,
    what: str,
) -> T:
    """Run `action`, retrying a lost connection with doubling delays; other errors go up."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as exc:
            if attempt == attempts or not transient(exc):
                raise
            log.warning(
                "%s: связь потеряна (%s), попытка %d из %d",
                what,
                type(exc).__name__,
                attempt + 1,
                attempts,
            )
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")
