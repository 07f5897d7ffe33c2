"""The registry paths this service copies, rewritten when the registry moves a subtree.

``service_requests.handling_path`` is the handling organization's path (``/root/.../org/``, the
registry's own form): the staff queue of an organization is a prefix scan of it, and who may
read or handle a request is decided on it (``services/access.py``) as are the webhook
subscriptions that see its events (``services/outbox.py``). After a move the queue of the
organization's new superior must hold its requests and the old one's must not, so the column
follows the registry's moves log (``zhdj_shared.moves``, docs/decisions/0009-moves.md).

Nothing else here holds a path: webhook subscriptions keep organization ids, whose subtree is
read from the requests' paths when an event is recorded.
"""

from __future__ import annotations

from zhdj_service_requests.models.requests import ServiceRequest
from zhdj_shared.moves import CopiedPath

COPIED_PATHS = (CopiedPath(ServiceRequest, "handling_path"),)
