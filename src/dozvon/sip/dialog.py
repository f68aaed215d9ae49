"""Dialog state (RFC 3261 §12): the tags, route set, CSeq counters and remote target that
make in-dialog requests (ACK for 2xx, BYE, INFO, REFER, re-INVITE answers) reach the peer."""

from __future__ import annotations

from dataclasses import dataclass, field

from dozvon.sip.message import Headers, Request, Response, parse_cseq
from dozvon.sip.uri import NameAddr, SipUri, parse_name_addr


@dataclass(eq=False)
class Dialog:
    call_id: str
    local: NameAddr  # carries our tag
    remote: NameAddr  # carries theirs (empty tag until the peer picks one)
    remote_target: SipUri
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 1
    remote_cseq: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.call_id, self.local.tag or "", self.remote.tag or ""

    @classmethod
    def from_uac(cls, request: Request, response: Response) -> Dialog:
        """Our INVITE got a 1xx/2xx with a To tag: route set is Record-Route reversed."""
        contact = response.headers.get("contact")
        target = (
            parse_name_addr(contact).uri
            if contact
            else parse_name_addr(
                request.uri if request.uri.startswith("<") else f"<{request.uri}>"
            ).uri
        )
        number, _ = parse_cseq(request.headers.get("cseq") or "")
        return cls(
            call_id=request.headers.get("call-id") or "",
            local=parse_name_addr(request.headers.get("from") or ""),
            remote=parse_name_addr(response.headers.get("to") or ""),
            remote_target=target,
            route_set=list(reversed(response.headers.get_all("record-route"))),
            local_cseq=number,
        )

    @classmethod
    def from_uas(cls, request: Request, local_tag: str) -> Dialog:
        """A dialog-creating request came in: route set is Record-Route in order."""
        contact = request.headers.get("contact")
        remote = parse_name_addr(request.headers.get("from") or "")
        number, _ = parse_cseq(request.headers.get("cseq") or "")
        return cls(
            call_id=request.headers.get("call-id") or "",
            local=parse_name_addr(request.headers.get("to") or "").with_tag(local_tag),
            remote=remote,
            remote_target=parse_name_addr(contact).uri if contact else remote.uri,
            route_set=request.headers.get_all("record-route"),
            local_cseq=0,
            remote_cseq=number,
        )

    def update_target(self, message: Request | Response) -> None:
        """A target refresh (re-INVITE, UPDATE or its 2xx) may move the peer's Contact."""
        contact = message.headers.get("contact")
        if contact:
            self.remote_target = parse_name_addr(contact).uri

    def next_hop(self) -> SipUri:
        """Loose routing only: the first Route if any, else the remote target."""
        if self.route_set:
            return parse_name_addr(self.route_set[0]).uri
        return self.remote_target

    def request(self, method: str, via: str, cseq: int | None = None) -> Request:
        """An in-dialog request; ACK passes the INVITE's CSeq, the rest take the next one."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        headers = Headers()
        headers.add("via", via)
        for route in self.route_set:
            headers.add("route", route)
        headers.add("max-forwards", "70")
        headers.add("from", str(self.local))
        headers.add("to", str(self.remote))
        headers.add("call-id", self.call_id)
        headers.add("cseq", f"{cseq} {method}")
        return Request(method, str(self.remote_target), headers)

    def accepts(self, request: Request) -> bool:
        """Reject out-of-order in-dialog requests (RFC 3261 §12.2.2) except ACK and CANCEL."""
        number, method = parse_cseq(request.headers.get("cseq") or "")
        if method in ("ACK", "CANCEL"):
            return True
        if self.remote_cseq is not None and number <= self.remote_cseq:
            return False
        self.remote_cseq = number
        return True
