"""The request workflow as one explicit state machine: each legal move is a row of TRANSITIONS.

A move that is not in the table is refused with 409 and changes nothing (the service checks the
table before touching the request). ``docs/service-requests.md`` shows the same table.

============  ================================  ============  ================================
action        from                              to            who
============  ================================  ============  ================================
cancel        submitted                         cancelled     the resident (or who submitted)
accept        submitted                         accepted      staff (受理)
reject        submitted                         rejected      staff, with a reason
dispatch      accepted, reopened                dispatched    staff (派单): org, dept or team
transfer      dispatched                        dispatched    the handler (转办) to another
send_back     dispatched                        accepted      the handler (退单), with a reason
start         accepted, dispatched, reopened    in_progress   the handler
resolve       in_progress                       resolved      the handler (办结), with a result
rate          resolved                          closed        the resident: 1 to 5, comment
reopen        resolved                          reopened      the resident, unsatisfied (发回重办)
                                                              within the reopen window
close         resolved                          closed        automatic, after the window
============  ================================  ============  ================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhdj_shared.errors import Conflict


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "已提交",
    Status.ACCEPTED: "已受理",
    Status.REJECTED: "不予受理",
    Status.DISPATCHED: "已派单",
    Status.IN_PROGRESS: "办理中",
    Status.RESOLVED: "已办结",
    Status.REOPENED: "发回重办",
    Status.CLOSED: "已关闭",
    Status.CANCELLED: "已撤销",
}

# Terminal states: the request leaves every queue and every deadline stops.
FINAL = frozenset({Status.REJECTED, Status.CLOSED, Status.CANCELLED})
# Open states: a deadline runs and escalation applies.
OPEN = frozenset(Status) - FINAL
# Before acceptance the response deadline runs; after it, the resolution deadline.
AWAITING_RESPONSE = frozenset({Status.SUBMITTED})
AWAITING_RESOLUTION = frozenset(
    {Status.ACCEPTED, Status.DISPATCHED, Status.IN_PROGRESS, Status.REOPENED}
)


class Action(StrEnum):
    CANCEL = "cancel"
    ACCEPT = "accept"
    REJECT = "reject"
    DISPATCH = "dispatch"
    TRANSFER = "transfer"
    SEND_BACK = "send_back"
    START = "start"
    RESOLVE = "resolve"
    RATE = "rate"
    REOPEN = "reopen"
    CLOSE = "close"


class Actor(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    SYSTEM = "system"


ACTION_LABELS: dict[str, str] = {
    "submit": "提交",
    Action.CANCEL: "撤销",
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.DISPATCH: "派单",
    Action.TRANSFER: "转办",
    Action.SEND_BACK: "退单",
    Action.START: "开始办理",
    Action.RESOLVE: "办结",
    Action.RATE: "评价",
    Action.REOPEN: "发回重办",
    Action.CLOSE: "关闭",
    "escalate": "督办",
    "extension_requested": "申请延期",
    "extension_approved": "批准延期",
    "extension_denied": "驳回延期",
    "linked_duplicate": "关联重复诉求",
    "attachment_added": "上传附件",
}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    actor: Actor


TRANSITIONS: dict[Action, Transition] = {
    Action.CANCEL: Transition(frozenset({Status.SUBMITTED}), Status.CANCELLED, Actor.RESIDENT),
    Action.ACCEPT: Transition(frozenset({Status.SUBMITTED}), Status.ACCEPTED, Actor.STAFF),
    Action.REJECT: Transition(frozenset({Status.SUBMITTED}), Status.REJECTED, Actor.STAFF),
    Action.DISPATCH: Transition(
        frozenset({Status.ACCEPTED, Status.REOPENED}), Status.DISPATCHED, Actor.STAFF
    ),
    Action.TRANSFER: Transition(frozenset({Status.DISPATCHED}), Status.DISPATCHED, Actor.STAFF),
    Action.SEND_BACK: Transition(frozenset({Status.DISPATCHED}), Status.ACCEPTED, Actor.STAFF),
    Action.START: Transition(
        frozenset({Status.ACCEPTED, Status.DISPATCHED, Status.REOPENED}),
        Status.IN_PROGRESS,
        Actor.STAFF,
    ),
    Action.RESOLVE: Transition(frozenset({Status.IN_PROGRESS}), Status.RESOLVED, Actor.STAFF),
    Action.RATE: Transition(frozenset({Status.RESOLVED}), Status.CLOSED, Actor.RESIDENT),
    Action.REOPEN: Transition(frozenset({Status.RESOLVED}), Status.REOPENED, Actor.RESIDENT),
    Action.CLOSE: Transition(frozenset({Status.RESOLVED}), Status.CLOSED, Actor.SYSTEM),
}


def next_status(current: str, action: Action) -> Status:
    """The state after ``action``; 409 when the table has no such move from ``current``."""
    transition = TRANSITIONS[action]
    status = Status(current)
    if status not in transition.sources:
        allowed = ", ".join(sorted(a.value for a in allowed_actions(status)))
        raise Conflict(
            f"cannot {action.value} a request that is {status.value} "
            f"({STATUS_LABELS[status]}); allowed now: {allowed or 'nothing'}"
        )
    return transition.target


def allowed_actions(status: Status) -> list[Action]:
    return [a for a, t in TRANSITIONS.items() if status in t.sources]
