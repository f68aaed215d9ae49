"""Each connector page in docs/integrations/ carries a complete config: it must stay valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dozvon.mis.config import load

DOCS = Path(__file__).parents[3] / "docs" / "integrations"
PAGES = ["fhir", "hl7", "bitrix24", "amocrm", "1c-odata", "rest", "xml-gateway", "renovatio"]


@pytest.mark.parametrize("page", PAGES)
def test_the_config_example_of_each_page_validates(page: str) -> None:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(mis:\n.*?)```", text, re.DOTALL)
    assert block is not None, f"{page}.md has no complete `mis:` example"
    config = load(yaml.safe_load(block.group(1))["mis"])
    assert config.source["kind"] in text
