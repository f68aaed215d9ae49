"""Machine-to-machine receivers: no login, a shared secret instead (Telegram's webhook).

Only mounted when the process also runs the conversations (`dozvon run --web`): a reply that
arrived anywhere else would find no conversation waiting for it.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from dozvon.channels.telegram.webhook import (
    MAX_BODY,
    SECRET_HEADER,
    WEBHOOK_PATH,
    BadUpdate,
    TelegramHook,
    parse_update,
)

log = logging.getLogger(__name__)
router = APIRouter()


def refuse(status: int, detail: str, request: Request) -> Response:
    client = request.client.host if request.client else "?"
    log.warning(
        "telegram webhook refused", extra={"status": status, "reason": detail, "client": client}
    )
    return JSONResponse({"detail": detail}, status_code=status)


async def read_limited(request: Request) -> bytes | None:
    """The body, or None once it passes MAX_BODY (read no further)."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


@router.post(WEBHOOK_PATH, include_in_schema=False)
async def telegram_update(request: Request) -> Response:
    hook: TelegramHook = request.app.state.telegram
    given = request.headers.get(SECRET_HEADER)
    if given is None:
        return refuse(401, "secret token missing", request)
    if not hook.accepts(given):
        return refuse(403, "secret token does not match", request)
    body = await read_limited(request)
    if body is None:
        return refuse(413, f"body over {MAX_BODY} bytes", request)
    try:
        update = parse_update(body)
    except BadUpdate as exc:
        return refuse(400, str(exc), request)
    await hook.receive(update)
    return Response(status_code=200)
