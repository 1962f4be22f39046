"""Input checks shared by several resolvers: each refuses with a message the user can act on."""

import re
import unicodedata

from devportal.errors import BadUserInput

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
_ID = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER: a larger number can name no row
LINE_BREAKS = frozenset("\n\r\t")
# Control and format characters, line and paragraph separators. Format characters (Cf) are
# invisible or steer how the text around them shows: text-direction overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), zero-width spaces and joiners, the byte order mark...
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# The rest of Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): invisible
# letters (Hangul fillers) and marks, and code points reserved to be ignorable. Variation
# selectors, though ignorable, are allowed: they pick a glyph, as in U+2764 U+FE0F (an emoji).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u2065\u3164\uffa0\ufff0-\ufff8"
    "\U000e0000-\U000e00ff\U000e01f0-\U000e0fff]"
)


def parse_id(text: str) -> int | None:
    """A row's primary key written as text, or None if no row can have it."""
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def unseen(char: str) -> bool:
    """Whether ``char`` breaks a line, controls a terminal, or shows as nothing while
    changing what an admin sees (U+202E shows "exe.txt" as "txt.exe")."""
    return unicodedata.category(char) in _REFUSED_CATEGORIES or _IGNORABLE.match(char) is not None


def required_text(value: str, what: str, limit: int = 200, *, lines: bool = False) -> str:
    """Trimmed text of 1 to ``limit`` characters that shows as what it holds.

    Names are one line (they end up in mail subjects and headers); text with
    ``lines`` may also hold line breaks and tabs. Neither may hold other control
    characters, nor invisible or text-direction ones (see ``unseen``).
    """
    value = value.strip()
    if not value or len(value) > limit:
        raise BadUserInput(f"{what} must be 1 to {limit} characters.")
    allowed = LINE_BREAKS if lines else frozenset()
    refused = next((c for c in value if unseen(c) and c not in allowed), None)
    if refused is not None:
        kind = "" if lines else "line breaks, "
        raise BadUserInput(
            f"{what} cannot contain U+{ord(refused):04X}: no {kind}control, invisible "
            "or text-direction characters."
        )
    return value


def optional_text(
    value: str | None, what: str, limit: int = 200, *, lines: bool = False
) -> str | None:
    if value is None or not value.strip():
        return None
    return required_text(value, what, limit, lines=lines)


def is_slug(value: str) -> bool:
    return _SLUG.fullmatch(value) is not None


def is_version_name(value: str) -> bool:
    return _VERSION_NAME.fullmatch(value) is not None


def slug(value: str, what: str) -> str:
    value = value.strip()
    if not is_slug(value):
        raise BadUserInput(
            f"{what} must be 1 to 100 lower-case letters, digits and dashes, "
            "not starting or ending with a dash."
        )
    return value


def version_name(value: str) -> str:
    """A version's name is the last segment of its gateway path: it must fit one."""
    value = value.strip()
    if not is_version_name(value):
        raise BadUserInput(
            "The version name must be 1 to 50 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    return value
