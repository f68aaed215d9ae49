"""JSON columns are written by orjson (speed); what comes back must be what `json` would give."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dozvon.store.engine import json_text

DOCUMENTS: list[Any] = [
    {"name": "Иванова Анна", "phones": ["+79161234567"], "attempts": 2, "consent": True},
    {"nested": {"list": [1, 2.5, None, False], "empty": {}}, "text": 'кавычки " и \\ и \n'},
    {1: "integer key", "2": "text key"},
    ["ЭКГ", "УЗИ"],
    None,
    "строка",
    2**63 - 1,
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_orjson_text_reads_back_as_json_dumps_would(document: Any) -> None:
    assert json.loads(json_text(document)) == json.loads(json.dumps(document, ensure_ascii=False))


def test_cyrillic_is_stored_as_text_not_escapes() -> None:
    assert json_text({"fio": "Петров"}) == '{"fio":"Петров"}'
