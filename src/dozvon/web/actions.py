"""The changes a web user may make, shared by the pages and the JSON API. Each one lands in
the audit log under `web:<user>`; phone numbers go there masked."""

from __future__ import annotations

from dozvon.campaign.state import SqlCampaignState
from dozvon.core.phone import mask_phone, normalize_phone
from dozvon.store import CampaignState
from dozvon.web.auth import User
from dozvon.web.site import Site


class UnknownCampaign(LookupError):
    pass


def set_state(site: Site, name: str, state: CampaignState, user: User) -> None:
    """As `dozvon campaign pause|resume` does: a configured campaign gets its row first."""
    if site.configured(name):
        with site.store.unit_of_work() as uow:
            uow.campaigns.ensure(name, site.clock.now())
            uow.commit()
    why = "paused in the web UI" if state is CampaignState.PAUSED else "resumed in the web UI"
    if not SqlCampaignState(site.store, site.clock).set_campaign_state(
        name, state, actor(user), why
    ):
        raise UnknownCampaign(name)


def block_number(site: Site, raw_phone: str, reason: str, user: User) -> tuple[str, bool]:
    """The normalised number and whether it is new on the list. ValueError for a bad number."""
    phone = normalize_phone(raw_phone.strip())
    with site.store.unit_of_work() as uow:
        added = uow.do_not_call.add(phone, reason.strip() or "web", site.clock.now())
        if added:
            uow.audit.record(
                site.clock.now(),
                actor(user),
                "do_not_call.add",
                mask_phone(phone),
                {"reason": reason.strip()},
            )
        uow.commit()
    return phone, added


def unblock_number(site: Site, phone: str, user: User) -> bool:
    with site.store.unit_of_work() as uow:
        removed = uow.do_not_call.remove(phone)
        if removed:
            uow.audit.record(site.clock.now(), actor(user), "do_not_call.remove", mask_phone(phone))
        uow.commit()
    return removed


def actor(user: User) -> str:
    return f"web:{user.name}"
