"""Sessions for work outside a request (start-up seeding, signing keys, API-key exchange).

Requests use ``zhdj_shared.db.SessionDep``. The few components that run outside a request take a
:class:`SessionSource`, whose ``factory`` tests point at their isolated connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession

from zhdj_shared.db import Database

SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def unit_of_work(database: Database) -> SessionFactory:
    @asynccontextmanager
    async def session() -> AsyncIterator[AsyncSession]:
        async for s in database.unit_of_work():
            yield s

    return session


class SessionSource:
    """A replaceable session factory shared by the out-of-request components."""

    def __init__(self, factory: SessionFactory) -> None:
        self.factory = factory

    def __call__(self) -> AbstractAsyncContextManager[AsyncSession]:
        return self.factory()
