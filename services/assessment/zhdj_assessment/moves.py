"""The registry paths this service copies, and which of them follow a move.

A cycle's target keeps its organization's ancestry (``root/.../org/``; an alliance: its lead
organization's) in ``cycle_targets.path``. The path decides **who sees** the target: its own
staff and those above it read its published result, any target's staff in scope read the
ranking, and the dashboards' overview counts the targets inside a subtree. Those are questions
about the tree as it is now, so the column follows the registry's moves log
(``zhdj_shared.moves``, docs/decisions/0009-moves.md), for every cycle, finalized and published
ones included: after a community moves to another street, the new street's staff see its
results and the old street's no longer do.

What a finalized cycle froze is its **content**, and no move changes it: the targets
themselves (chosen when the cycle opened), their totals, grades, ranks, rectification and
incentive lists, the scores and their evidence (``evidence["path"]`` is the URL a metric was
read from, not an organization's path), the alliance adjustment's basis. Only the path, which
is an authorization key and not a result, is rewritten.
"""

from __future__ import annotations

from zhdj_assessment.models import CycleTarget
from zhdj_shared.moves import CopiedPath

COPIED_PATHS = (CopiedPath(CycleTarget, "path", leading_slash=False),)
