"""National codes and personal data: validation with checksums, and masking for display.

* 居民身份证号码 (GB 11643-1999): 6-digit area code, birth date ``YYYYMMDD``, 3-digit sequence
  (odd for men, even for women), ISO 7064 MOD 11-2 check character (``0-9`` or ``X``).
* 统一社会信用代码 (GB 32100-2015): 18 characters of the alphabet without I, O, S, V, Z, the
  last one an ISO 7064 MOD 31-3 check character.
"""

from __future__ import annotations

import re
from datetime import date

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# First two digits of the area code: provinces, Hong Kong (81), Macao (82), Taiwan (83).
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(rf"^[{CREDIT_ALPHABET}]{{18}}$")


def id_check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def normalize_id_number(value: str) -> str:
    """The canonical form of an ID number, or ``ValueError`` saying what is wrong with it."""
    number = value.strip().upper()
    if not _ID_SHAPE.match(number):
        raise ValueError("an ID number has 17 digits and a check digit (0-9 or X)")
    if int(number[:2]) not in _PROVINCES:
        raise ValueError("the ID number's area code is not a Chinese province")
    try:
        born = id_birth_date(number)
    except ValueError:
        raise ValueError("the ID number's birth date is not a date") from None
    if born.year < 1900 or born > date.today():
        raise ValueError("the ID number's birth date is out of range")
    if id_check_character(number[:17]) != number[17]:
        raise ValueError("the ID number's check digit is wrong")
    return number


def make_id_number(area_code: str, born: date, sequence: int) -> str:
    """A valid ID number (demo data and tests); ``sequence`` 0-999, odd for men."""
    first17 = f"{area_code}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_character(first17)


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    code = value.strip().upper()
    if not _CREDIT_SHAPE.match(code):
        raise ValueError("a unified social credit code has 18 characters (no I, O, S, V, Z)")
    if credit_check_character(code[:17]) != code[17]:
        raise ValueError("the unified social credit code's check character is wrong")
    return code


def make_credit_code(first17: str) -> str:
    return first17 + credit_check_character(first17)


# --- masking ------------------------------------------------------------------------------

_DISTRICT_MARKERS = ("区", "县", "旗")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two characters."""
    digits = phone.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_id_number(number: str) -> str:
    """``110101199003071234`` → ``1101**********1234`` (birth date and sequence hidden)."""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_address(address: str) -> str:
    """Kept down to the district (区/县/旗, else the city 市); everything after is hidden."""
    for markers in (_DISTRICT_MARKERS, ("市",)):
        cut = min((i for m in markers if (i := address.find(m)) >= 0), default=-1)
        if cut >= 0:
            return address[: cut + 1] + "****"
    return "****"
