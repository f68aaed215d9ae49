"""Every `mis:` example in docs/integrations must pass the same validation as a real config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dozvon.mis.config import load

DOCS = Path(__file__).parents[3] / "docs" / "integrations"
BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)
REFERENCE = re.compile(r"\$\{[^}]*\}")


def examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for number, block in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), 1):
            if block.lstrip().startswith("mis:"):
                found.append((f"{page.name}#{number}", block))
    return found


def test_every_page_has_an_example() -> None:
    pages = {name.split("#")[0] for name, _ in examples()}
    assert {"sql.md", "odbc.md", "files.md", "http-tunnel.md", "ssh-tunnel.md"} <= pages


@pytest.mark.parametrize(("where", "block"), examples(), ids=[n for n, _ in examples()])
def test_example_is_a_valid_mis_section(where: str, block: str) -> None:
    data = yaml.safe_load(REFERENCE.sub("x", block))  # the config loader substitutes these
    config = load(data["mis"])
    assert config.mapping.fields["external_id"]
