"""Usernames name people in the audit trail and in four-eyes decisions, so one person has one
spelling: NFKC then case folding (`CX-STEWARD` and `ｃｘ－ｓｔｅｗａｒｄ` are `cx-steward`), then
only ASCII letters, digits and `. _ - @`. That refuses invisible characters (zero-width
spaces, joiners, bidi controls) and look-alikes from other scripts (a Cyrillic `а` in
`аdmin`) outright, with no confusables table to keep current. Names the platform writes
itself (`pipeline`, `api-key:…`, `system`…) are reserved."""

from __future__ import annotations

import re
import unicodedata

_ALLOWED = re.compile(r"[a-z0-9](?:[a-z0-9._@-]{1,118})[a-z0-9]")
RESERVED = frozenset({"pipeline", "api", "system", "anonymous", "unknown", "root", "dagster"})
RESERVED_PREFIXES = ("api-key", "apikey", "pipeline", "system")
_INVISIBLE = {"Cf", "Cc", "Zl", "Zp", "Mn", "Me"}  # format/controls, combining marks


class InvalidUsername(ValueError):
    """The name cannot be an account's username; the message says why (in English)."""


def normalise_username(name: str) -> str:
    """The canonical spelling of `name` (NFKC, case-folded, surrounding blanks removed);
    raises `InvalidUsername` when it is invisible, confusable, malformed or reserved."""
    folded = unicodedata.normalize("NFKC", name).casefold().strip()
    folded = unicodedata.normalize("NFKC", folded)  # casefold may undo NFKC (e.g. 'ß')
    if any(unicodedata.category(ch) in _INVISIBLE for ch in folded):
        raise InvalidUsername("the username holds invisible or combining characters")
    if folded in RESERVED or folded.startswith(RESERVED_PREFIXES):
        raise InvalidUsername(f"the username {folded!r} is reserved for the platform")
    if not folded.isascii():
        raise InvalidUsername(
            "the username may only hold ASCII letters, digits and . _ - @ "
            "(look-alike letters of other scripts are refused)"
        )
    if not _ALLOWED.fullmatch(folded):
        raise InvalidUsername(
            "the username needs 3 to 120 characters: letters, digits and . _ - @, "
            "starting and ending with a letter or digit"
        )
    return folded


def lookup_name(name: str) -> str | None:
    """The spelling to look `name` up by at sign-in (None: no account can have it)."""
    try:
        return normalise_username(name)
    except InvalidUsername:
        return None
