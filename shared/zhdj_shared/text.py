"""Chinese text helpers: pinyin keys for search and for sorting names the way people expect.

A phone user types ``hnd`` or ``hongniudai`` for 红纽带; staff sort lists by pinyin, as Chinese
dictionaries do. Names are stored with a full-pinyin key and an initials key computed on write.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import ColumnElement, or_

_ASCII_QUERY = re.compile(r"^[a-z0-9 ]+$")


@dataclass(frozen=True)
class PinyinKey:
    full: str  # "hongniudai"
    initials: str  # "hnd"


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), trimmed, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


_HAN_RUN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff]+)")


def pinyin_key(text: str) -> PinyinKey:
    """Han characters become syllables (initials: first letters); Latin and digits stay whole."""
    full: list[str] = []
    initials: list[str] = []
    for run in _HAN_RUN.split(normalize(text)):
        if not run:
            continue
        if _HAN_RUN.fullmatch(run):
            syllables = lazy_pinyin(run, style=Style.NORMAL)
            full.extend(syllables)
            initials.extend(s[0] for s in syllables if s)
        else:
            latin = re.sub(r"[^a-z0-9]", "", run.lower())
            full.append(latin)
            initials.append(latin)
    return PinyinKey(full="".join(full), initials="".join(initials))


def is_pinyin_query(query: str) -> bool:
    """Letters and digits only: match against the pinyin keys rather than the Chinese name."""
    return bool(_ASCII_QUERY.match(normalize(query).lower()))


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# From this many letters on, a pinyin query also matches inside the keys: names often start
# with a common prefix (中共..., ...街道) that the user does not type.
CONTAINS_FROM_LETTERS = 3


def name_search(name: Any, pinyin: Any, initials: Any, query: str) -> ColumnElement[bool]:
    """The one name filter of every list: Chinese text anywhere in the name; Latin letters as a
    prefix of the full pinyin or of the initials (``hnd`` finds 红纽带), or anywhere in them from
    three letters on (``nyfz`` finds 示范市农业发展集团...)."""
    text = normalize(query)
    in_name: ColumnElement[bool] = name.like(f"%{like_escape(text)}%", escape="\\")
    if not is_pinyin_query(text):
        return in_name
    letters = like_escape(text.lower().replace(" ", ""))
    pattern = f"%{letters}%" if len(letters) >= CONTAINS_FROM_LETTERS else f"{letters}%"
    return or_(
        pinyin.like(pattern, escape="\\"),
        initials.like(pattern, escape="\\"),
        in_name,
    )
