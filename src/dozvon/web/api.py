"""The JSON API under /api/ for scripts: the same users, by session or HTTP Basic."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from dozvon.campaign.queries import not_in_mis
from dozvon.core.phone import InvalidPhone, mask_phone
from dozvon.store import CampaignState
from dozvon.web import actions, guards, queries
from dozvon.web.auth import Role, User
from dozvon.web.site import Site, get_site

router = APIRouter(prefix="/api")
Viewer = Annotated[User, Depends(guards.api(Role.VIEWER))]
Operator = Annotated[User, Depends(guards.api(Role.OPERATOR))]
SiteDep = Annotated[Site, Depends(get_site)]


class NumberIn(BaseModel):
    phone: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=300)


class NumberOut(BaseModel):
    phone: str = Field(min_length=1, max_length=64)


@router.get("/campaigns")
def campaigns(user: Viewer, site: SiteDep) -> list[dict[str, object]]:
    return [c.as_dict() for c in site.campaigns_today()]


@router.post("/campaigns/{name}/pause")
def pause(name: str, user: Operator, site: SiteDep) -> dict[str, str]:
    return _set(site, name, CampaignState.PAUSED, user)


@router.post("/campaigns/{name}/resume")
def resume(name: str, user: Operator, site: SiteDep) -> dict[str, str]:
    return _set(site, name, CampaignState.RUNNING, user)


def _set(site: Site, name: str, state: CampaignState, user: User) -> dict[str, str]:
    try:
        actions.set_state(site, name, state, user)
    except actions.UnknownCampaign:
        raise HTTPException(404, "no such campaign") from None
    return {"campaign": name, "state": state.value}


@router.get("/report")
def report(
    user: Viewer, site: SiteDep, day: Annotated[date | None, Query(alias="date")] = None
) -> dict[str, object]:
    return site.report(day or site.today()).as_dict()


@router.get("/undelivered")
def undelivered(user: Viewer, site: SiteDep) -> list[dict[str, Any]]:
    return [dataclasses.asdict(item) for item in not_in_mis(site.store)]


@router.get("/do-not-call")
def list_numbers(user: Viewer, site: SiteDep) -> list[dict[str, str]]:
    """Viewers get masked numbers: they may count the list, not dial it."""
    show = (lambda phone: phone) if user.may(Role.OPERATOR) else mask_phone
    return [
        {"phone": show(row.phone), "reason": row.reason, "added_at": row.added_at.isoformat()}
        for row in queries.do_not_call(site.store)
    ]


@router.post("/do-not-call", status_code=201)
def add_number(body: NumberIn, user: Operator, site: SiteDep) -> dict[str, object]:
    try:
        phone, added = actions.block_number(site, body.phone, body.reason, user)
    except InvalidPhone as exc:
        raise HTTPException(422, str(exc)) from None
    return {"phone": phone, "added": added}


@router.delete("/do-not-call")
def remove_number(body: NumberOut, user: Operator, site: SiteDep) -> dict[str, object]:
    """The number travels in the body, not the URL, so access logs never hold it."""
    return {"removed": actions.unblock_number(site, body.phone, user)}
