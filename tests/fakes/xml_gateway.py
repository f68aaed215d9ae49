"""A FAKE XML gateway of an MIS, in the spirit of «Ариадна»'s: its real format is NOT public.

So nothing here claims to be Ariadna's protocol. The element names borrow the terms of
Ariadna's public patient-cabinet API (`rnumb` = номерок, `dat_bgn`, `spec`, `depname`), and
the shape is the usual one for such gateways: one POST endpoint, a `<request>` with a method
and parameters, a `<response>` with records or an `<error>`. A clinic connects the real one by
writing its own templates and XPaths (docs/integrations/xml-gateway.md).

Hostile modes: `html` (an error page with status 200), `broken` (cut XML), `bomb` (entity
expansion, "billion laughs"), `xxe` (an external entity reading a local file), `error` (the
gateway's own error element).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BOMB = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    ']><response><rnumb id="1"><fio>&c;</fio></rnumb></response>'
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<response><rnumb id="1"><fio>&x;</fio></rnumb></response>'
)


def rnumb(record: dict[str, Any]) -> str:
    phones = "".join(f"<phone>{escape(p)}</phone>" for p in record["phones"])
    return (
        f'<rnumb id="{escape(record["id"])}"><dat_bgn>{record["dat_bgn"]}</dat_bgn>'
        f"<patient><fio>{escape(record['fio'])}</fio>{phones}</patient>"
        f"<doctor><name>{escape(record['doctor'])}</name><spec>{escape(record['spec'])}</spec></doctor>"
        f"<depname>{escape(record['depname'])}</depname></rnumb>"
    )


@dataclass
class FakeXmlGateway:
    records: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, str]] = field(default_factory=list)
    mode: str = "ok"
    received: list[bytes] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/gateway", self.endpoint, methods=["POST"])])

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(body)
        hostile = {
            "html": ("<html><title>Шлюз недоступен</title></html>", "text/html"),
            "broken": ("<response><rnumb id='1'><fio>", "application/xml"),
            "bomb": (BOMB, "application/xml"),
            "xxe": (XXE, "application/xml"),
            "error": (
                "<response><error>Нет доступа к расписанию</error></response>",
                "application/xml",
            ),
        }.get(self.mode)
        if hostile:
            return Response(hostile[0], 200, media_type=hostile[1])
        request_xml = etree.fromstring(body)
        method = request_xml.findtext("method")
        if method == "getRnumbs":
            begin, end = request_xml.findtext("beginDate"), request_xml.findtext("endDate")
            chosen = [r for r in self.records if begin <= r["dat_bgn"][:10] < end]
            xml = "<response>" + "".join(rnumb(r) for r in chosen) + "</response>"
            return Response(xml, media_type="application/xml")
        if method == "setResult":
            self.results.append({child.tag: child.text or "" for child in request_xml})
            return Response('<response status="ok"/>', media_type="application/xml")
        return Response(
            f"<response><error>Неизвестный метод {escape(str(method))}</error></response>",
            media_type="application/xml",
        )
