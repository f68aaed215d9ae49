"""XML from a clinic system, parsed safely: no entity expansion, no external fetches.

Two steps, each doing what it is best at. defusedxml screens the bytes and refuses any DTD,
entity declaration or external reference (XXE, "billion laughs", quadratic blow-up). Only
then does lxml parse the same bytes, with entities and network off, because XPath 1.0 (which
the clinic writes in its config) needs lxml; ElementTree knows only a small XPath subset.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from lxml import etree

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class XmlProblem(ValueError):
    """Broken or dangerous XML; the message says which, for the caller to name the request."""


def parse_xml(data: bytes) -> etree._Element:
    if not data.strip():
        raise XmlProblem("пустой ответ вместо XML")
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise XmlProblem(
            f"XML отклонён как опасный ({type(exc).__name__}: DTD/сущности запрещены)"
        ) from None
    except ParseError as exc:
        raise XmlProblem(f"XML не разобран: {exc}") from None
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlProblem(f"XML не разобран: {exc}") from None
