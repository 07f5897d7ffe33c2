"""Identifiers: strings, time-ordered (UUIDv7 layout) so new rows land at the end of indexes."""

from __future__ import annotations

import os
import time


def new_id() -> str:
    """A UUIDv7 as 32 lowercase hex digits: 48-bit milliseconds, version, random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 68) << 64 & (0xFFF << 64)
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)
    return f"{value:032x}"
