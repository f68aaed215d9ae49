"""A FAKE, broken FHIR server: what a real one (Medplum, in the FHIR tests) never sends.

Every mode answers `GET .../Appointment` the way a misbehaving server or proxy would:
`html` (a login page with status 200), `broken` (cut JSON), `loop` (a Bundle whose `next`
link points at itself), `outcome` (an OperationOutcome with status 200 instead of a Bundle),
`wrong_types` (an Appointment whose `start` is not a date and whose participant is a string),
`expired` (401 with an OperationOutcome, as for an expired bearer token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class HostileFhir:
    mode: str = "html"

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/fhir/Appointment", self.search)])

    async def search(self, request: Request) -> Response:
        if self.mode == "html":
            return Response("<html><title>Sign in</title></html>", 200, media_type="text/html")
        if self.mode == "broken":
            return Response(
                '{"resourceType": "Bundle", "entry": [', 200, media_type="application/fhir+json"
            )
        if self.mode == "expired":
            issue = {"severity": "error", "code": "login", "diagnostics": "Token expired"}
            return JSONResponse({"resourceType": "OperationOutcome", "issue": [issue]}, 401)
        if self.mode == "outcome":
            return JSONResponse({"resourceType": "OperationOutcome", "issue": []})
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
        if self.mode == "loop":
            bundle["entry"] = [
                {
                    "resource": {
                        "resourceType": "Appointment",
                        "id": "a1",
                        "status": "booked",
                        "participant": [],
                    }
                }
            ]
            bundle["link"] = [{"relation": "next", "url": str(request.url)}]
        if self.mode == "wrong_types":
            bundle["entry"] = [
                {
                    "resource": {
                        "resourceType": "Appointment",
                        "id": "w1",
                        "status": "booked",
                        "start": "завтра",
                        "participant": [],
                    }
                },
                {
                    "resource": {
                        "resourceType": "Appointment",
                        "id": "w2",
                        "status": "booked",
                        "participant": "Patient/1",
                    }
                },
            ]
        return JSONResponse(bundle)
