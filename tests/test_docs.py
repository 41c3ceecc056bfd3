"""The documentation stays true: generated documents match what the code generates now, and
every relative link in docs/ and the README points to a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from healthai import docs_gen

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


@pytest.mark.parametrize("path", list(docs_gen.GENERATED), ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_document_is_current(path: Path) -> None:
    expected = docs_gen.GENERATED[path]()  # type: ignore[operator]
    assert path.is_file(), f"{path.relative_to(ROOT)} missing: run `make docs-gen`"
    assert path.read_text() == expected, (
        f"{path.relative_to(ROOT)} is stale: run `make docs-gen` and commit the result"
    )


def test_data_model_covers_every_table_and_column() -> None:
    text = docs_gen.DATA_MODEL_PATH.read_text()
    for table in docs_gen.metadata.tables.values():
        assert f"#### `{table.name}`" in text, table.name
        for column in table.columns:
            assert f"| `{column.name}` |" in text, (table.name, column.name)
    assert text.count("```mermaid") >= 3  # MCD + the MLD diagrams


def relative_links(markdown: Path) -> list[str]:
    text = FENCE.sub("", markdown.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code is not a link
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # absolute URL (http:, mailto:) or an anchor in the same page
        targets.append(target)
    return targets


DOCUMENTS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


@pytest.mark.parametrize("markdown", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(markdown: Path) -> None:
    broken = [
        target
        for target in relative_links(markdown)
        if not (markdown.parent / target.split("#", 1)[0]).exists()
    ]
    assert not broken, f"{markdown.relative_to(ROOT)} links to missing files: {broken}"
