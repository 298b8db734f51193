"""Feed tokens: a named bearer token per pushing system, good for one dataset, stored as a SHA-256.

A token is 32 random bytes (``cbf_`` + URL-safe base64), so a plain hash is enough to keep it
unusable if the database leaks; the clear token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from citybrain.ops.db import ensure, write
from citybrain.ops.tables import feed_tokens
from citybrain.semantics.freshness import clock

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DATASET = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")  # as citybrain.feeds.pipeline.DATASET_NAME
PREFIX = "cbf_"


@dataclass(frozen=True)
class FeedToken:
    """A stored feed token (without the secret)."""

    name: str
    dataset: str
    created_at: datetime
    last_used_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def add(engine: Engine, name: str, dataset: str) -> str:
    """Create the token ``name`` for ``dataset`` (ValueError if the name is bad or taken); return it."""
    if not NAME.match(name):
        raise ValueError(f"feed name {name!r}: letters, digits, '.', '_' and '-' only (at most 64)")
    if not DATASET.match(dataset):
        raise ValueError(f"dataset {dataset!r}: lower-case letters, digits, '-' and '_' only")
    token = PREFIX + secrets.token_urlsafe(32)
    with write(ensure(engine)) as conn:
        if conn.execute(select(feed_tokens.c.name).where(feed_tokens.c.name == name)).first():
            raise ValueError(f"a feed named {name!r} exists already (remove it first)")
        conn.execute(feed_tokens.insert().values(name=name, dataset=dataset, token_sha256=digest(token),
                                                 created_at=clock()))
    return token


def remove(engine: Engine, name: str) -> bool:
    """Remove the token ``name``; False when there is none."""
    with write(ensure(engine)) as conn:
        return conn.execute(delete(feed_tokens).where(feed_tokens.c.name == name)).rowcount > 0


def listing(engine: Engine) -> list[FeedToken]:
    """Every feed token, by name."""
    with ensure(engine).connect() as conn:
        rows = conn.execute(select(feed_tokens.c.name, feed_tokens.c.dataset, feed_tokens.c.created_at,
                                   feed_tokens.c.last_used_at).order_by(feed_tokens.c.name)).all()
    return [FeedToken(*r) for r in rows]


def verify(engine: Engine, token: str) -> FeedToken | None:
    """The feed a presented token belongs to (None when it is unknown); notes its use."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    h = digest(token)
    with write(ensure(engine)) as conn:
        row = conn.execute(select(feed_tokens.c.name, feed_tokens.c.dataset, feed_tokens.c.created_at,
                                  feed_tokens.c.last_used_at).where(feed_tokens.c.token_sha256 == h)).first()
        if row is None:
            return None
        conn.execute(update(feed_tokens).where(feed_tokens.c.token_sha256 == h).values(last_used_at=clock()))
    return FeedToken(*row)
