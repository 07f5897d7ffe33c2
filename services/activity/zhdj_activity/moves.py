"""The registry paths this service copies, rewritten when the registry moves a subtree.

Three columns hold an organization's ancestry joined by "/" (``root/.../org/``, without the
registry's leading "/"): an activity's ``owner_path`` (who manages it: reads and writes are
authorized on it, and a subtree's activities are a prefix scan), a participant's
``party_path`` (compliance and statistics of a subtree) and a volunteer record's ``org_path``
(a subtree's volunteer hours). All three follow the registry's moves log
(``zhdj_shared.moves``, docs/decisions/0009-moves.md): after a move the organization's new
superiors manage and count its activities, the old ones no longer do.

The activity event log (全程纪实) is hash-chained and holds no path; it is never rewritten.
"""

from __future__ import annotations

from zhdj_activity.models import Activity, Participant, VolunteerRecord
from zhdj_shared.moves import CopiedPath

COPIED_PATHS = (
    CopiedPath(Activity, "owner_path", leading_slash=False),
    CopiedPath(Participant, "party_path", leading_slash=False),
    CopiedPath(VolunteerRecord, "org_path", leading_slash=False),
)
