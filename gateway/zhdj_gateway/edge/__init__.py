"""The gateway's edge: pure ASGI in front of the identity app and the services (see ``core``)."""

from zhdj_gateway.edge.core import Edge
from zhdj_gateway.edge.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

__all__ = ["Edge", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]
