"""The hash chain of an activity's event log (全程纪实).

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
content (activity, sequence number, kind, payload, actor, time). Changing, removing or
reordering any stored event breaks its own link or the next one, and :func:`verify` names the
first event where the chain stops holding. Canonical form: JSON with sorted keys and no spaces,
times as UTC ISO-8601 with microseconds, so both databases hash the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from zhdj_activity.models import ActivityEvent

GENESIS = "0" * 64


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    prev_hash: str,
    *,
    activity_id: str,
    seq: int,
    kind: str,
    payload: dict[str, Any],
    actor: str,
    at: datetime,
) -> str:
    content = orjson.dumps(
        {
            "activity_id": activity_id,
            "seq": seq,
            "kind": kind,
            "payload": payload,
            "actor": actor,
            "at": canonical_time(at),
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


def rehash(event: ActivityEvent) -> str:
    return event_hash(
        event.prev_hash,
        activity_id=event.activity_id,
        seq=event.seq,
        kind=event.kind,
        payload=dict(event.payload),
        actor=event.actor,
        at=event.at,
    )


@dataclass(frozen=True)
class Verdict:
    events: int
    first_broken_seq: int | None
    problem: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify(events: Sequence[ActivityEvent]) -> Verdict:
    """Walk the chain in sequence order; the first event that does not hold is reported."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return Verdict(len(events), expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev:
            return Verdict(len(events), event.seq, "does not link to the previous event")
        if rehash(event) != event.hash:
            return Verdict(len(events), event.seq, "content does not match its hash")
        prev = event.hash
    return Verdict(len(events), None, None)
