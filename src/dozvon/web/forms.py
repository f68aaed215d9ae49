"""Form posts from the pages. Every one needs the session's CSRF token (see guards.page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from dozvon.core.phone import InvalidPhone
from dozvon.store import CampaignState
from dozvon.web import actions, guards, queries
from dozvon.web.auth import Role, User
from dozvon.web.pages import campaigns_context
from dozvon.web.rendering import render
from dozvon.web.site import Site, get_site

router = APIRouter()
Operator = Annotated[User, Depends(guards.page(Role.OPERATOR))]
SiteDep = Annotated[Site, Depends(get_site)]
_STATES = {"pause": CampaignState.PAUSED, "resume": CampaignState.RUNNING}


@router.post("/campaigns/{name}/{action}")
def set_campaign_state(
    request: Request, name: str, action: str, user: Operator, site: SiteDep
) -> Response:
    if action not in _STATES:
        raise HTTPException(404)
    try:
        actions.set_state(site, name, _STATES[action], user)
    except actions.UnknownCampaign:
        raise HTTPException(404, "Кампании нет / no such campaign") from None
    if request.headers.get("hx-request"):
        return render(request, "_campaigns.html", campaigns_context(site))
    return RedirectResponse("/", status_code=303)


@router.post("/do-not-call")
def add_number(
    request: Request,
    user: Operator,
    site: SiteDep,
    phone: Annotated[str, Form(max_length=64)],
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        actions.block_number(site, phone, reason, user)
    except InvalidPhone as exc:
        context = {
            "entries": queries.do_not_call(site.store),
            "audit": queries.audit_trail(site.store, "do_not_call."),
            "editable": True,
            "message": f"Номер не принят / rejected: {exc}",
            "message_kind": "error",
        }
        return render(request, "do_not_call.html", context, status=422)
    return RedirectResponse("/do-not-call", status_code=303)


@router.post("/do-not-call/remove")
def remove_number(
    user: Operator, site: SiteDep, phone: Annotated[str, Form(max_length=64)]
) -> Response:
    actions.unblock_number(site, phone, user)
    return RedirectResponse("/do-not-call", status_code=303)
