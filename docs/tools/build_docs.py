"""Build the client's documents from Markdown: the French technical report (A4 PDF) and the
deck (16:9 slides, PDF and self-contained HTML).

Markdown is turned into HTML by Python-Markdown; ```mermaid blocks are drawn to SVG by Mermaid
(docs/tools/node_modules, `npm ci`) inside Debian's headless Chromium, which Playwright also
uses to print the PDF (no browser download). Local images are embedded as data URIs, so the
HTML stands alone. Each PDF carries, in its metadata, the SHA-256 of the sources it was built
from (`source_digest`): tests/test_docs_build.py compares it with the committed sources.

Usage: python docs/tools/build_docs.py [--out DIR] [--only report|deck]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import logging
import mimetypes
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import markdown
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "docs" / "tools"
MERMAID_JS = TOOLS / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MD_EXTENSIONS = ["tables", "fenced_code", "attr_list", "md_in_html", "sane_lists", "footnotes"]
DIGEST_KEY = "/HealthAISourceDigest"
# Chromium's PDFs make pypdf warn about their trailer size; nothing is wrong with them.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Document:
    name: str
    source: Path
    css: Path
    pdf: str  # output file name
    html: str | None  # output file name of the standalone HTML, if kept
    title: str

    @property
    def inputs(self) -> list[Path]:
        """What the PDF is built from (the screenshots excepted: they change at every test run)."""
        return [self.source, self.css, Path(__file__).resolve(), TOOLS / "package-lock.json"]


REPORT = Document(
    name="report",
    source=ROOT / "docs" / "report" / "rapport-technique.md",
    css=ROOT / "docs" / "report" / "print.css",
    pdf="rapport-technique.pdf",
    html=None,
    title="HealthAI Coach — Rapport technique de la plateforme de données",
)
DECK = Document(
    name="deck",
    source=ROOT / "docs" / "deck" / "presentation.md",
    css=ROOT / "docs" / "deck" / "slides.css",
    pdf="presentation.pdf",
    html="presentation.html",
    title="HealthAI Coach — Plateforme de données : présentation technique",
)
DOCUMENTS = {d.name: d for d in (REPORT, DECK)}
SLIDE_BREAK = re.compile(r"^---\s*$", re.MULTILINE)
SLIDE_CLASS = re.compile(r"^\s*<!--\s*class:\s*([\w -]+?)\s*-->\s*", re.IGNORECASE)
MERMAID_BLOCK = re.compile(r"^```mermaid\s*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def source_digest(doc: Document) -> str:
    """SHA-256 over the document's inputs (names and bytes), written into the PDF."""
    h = hashlib.sha256()
    for path in doc.inputs:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        h.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def pdf_digest(pdf: Path) -> str | None:
    meta = PdfReader(pdf).metadata or {}
    value = meta.get(DIGEST_KEY)
    return str(value) if value is not None else None


class Browser:
    """One headless Chromium for every diagram and every PDF of a build."""

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        if not Path(CHROMIUM).exists():
            sys.exit("Debian chromium missing: run scripts/install_docs_deps.sh")
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        self._mermaid_page = None
        return self

    def __exit__(self, *exc: object) -> None:
        self.browser.close()
        self._pw.stop()

    def mermaid_svg(self, source: str, ident: str) -> str:
        if not MERMAID_JS.exists():
            sys.exit("mermaid missing: run scripts/install_docs_deps.sh (npm ci in docs/tools)")
        if self._mermaid_page is None:
            page = self.browser.new_page()
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(path=str(MERMAID_JS))
            page.evaluate(
                """() => mermaid.initialize({
                    startOnLoad: false, theme: 'neutral', securityLevel: 'strict',
                    fontFamily: 'DejaVu Sans, sans-serif',
                    flowchart: {htmlLabels: false, curve: 'basis'}})"""
            )
            self._mermaid_page = page
        return self._mermaid_page.evaluate(
            "async ([id, src]) => (await mermaid.render(id, src)).svg", [ident, source]
        )

    def print_pdf(self, html_text: str, out: Path, *, slides: bool) -> None:
        page = self.browser.new_page()
        page.set_content(html_text, wait_until="load")
        page.evaluate("document.fonts.ready")
        options: dict = {"path": str(out), "print_background": True, "tagged": True}
        if slides:
            options |= {"width": "1280px", "height": "720px", "prefer_css_page_size": True}
        else:
            options |= {
                "format": "A4",
                "outline": True,
                "margin": {"top": "18mm", "bottom": "20mm", "left": "20mm", "right": "20mm"},
                "display_header_footer": True,
                "header_template": "<span></span>",
                "footer_template": (
                    '<div style="font: 8pt DejaVu Sans, sans-serif; color: #555; width: 100%;'
                    ' padding: 0 20mm; display: flex; justify-content: space-between;">'
                    "<span>HealthAI Coach — rapport technique</span>"
                    '<span><span class="pageNumber"></span> / <span class="totalPages"></span>'
                    "</span></div>"
                ),
            }
        page.pdf(**options)
        page.close()


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def embed_images(html_text: str, base: Path) -> tuple[str, list[Path]]:
    """Local images become data URIs; a missing one stops the build with its path."""
    used: list[Path] = []

    def repl(m: re.Match[str]) -> str:
        src = html.unescape(m.group(2))
        if src.startswith(("data:", "http:", "https:")):
            return m.group(0)
        path = (base / src).resolve()
        if not path.exists():
            sys.exit(
                f"image missing: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                " (screenshots: bash scripts/build_docs.sh runs the browser screenshot tests)"
            )
        used.append(path)
        return m.group(1) + _data_uri(path) + m.group(3)

    return IMG_SRC.sub(repl, html_text), used


