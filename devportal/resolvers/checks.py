"""Input checks shared by several resolvers: each refuses with a message the user can act on."""

import re
import unicodedata

from devportal.errors import BadUserInput

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
_ID = re.compile(r"^[1-9][0-9]{0,9}$")
MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER: a larger number can name no row
LINE_BREAKS = frozenset("\n\r\t")
_BREAKING = frozenset({"Cc", "Zl", "Zp"})  # control characters, line and paragraph separators


def parse_id(text: str) -> int | None:
    """A row's primary key written as text, or None if no row can have it."""
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def required_text(value: str, what: str, limit: int = 200, *, lines: bool = False) -> str:
    """Trimmed text of 1 to ``limit`` characters, without control characters.

    Names are one line (they end up in mail subjects and headers); text with
    ``lines`` may also hold line breaks and tabs.
    """
    value = value.strip()
    if not value or len(value) > limit:
        raise BadUserInput(f"{what} must be 1 to {limit} characters.")
    allowed = LINE_BREAKS if lines else frozenset()
    if any(unicodedata.category(c) in _BREAKING and c not in allowed for c in value):
        kind = "control characters" if lines else "line breaks or control characters"
        raise BadUserInput(f"{what} cannot contain {kind}.")
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
