"""Templates for requests built from config: URLs with the date window, and JSON bodies.

No expression language on purpose (no eval, no Jinja): a config is data. A JSON template is
the body itself, where a string that is exactly `"{name}"` becomes the value with its type
(a number stays a number) and any other string is rendered by the mapping's `SafeTemplate`
(`{name}` placeholders only). URL and XML templates escape what they substitute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from dozvon.mis.base import Window
from dozvon.mis.values import SafeTemplate

_WHOLE = re.compile(r"^\{([^{}.\[\]!:]+)\}$")


def window_values(window: Window, zone: Any, date_format: str | None = None) -> dict[str, object]:
    """What a read template may use: the window in several common spellings."""
    start, end = window.start.astimezone(zone), window.end.astimezone(zone)
    values: dict[str, object] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "start_date": start.date().isoformat(),
        "end_date": end.date().isoformat(),
        "start_unix": int(start.timestamp()),
        "end_unix": int(end.timestamp()),
        "start_ru": start.strftime("%d.%m.%Y"),
        "end_ru": end.strftime("%d.%m.%Y"),
    }
    if date_format:
        values["start_fmt"] = start.strftime(date_format)
        values["end_fmt"] = end.strftime(date_format)
    return values


def template_names(template: Any) -> set[str]:
    """Every placeholder a JSON template (or a string) uses: checked against what we offer."""
    if isinstance(template, str):
        return set(SafeTemplate(template).names)
    if isinstance(template, Mapping):
        return set().union(*(template_names(v) for v in template.values()))
    if isinstance(template, list):
        return set().union(*(template_names(v) for v in template))
    return set()


def render_json(template: Any, values: Mapping[str, object]) -> Any:
    if isinstance(template, str):
        whole = _WHOLE.match(template)
        if whole:
            value = values.get(whole.group(1))
            return value.isoformat() if isinstance(value, datetime) else value
        return SafeTemplate(template).render(values)
    if isinstance(template, Mapping):
        return {key: render_json(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render_json(item, values) for item in template]
    return template


def render_text(template: str, values: Mapping[str, object], escape: Callable[[str], str]) -> str:
    """Substitute `{name}`s exactly (no whitespace folding), each value through `escape`."""
    out = []
    for literal, name in SafeTemplate(template).parts:
        out.append(literal)
        if name is not None:
            out.append(escape(_text(values.get(name))))
    return "".join(out)


def render_url(template: str, values: Mapping[str, object]) -> str:
    return render_text(template, values, lambda text: quote(text, safe=""))


def render_xml(template: str, values: Mapping[str, object]) -> str:
    return render_text(
        template, values, lambda text: xml_escape(text, {'"': "&quot;", "'": "&apos;"})
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
