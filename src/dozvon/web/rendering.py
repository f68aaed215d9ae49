"""Jinja2 set-up: templates, Russian names for states and outcomes, masking filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from dozvon.core.phone import mask_phone
from dozvon.web.auth import Role
from dozvon.web.csrf import csrf_token
from dozvon.web.site import get_site

HERE = Path(__file__).parent

STATE_NAMES = {"running": "работает", "paused": "на паузе", "new": "не запускалась"}
ROLE_NAMES = {"VIEWER": "просмотр", "OPERATOR": "оператор", "ADMIN": "администратор"}
STATUS_NAMES = {"ok": "норма", "warn": "внимание", "fail": "ошибка"}
OUTCOME_NAMES = {
    "confirmed": "подтвердил",
    "declined": "отказался",
    "reschedule_requested": "перенос",
    "callback_requested": "перезвонить",
    "wrong_person": "не тот человек",
    "message_left": "оставлено сообщение",
    "answering_machine": "автоответчик",
    "no_answer": "нет ответа",
    "busy": "занято",
    "invalid_number": "неверный номер",
    "rejected": "сброс",
    "network_error": "ошибка сети",
    "hung_up": "положил трубку",
    "uncertain": "неясно",
    "opted_out": "отказ от звонков",
    "in_progress": "идёт",
}


def make_templates(zone: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    tz = ZoneInfo(zone)
    env.filters["mask_phone"] = mask_phone
    env.filters["local_time"] = lambda at: _local(at, tz)
    env.globals.update(
        csrf_token=csrf_token,
        Role=Role,
        state_names=STATE_NAMES,
        role_names=ROLE_NAMES,
        status_names=STATUS_NAMES,
        outcome_names=OUTCOME_NAMES,
    )
    return templates


def _local(at: datetime | None, tz: ZoneInfo) -> str:
    return "—" if at is None else at.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page with the logged-in user (if any) in its context, for the header and the buttons."""
    site = get_site(request)
    values = {"user": getattr(request.state, "user", None), **(context or {})}
    return site.templates.TemplateResponse(request, template, values, status_code=status)
