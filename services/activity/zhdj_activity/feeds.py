"""Calendar subscription links: a phone's calendar app cannot send a bearer token, so a feed
URL carries its own capability, an HMAC of the organization id under the service's key.

The link reveals only that organization's planned activities (titles, times, places). The key
is ``ZHDJ_ACTIVITY_CALENDAR_SECRET``, else the service's client secret (generated once per
install), else a random key drawn with the settings, once per start and shared by its worker
processes (links then stop working at restart). Rotating the key
revokes every link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from zhdj_activity.settings import ActivitySettings


def feed_key(settings: ActivitySettings) -> bytes:
    secret = settings.calendar_secret or settings.client_secret
    if secret:
        return hashlib.sha256(b"zhdj-activity-calendar:" + secret.encode()).digest()
    return settings.random_calendar_key  # links then last until the next start


def feed_token(key: bytes, org_id: str) -> str:
    digest = hmac.new(key, b"calendar:" + org_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def valid_feed_token(key: bytes, org_id: str, token: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters (a forged token may have them).
    return hmac.compare_digest(feed_token(key, org_id).encode(), token.encode())
