"""One transaction per request, bound to the caller: what every handler runs its use case in.

The session is bound to the caller's context (``registry.privacy.access.bind``), so the core
enforces the caller's role and scope; a refusal rolls the whole transaction back (only the
durable audit entry of the refusal is kept, written by the core).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from registry.context import Context
from registry.privacy import access
from service.auth import authenticate, basic_scheme, bearer_scheme

T = TypeVar("T")


async def _caller(
    request: Request,
    _basic: Annotated[object, Depends(basic_scheme)] = None,
    _bearer: Annotated[object, Depends(bearer_scheme)] = None,
) -> Context:
    return await authenticate(request)


Caller = Annotated[Context, Depends(_caller)]


def run(request: Request, ctx: Context, work: Callable[[Session, Context], T]) -> T:
    """``work(session, ctx)`` in one transaction bound to ``ctx``; committed if it returns."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions.begin() as session:
        access.bind(session, ctx)
        return work(session, ctx)
