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


def test_source_inventory_covers_every_source() -> None:
    from healthai.sources import SOURCES

    text = docs_gen.SOURCES_PATH.read_text()
    for name, spec in SOURCES.items():
        assert f"## `{name}`: " in text, name
        for defect in spec.defects:
            assert docs_gen._prose(defect) in text, (name, defect)
        for rule in spec.soft_rules:
            assert f"- `{rule}`: " in text, (name, rule)
    head, tail = text.split(docs_gen.HAND_WRITTEN, 1)
    assert "## Why these datasets" in tail and "## Why these datasets" not in head


def test_hand_written_parts_survive_regeneration(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"old generated text\n{docs_gen.HAND_WRITTEN}\n\nkept by hand\n")
    assert docs_gen._hand_written_tail(doc, "default") == "kept by hand\n"
    assert docs_gen._hand_written_tail(tmp_path / "absent.md", "default") == "default"
    begin, end = docs_gen.BEGIN.format(name="x"), docs_gen.END.format(name="x")
    doc.write_text(f"before\n{begin}\nstale\n{end}\nafter\n")
    assert (
        docs_gen._replace_block(doc, "x", "fresh") == f"before\n{begin}\n\nfresh\n\n{end}\nafter\n"
    )
    with pytest.raises(ValueError):
        docs_gen._replace_block(doc, "y", "fresh")


def test_data_flow_covers_every_asset_and_check() -> None:
    from assets.definitions import defs

    text = docs_gen.DATA_FLOW_PATH.read_text()
    assert text.count("```mermaid") == 1
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = docs_gen._node_id(key.to_user_string())
        assert f'        {node}["' in text, key
        for parent in graph.get(key).parent_keys:
            assert f"    {docs_gen._node_id(parent.to_user_string())} --> {node}\n" in text


def test_privacy_note_lists_every_table_referencing_users() -> None:
    text = docs_gen.PRIVACY_PATH.read_text()
    users = docs_gen.metadata.tables["users"]
    for table in docs_gen.metadata.tables.values():
        if any(fk.referred_table is users for fk in table.foreign_key_constraints):
            assert f"| `{table.name}` |" in text, table.name
    assert "| `users` |" in text and "`personal_data_access`" in text
