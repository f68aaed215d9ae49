"""The shared plumbing of interface connectors: masking, retries, limits, templates, safe XML.

HTTP answers here come from httpx.MockTransport (in-process, no socket): these tests are about
our decisions on an answer, not about a server; connectors talk real HTTP in tests/integration.
"""

from __future__ import annotations

import json
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import hl7
import httpx
import pytest

from dozvon.mis import http as mis_http
from dozvon.mis.auth import FileTokenStore, TokenPair
from dozvon.mis.base import MisError
from dozvon.mis.hl7v2 import escape, extract
from dozvon.mis.http import HttpRetry, MisHttp, RateLimiter, Secrets
from dozvon.mis.templates import render_json, render_url, render_xml
from dozvon.mis.xmlsafe import XmlProblem, parse_xml


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses on a fake clock instead of taking them: no test waits or measures."""
    taken: list[float] = []
    clock = [1000.0]

    async def fake_sleep(seconds: float) -> None:
        taken.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(mis_http, "pause", fake_sleep)
    monkeypatch.setattr(mis_http, "clock", lambda: clock[0])
    return taken


def test_mask_url_hides_credentials_and_keeps_cyrillic_readable() -> None:
    secrets = Secrets(["webhooksecret99"])
    url = (
        "https://robot:pw@portal.example/rest/1/webhooksecret99/crm.item.list"
        "?api_key=abc&page=2&access_token=zzz"
    )
    masked = secrets.mask_url(url)
    assert masked == (
        "https://***@portal.example/rest/1/***/crm.item.list?api_key=***&page=2&access_token=***"
    )
    odata = "http://h/odata/standard.odata/Document_%D0%97%D0%B0%D0%BF%D0%B8%D1%81%D1%8C"
    assert secrets.mask_url(odata).endswith("Document_Запись")


def answers(*responses: httpx.Response) -> httpx.MockTransport:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        return queue.pop(0)

    return httpx.MockTransport(handler)


async def test_429_is_retried_after_the_pause_the_server_asks_for(sleeps: list[float]) -> None:
    transport = answers(
        httpx.Response(429, headers={"Retry-After": "3"}, json={"error": "slow down"}),
        httpx.Response(200, json={"ok": True}),
    )
    async with MisHttp(
        system="crm", base_url="http://crm.test/", rate=1000, transport=transport
    ) as web:
        assert await web.json("GET", "items") == {"ok": True}
    assert 3.0 in sleeps


async def test_retries_are_bounded_and_the_error_names_system_and_request(
    sleeps: list[float],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nobody listens
    web = MisHttp(
        system="клиника",
        base_url=f"http://127.0.0.1:{port}/",
        rate=1000,
        retry=HttpRetry(attempts=3, base_delay=0.1),
    )
    with pytest.raises(
        MisError,
        match=rf"клиника: GET http://127.0.0.1:{port}/x\?token=\*\*\*: нет связи .*попыток: 3",
    ):
        await web.json("GET", "x", params={"token": "t0p-secret"})
    await web.aclose()
    assert len([s for s in sleeps if s > 0]) == 2


async def test_html_with_status_200_and_broken_json_are_errors() -> None:
    transport = answers(
        httpx.Response(200, content=b"\xef\xbb\xbf\n<!DOCTYPE html><title>Login</title>"),
        httpx.Response(200, content=b'{"a": [1, 2'),
    )
    async with MisHttp(
        system="s", base_url="http://s.test/", rate=1000, transport=transport
    ) as web:
        with pytest.raises(MisError, match=r"HTML-страница.*Login"):
            await web.json("GET", "a")
        with pytest.raises(MisError, match="ответ не JSON"):
            await web.json("GET", "b")


async def test_a_link_to_another_server_is_not_followed() -> None:
    transport = answers(httpx.Response(200, json={}))
    async with MisHttp(
        system="s", base_url="https://mis.test/api/", rate=1000, transport=transport
    ) as web:
        with pytest.raises(MisError, match="другой сервер"):
            await web.json("GET", "https://evil.test/api/leads?page=2")


async def test_rate_limiter_spaces_requests(sleeps: list[float]) -> None:
    limiter = RateLimiter(rate=2.0, burst=2)
    for _ in range(5):
        await limiter.acquire()
    assert sleeps == pytest.approx([0.5, 0.5, 0.5])  # two at once, then one every 1/rate


def test_json_template_keeps_types_and_escapes_nothing_it_should_not() -> None:
    values: dict[str, Any] = {
        "n": 3,
        "label": "Подтвердил",
        "at": datetime(2026, 11, 27, 9, 30),
        "none": None,
    }
    template = {
        "count": "{n}",
        "text": "Итог: {label}",
        "when": "{at}",
        "list": ["{n}", {"x": "{none}"}],
        "k": 1,
    }
    assert render_json(template, values) == {
        "count": 3,
        "text": "Итог: Подтвердил",
        "when": "2026-11-27T09:30:00",
        "list": [3, {"x": None}],
        "k": 1,
    }


def test_url_and_xml_templates_escape_values() -> None:
    values = {"id": "A/1 & b", "q": "<x a='1'>"}
    assert render_url("items/{id}?q={q}", values) == "items/A%2F1%20%26%20b?q=%3Cx%20a%3D%271%27%3E"
    assert (
        render_xml("<r id='{id}'>{q}</r>", values)
        == "<r id='A/1 &amp; b'>&lt;x a=&apos;1&apos;&gt;</r>"
    )
    with pytest.raises(ValueError, match="недопустимое поле"):
        render_json("{__class__.__mro__}", {})


def test_token_store_replaces_atomically_with_private_mode(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    assert store.load() is None
    store.save(TokenPair("a1", "r1", 123.0))
    store.save(TokenPair("a2", "r2", None))
    assert store.load() == TokenPair("a2", "r2", None)
    assert (store.path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["tokens.json"]
    store.path.write_text(json.dumps({"refresh_token": "x"}))
    with pytest.raises(MisError, match="нет access_token"):
        store.load()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r>&b;</r>', "опасный"),
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "опасный"),
        (b"<r><unclosed></r>", "не разобран"),
        (b"   ", "пустой ответ"),
    ],
)
def test_xml_is_refused_when_dangerous_or_broken(data: bytes, message: str) -> None:
    with pytest.raises(XmlProblem, match=message):
        parse_xml(data)


def test_hl7_paths_and_escaping() -> None:
    message = hl7.parse(
        "MSH|^~\\&|MIS|C|DZ|C|20261127||SIU^S12|M1|P|2.5\r"
        "PID|||P1||Ива\\T\\нов^Иван||||||||+79161234567~^PRN^PH^^^^^^^^^+74957654321"
    )
    assert extract(message, "MSH-9.2") == "S12"
    assert extract(message, "PID-5") == "Ива&нов Иван"
    assert extract(message, "PID-13.1") == "+79161234567"
    assert extract(message, "PID-13.12") == "+74957654321"
    assert extract(message, "AIP-3.2") is None
    assert escape("a|b^c~d\\e&f") == "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f"
