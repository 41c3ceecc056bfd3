"""French and English strings. French is the default; `?lang=en` switches a page to English."""

from __future__ import annotations

import json
from pathlib import Path

LANGS = ("fr", "en")

STRINGS: dict[str, dict[str, str]] = {
    lang: json.loads((Path(__file__).parent / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in LANGS
}


def t(key: str, lang: str = "fr", **kwargs: object) -> str:
    text = STRINGS.get(lang, STRINGS["fr"]).get(key) or STRINGS["fr"].get(key, key)
    return text.format(**kwargs) if kwargs else text


def fmt_num(value: object, lang: str = "fr", digits: int = 0) -> str:
    """A number written the way the language writes it (French: 1 234,5)."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    else:
        text = f"{float(value):,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def fmt_pct(value: float | None, lang: str = "fr") -> str:
    if value is None:
        return "—"
    return fmt_num(100 * value, lang, 1) + ("\u00a0%" if lang == "fr" else "%")
