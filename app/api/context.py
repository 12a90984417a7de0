"""The per-request context: the principal, one session in one transaction, and the dataloaders.

graphql-core resolves sibling fields concurrently, but one connection runs one statement at a
time, so every statement goes through `Db`, which serialises them on a lock.
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
from app.errors import Forbidden
from app.services import Services


class Unauthenticated(Exception):
    """No valid token: mapped to a GraphQL error with `extensions.code` UNAUTHENTICATED."""


class Db:
    def __init__(self, session: AsyncSession):
        self.session = session
        self.lock = asyncio.Lock()

    async def rows(self, statement, params: dict | None = None) -> Sequence[Any]:
        async with self.lock:
            return (await self.session.execute(statement, params or {})).all()

    async def read(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run read-only code that takes the session (e.g. the health inputs of a batch)."""
        async with self.lock:
            return await work(self.session)

    async def run(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """Run an action on the session, inside a savepoint: a domain error undoes its writes."""
        async with self.lock:
            async with self.session.begin_nested():
                return await work(self.session)


@dataclass
class Context:
    services: Services
    db: Db
    principal: Principal | None
    client_address: str = ""
    loaders: dict[Hashable, DataLoader] = field(default_factory=dict)
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

    def loader(self, name: Hashable, batch: Callable[[list], Awaitable[list]]) -> DataLoader:
        """The request's DataLoader called `name`, created on first use."""
        found = self.loaders.get(name)
        if found is None:
            found = self.loaders[name] = DataLoader(load_fn=batch)
        return found


Info = StrawberryInfo[Context, None]
