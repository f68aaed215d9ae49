"""Alembic environment: runs on the connection `dozvon.store.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from dozvon.store.engine import make_engine
from dozvon.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    _engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with _engine.begin() as _own:
        _run(_own)
    _engine.dispose()
