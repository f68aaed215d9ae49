"""Do-not-call and the audit log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dozvon.store import Store
from tests.unit.store.factories import NOW


def test_do_not_call_list(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.do_not_call.add("+79161234567", "asked during the call", NOW)
        assert not uow.do_not_call.add("+79161234567", "again", NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.do_not_call.contains("+79161234567")
        assert not uow.do_not_call.contains("+79160000000")
        assert uow.do_not_call.listed(["+79160000000", "+79161234567"]) == {"+79161234567"}
        assert uow.do_not_call.listed([]) == set()
        assert uow.do_not_call.remove("+79161234567")
        assert not uow.do_not_call.remove("+79161234567")
        assert not uow.do_not_call.contains("+79161234567")


@pytest.mark.parametrize("phone", ["89161234567", "+7 916 123 45 67", "", "+0123456789"])
def test_do_not_call_takes_only_normalised_numbers(store: Store, phone: str) -> None:
    with store.unit_of_work() as uow, pytest.raises(ValueError, match=r"E\.164"):
        uow.do_not_call.add(phone, "x", NOW)


def test_audit_log_newest_first(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.audit.record(NOW, "admin", "campaign.pause", "confirm", {"why": "holiday"})
        uow.audit.record(
            NOW + timedelta(minutes=1), "admin", "dnc.add", "+7******67", {"n": Decimal(1)}
        )
        uow.commit()
    with store.unit_of_work() as uow:
        entries = uow.audit.recent()
        assert [entry.action for entry in entries] == ["dnc.add", "campaign.pause"]
        assert entries[0].details == {"n": "1"}
        assert entries[1].details == {"why": "holiday"}
        assert len(uow.audit.recent(limit=1)) == 1
