"""One-line text: names, ids and labels never hold control characters.

Its own module, apart from :mod:`zhdj_shared.text`, because that one loads pypinyin's phrase
dictionaries (~54 MB resident): the gateway validates names but never computes pinyin, and
importing the validator from there made every gateway process 54 MB bigger.
"""

from __future__ import annotations

import re

# C0 and C1 control characters (NUL included) and DEL: never part of a name or a label, and
# PostgreSQL cannot store NUL in text at all (SQLite would, so the two would disagree).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def no_control_characters(text: str) -> str:
    """For pydantic ``AfterValidator``: refuse a one-line text with control characters."""
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters (tabs, line breaks, NUL...)")
    return text
