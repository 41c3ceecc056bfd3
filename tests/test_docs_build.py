"""`make docs` builds the French technical report (5 to 8 A4 pages) and the client deck (one
PDF page per slide, with the screenshots of the real interface embedded); the PDFs committed
beside their sources were built from those sources as they are now."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def _builder():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "docs/tools/build_docs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build_docs = _builder()
DECK_SOURCE = build_docs.DECK.source.read_text(encoding="utf-8")
SLIDES = [c for c in build_docs.SLIDE_BREAK.split(DECK_SOURCE) if c.strip()]
SHOT = re.compile(r"!\[[^\]]*\]\([^)]*(tests/artifacts/screenshots/[\w.-]+\.png)\)")
SCREENSHOTS = sorted(set(SHOT.findall(DECK_SOURCE)))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium missing: run scripts/install_test_deps.sh")
    out = tmp_path_factory.mktemp("docs")
    run = subprocess.run(
        ["bash", "scripts/build_docs.sh", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert run.returncode == 0, f"make docs failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return out


def test_the_deck_shows_screenshots() -> None:
    assert len(SCREENSHOTS) >= 3, SCREENSHOTS
    assert 12 <= len(SLIDES) <= 16


@pytest.mark.browser
def test_report_is_a_french_pdf_of_5_to_8_pages(built: Path) -> None:
    reader = PdfReader(built / "rapport-technique.pdf")
    assert 5 <= len(reader.pages) <= 8, len(reader.pages)
    assert str(reader.trailer["/Root"]["/Lang"]) == "fr-FR"
    text = " ".join(page.extract_text() for page in reader.pages)
    for heading in (
        "Contexte et besoins",
        "Choix technologiques",
        "Architecture",
        "Résultats mesurés",
        "Difficultés rencontrées",
        "Perspectives",
    ):
        assert heading in text, heading
    # The architecture diagram is drawn (Mermaid → SVG), not left as Mermaid source.
    assert "flowchart" not in text
    assert "Quarantaine" in text


@pytest.mark.browser
def test_deck_has_one_page_per_slide_and_embeds_the_screenshots(built: Path) -> None:
    reader = PdfReader(built / "presentation.pdf")
    assert len(reader.pages) == len(SLIDES)
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width / height - 16 / 9) < 0.01
    slides_with_shots = [i for i, s in enumerate(SLIDES) if SHOT.search(s)]
    for i in slides_with_shots:
        assert len(reader.pages[i].images) >= 1, f"slide {i + 1} shows no screenshot"
    html = (built / "presentation.html").read_text(encoding="utf-8")
    assert html.count('<section class="slide') == len(SLIDES)
    sources = re.findall(r'<img\b[^>]*\bsrc="([^"]{0,40})', html)
    assert len(sources) == len(SCREENSHOTS)
    assert all(src.startswith("data:image/png;base64,") for src in sources), sources


@pytest.mark.parametrize("doc", ["report", "deck"])
def test_committed_pdf_is_built_from_the_current_sources(doc: str) -> None:
    document = build_docs.DOCUMENTS[doc]
    pdf = document.source.parent / document.pdf
    assert pdf.exists(), f"{pdf.relative_to(ROOT)} is not committed: run make docs"
    assert build_docs.pdf_digest(pdf) == build_docs.source_digest(document), (
        f"{pdf.relative_to(ROOT)} is stale: its sources changed since it was built; run make docs"
    )
