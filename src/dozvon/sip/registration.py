"""Staying registered at the trunk (RFC 3261 §10): REGISTER with digest, refresh at 80 % of the
granted time, retry after a failure, and the Contact moved to where a NAT shows us (RFC 3581)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from dozvon.sip.masking import mask_user
from dozvon.sip.message import ParseError, Request, Response, parse_cseq
from dozvon.sip.uri import SipUri, new_tag, parse_name_addr, parse_uri, parse_via

if TYPE_CHECKING:
    from dozvon.sip.ua import UserAgent

log = logging.getLogger(__name__)
REFRESH_SHARE = 0.8  # re-register when this share of the granted time has passed
RETRY_SECONDS = 30.0  # between attempts after a failed (re-)registration


class Registration:
    def __init__(self, ua: UserAgent) -> None:
        self._ua = ua
        self.registered = False
        self.until = 0.0  # loop time the binding runs out
        self.nat_address: tuple[str, int] | None = None
        self._call_id = new_tag() + new_tag()
        self._tag = new_tag()
        self._cseq = 0
        self._timer: asyncio.TimerHandle | None = None

    async def register(self, expires: int | None = None) -> bool:
        """One REGISTER (expires 0 removes the binding); True on a 2xx."""
        ua = self._ua
        config = ua.config
        wanted = config.register_expires if expires is None else expires
        aor = f"sip:{config.user}@{ua.domain}"
        registrar = str(SipUri(ua.domain, port=config.domain_port))
        self._cseq += 1
        request = Request("REGISTER", registrar)
        request.headers.add("via", ua.via())
        request.headers.add("max-forwards", "70")
        request.headers.add("from", f"<{aor}>;tag={self._tag}")
        request.headers.add("to", f"<{aor}>")
        request.headers.add("call-id", self._call_id)
        request.headers.add("cseq", f"{self._cseq} REGISTER")
        request.headers.add("contact", ua.contact())
        request.headers.add("expires", str(wanted))
        request.headers.add("user-agent", config.user_agent)
        response = await ua.request(request, await ua.request_destination(parse_uri(registrar)))
        if response is not None:
            self._cseq = parse_cseq(response.headers.get("cseq") or "0 X")[0]
        if response is None or not 200 <= response.status < 300:
            status = response.status if response else "no response"
            log.warning("REGISTER %s at %s failed: %s", mask_user(config.user), ua.domain, status)
            self.registered = False
            if wanted and config.register_expires:  # keep trying while we run
                self._schedule(RETRY_SECONDS)
            return False
        if wanted and self._learn_nat_address(response):
            return await self.register(expires)
        granted = self._granted_expiry(response, wanted)
        self.registered = granted > 0
        self.until = ua.now() + granted
        if granted > 0:
            self._schedule(granted * REFRESH_SHARE)
        log.info("REGISTER %s at %s: %d s", mask_user(config.user), ua.domain, granted)
        return True

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _schedule(self, delay: float) -> None:
        self.stop()
        self._timer = asyncio.get_running_loop().call_later(
            delay, lambda: self._ua.spawn(self.register())
        )

    def _our_address(self) -> tuple[str, int]:
        return self.nat_address or (self._ua.advertised_host, self._ua.port)

    def _learn_nat_address(self, response: Response) -> bool:
        """received/rport on our Via show our address outside a NAT. True when it changed, so
        the caller registers again with a Contact that can reach us."""
        if self._ua.config.public_host is not None:
            return False
        via = parse_via(response.headers.get("via") or "")
        received, rport = via.params.get("received"), via.params.get("rport")
        if not received or not rport or not rport.isdigit():
            return False
        seen = (received, int(rport))
        if seen == self._our_address():
            return False
        log.info("behind NAT: the registrar sees us at %s:%d", *seen)
        self.nat_address = seen
        return True

    def _granted_expiry(self, response: Response, wanted: int) -> int:
        """The registrar may shorten our expiry, in our Contact's parameter or in Expires."""
        for contact in response.headers.get_all("contact"):
            try:
                address = parse_name_addr(contact)
            except ParseError:
                continue
            value = address.params.get("expires")
            if address.uri.port == self._our_address()[1] and value and value.isdigit():
                return int(value)
        header = response.headers.get("expires")
        return int(header) if header and header.isdigit() else wanted
