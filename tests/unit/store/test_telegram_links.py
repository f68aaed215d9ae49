"""Telegram links: one chat per phone (the latest proof wins), unlinking by chat, the
adapter the bot and the channel use; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dozvon.store import Store
from dozvon.store.chat_links import StoredChatLinks
from tests.unit.store.factories import NOW


def test_link_relink_and_unlink(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.telegram_links.link("+79161234567", "5550001", NOW)
        uow.telegram_links.link("+79161112233", "5550001", NOW)  # the same person, a new SIM
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.telegram_links.chat_for("+79161234567") == "5550001"
        uow.telegram_links.link("+79161234567", "7770007", NOW + timedelta(days=1))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.telegram_links.chat_for("+79161234567") == "7770007"  # the number changed hands
        assert uow.telegram_links.unlink_chat("5550001") == 1
        assert uow.telegram_links.unlink_chat("5550001") == 0
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.telegram_links.chat_for("+79161112233") is None
        assert uow.telegram_links.chat_for("+79161234567") == "7770007"


@pytest.mark.parametrize("phone", ["79161234567", "8 916 123-45-67", "", "+7916'; DROP TABLE x"])
def test_only_normalised_numbers_are_linked(store: Store, phone: str) -> None:
    with store.unit_of_work() as uow, pytest.raises(ValueError, match=r"E\.164"):
        uow.telegram_links.link(phone, "5550001", NOW)


def test_lookups_are_parameterised(store: Store) -> None:
    """A hostile value is looked up as a value: no link, no error, the table intact."""
    links = StoredChatLinks(store, now=lambda: NOW)
    links.link("+79161234567", "5550001")
    assert links.chat_for("' OR '1'='1") is None
    assert links.unlink("' OR '1'='1") == 0
    assert links.chat_for("+79161234567") == "5550001"
    assert links.unlink("5550001") == 1
    assert links.chat_for("+79161234567") is None
