"""The per-request context: the principal, one session in one transaction, and the dataloaders.

graphql-core resolves sibling fields concurrently, but one connection runs one statement at a
time, so every statement goes through `Db`, which serialises them on a lock. When an error nulls
the whole answer, graphql-core cancels the siblings it started and returns: a statement cancelled
in flight would leave the connection unusable (and the request a 503), so each runs in a task of
its own that a cancelled resolver does not take down, and the endpoint closes the `Db` before it
commits (waiting for the statement in flight); a statement asked for after that gets
`RequestClosed`, never the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from app.auth.principal import Principal
from app.db.scope import savepoint
from app.errors import Forbidden
from app.services import Services


class Unauthenticated(Exception):
    """No valid token: mapped to a GraphQL error with `extensions.code` UNAUTHENTICATED."""


class RequestClosed(Exception):
    """The request has its answer: a resolver still running after that reads nothing more."""


def _retrieve(task: asyncio.Future) -> None:
    """Mark the outcome of an abandoned statement seen (its resolver was cancelled: nobody waits)."""
    if not task.cancelled():
        task.exception()


class Db:
    def __init__(self, session: AsyncSession, only_write: bool = False):
        self.session = session
        self.lock = asyncio.Lock()
        self.closed = False
        # The request's one action is its only write: the transaction undoes it (`undo`), and the
        # savepoint's two round trips are saved.
        self.only_write = only_write
        self.undo = False

    async def rows(self, statement, params: dict | None = None) -> Sequence[Any]:
        return await self.read(lambda session: self._all(session, statement, params))

    @staticmethod
    async def _all(session: AsyncSession, statement, params: dict | None) -> Sequence[Any]:
        return (await session.execute(statement, params or {})).all()

    async def read(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run read-only code that takes the session (e.g. the health inputs of a batch)."""
        return await self._uncancellable(work)

    async def run(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run an action on the session, inside a savepoint: a domain error undoes its writes.

        The only action of a one-field mutation runs without one: when it fails, `undo` tells the
        endpoint to roll the whole transaction back instead of committing it.
        """

        async def in_savepoint(session: AsyncSession) -> Any:
            async with savepoint(session):
                return await work(session)

        async def alone(session: AsyncSession) -> Any:
            try:
                return await work(session)
            except BaseException:
                self.undo = True
                raise

        only, self.only_write = self.only_write, False
        return await self._uncancellable(alone if only else in_savepoint)

    async def _uncancellable(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """`work` under the lock, in its own task: cancelling the caller leaves it to finish."""

        async def locked() -> Any:
            async with self.lock:
                self._open()
                return await work(self.session)

        task = asyncio.ensure_future(locked())
        task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    async def close(self) -> None:
        """No statement after this one returns (the one in flight, if any, finishes first)."""
        async with self.lock:
            self.closed = True

    def _open(self) -> None:
        if self.closed:
            raise RequestClosed("The request has already been answered.")


class SharedLoader(DataLoader):
    """A DataLoader whose loads a cancelled caller leaves running.

    The loader caches one future per key, so two parts of an answer asking the same page await the
    same future. When an error nulls one of them, graphql-core cancels that part's siblings, and
    cancelling a task cancels the future it awaits: the other part would get `CancelledError`
    (which no field error handler catches, so the whole request fails), and with every future of a
    batch cancelled the loader cancels the batch itself. Each caller awaits the future through a
    shield instead: cancelling it abandons only its own wait.
    """

    def load(self, key):
        return asyncio.shield(super().load(key))


@dataclass
class Context:
    services: Services
    db: Db
    principal: Principal | None
    client_address: str = ""
    loaders: dict[Hashable, SharedLoader] = field(default_factory=dict)
    # Set when an operation was refused for rate: the response becomes 429 with Retry-After.
    retry_after: int | None = None

    @property
    def viewer(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("Sign in first: send `Authorization: Bearer <token>` (see the login mutation).")
        return self.principal

    def user_viewer(self) -> Principal:
        viewer = self.viewer
        if viewer.kind != "user":
            raise Forbidden("This operation needs a signed-in user, not an API key.")
        return viewer

    def loader(self, name: Hashable, batch: Callable[[list], Awaitable[list]]) -> SharedLoader:
        """The request's DataLoader called `name`, created on first use."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = SharedLoader(load_fn=batch)
        return found


Info = StrawberryInfo[Context, None]