def draw_diagrams(text: str, browser: Browser, prefix: str) -> str:
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        svg = browser.mermaid_svg(m.group(1), f"{prefix}-diagram-{count}")
        return f'<div class="diagram">{svg}</div>\n'

    return MERMAID_BLOCK.sub(repl, text)


def page_html(doc: Document, body: str, *, slides: bool) -> str:
    css = doc.css.read_text(encoding="utf-8")
    cls = "slides" if slides else "report"
    return (
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(doc.title)}</title>\n<style>\n{css}\n</style>\n</head>\n"
        f'<body class="{cls}">\n<main>\n{body}\n</main>\n</body>\n</html>\n'
    )


def render_report(browser: Browser) -> str:
    text = draw_diagrams(REPORT.source.read_text(encoding="utf-8"), browser, "report")
    body = markdown.markdown(text, extensions=MD_EXTENSIONS, output_format="html")
    return page_html(REPORT, body, slides=False)


def render_deck(browser: Browser) -> tuple[str, int]:
    text = draw_diagrams(DECK.source.read_text(encoding="utf-8"), browser, "deck")
    sections = []
    chunks = [c for c in SLIDE_BREAK.split(text) if c.strip()]
    for number, chunk in enumerate(chunks, start=1):
        classes = ["slide"]
        m = SLIDE_CLASS.match(chunk)
        if m:
            classes += m.group(1).split()
            chunk = chunk[m.end() :]
        inner = markdown.markdown(chunk, extensions=MD_EXTENSIONS, output_format="html")
        sections.append(
            f'<section class="{" ".join(classes)}" id="diapo-{number}" '
            f'aria-label="Diapositive {number}">\n{inner}\n'
            f'<p class="page-number" aria-hidden="true">{number} / {len(chunks)}</p>\n</section>'
        )
    return page_html(DECK, "\n".join(sections), slides=True), len(chunks)


def finish_pdf(pdf: Path, doc: Document) -> None:
    """Title, language and the digest of the sources into the PDF's metadata."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    writer.add_metadata(
        {
            "/Title": doc.title,
            "/Author": "HealthAI Coach — équipe plateforme de données",
            "/Subject": f"built by make docs from {doc.source.relative_to(ROOT).as_posix()}",
            DIGEST_KEY: source_digest(doc),
        }
    )
    # The document's language, for screen readers (pypdf has no setter for the catalog's /Lang).
    writer._root_object[NameObject("/Lang")] = TextStringObject("fr-FR")
    with pdf.open("wb") as f:
        writer.write(f)


def build(names: list[str], out: Path | None) -> None:
    with Browser() as browser:
        for name in names:
            doc = DOCUMENTS[name]
            target = out or doc.source.parent
            target.mkdir(parents=True, exist_ok=True)
            if name == "report":
                page = render_report(browser)
                slides, count = False, None
            else:
                page, count = render_deck(browser)
                slides = True
            page, images = embed_images(page, doc.source.parent)
            if doc.html:
                (target / doc.html).write_text(page, encoding="utf-8")
            pdf = target / doc.pdf
            browser.print_pdf(page, pdf, slides=slides)
            finish_pdf(pdf, doc)
            pages = len(PdfReader(pdf).pages)
            what = f"{pages} pages" + (f", {count} slides, {len(images)} images" if slides else "")
            print(f"{pdf.relative_to(ROOT) if pdf.is_relative_to(ROOT) else pdf}: {what}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (default: beside each source)")
    parser.add_argument("--only", choices=sorted(DOCUMENTS), action="append")
    args = parser.parse_args(argv)
    build(args.only or list(DOCUMENTS), args.out.resolve() if args.out else None)


if __name__ == "__main__":
    main()
