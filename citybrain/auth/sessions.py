"""Server-side sessions: the cookie holds only a random id; everything else lives here.

One small interface (``Sessions``): a SQLite file beside the store (``<db folder>/sessions.sqlite``,
WAL mode, shared by every worker on the host; ``SessionStore``), or Redis when ``CITYBRAIN_CACHE``
is a ``redis://`` URL (``sessions_redis``, shared by several hosts). Only a SHA-256 of
the id is stored, so the file never holds a usable cookie. A session ends at logout, when its user
is removed or changes role, when its wall token is removed, after ``session_idle_minutes`` without
use and ``session_max_hours`` after sign-in. ``citybrain users sessions NAME [--revoke]`` lists and
ends a user's sessions.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from citybrain.settings import Settings

log = logging.getLogger(__name__)

#: Seconds between two writes of a session's last use (reads never wait on writers in WAL mode).
TOUCH_EVERY = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, role TEXT NOT NULL, via TEXT NOT NULL,
    token_fp TEXT, csrf TEXT NOT NULL, addr TEXT, created REAL NOT NULL, last_seen REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
"""


@dataclass(frozen=True)
class Session:
    """One live session (``id_hash`` identifies it without being usable as a cookie)."""

    id_hash: str
    user: str
    role: str
    via: str
    token_fp: str | None
    csrf: str
    addr: str | None
    created: float
    last_seen: float


def session_id_hash(sid: str) -> str:
    """What a store keeps of a session id."""
    return hashlib.sha256(sid.encode()).hexdigest()


def fingerprint(secret: str) -> str:
    """A stable, non-reversible name of a wall token."""
    return hashlib.sha256(b"wall-token:" + secret.encode()).hexdigest()[:32]


class Sessions(Protocol):
    """What the app and the CLI need of a session store."""

    def create(self, user: str, role: str, via: str, addr: str | None, token_fp: str | None = None) -> str: ...
    def get(self, sid: str | None) -> Session | None: ...
    def revoke(self, id_hash: str) -> None: ...
    def revoke_sid(self, sid: str) -> None: ...
    def revoke_user(self, user: str) -> int: ...
    def list_user(self, user: str) -> list[Session]: ...


class SessionStore:
    """Sessions in one SQLite file; one connection per thread."""

    def __init__(self, path: Path, idle_s: float, max_s: float) -> None:
        self.path = Path(path)
        self.idle_s, self.max_s = idle_s, max_s
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as c:
            c.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def create(self, user: str, role: str, via: str, addr: str | None, token_fp: str | None = None) -> str:
        """A new session; returns its id (for the cookie only: it is stored hashed)."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        c = self._conn()
        c.execute("DELETE FROM sessions WHERE created < ? OR last_seen < ?", (now - self.max_s, now - self.idle_s))
        c.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?)",
                  (session_id_hash(sid), user, role, via, token_fp, secrets.token_urlsafe(24), addr, now, now))
        return sid

    def get(self, sid: str | None) -> Session | None:
        """The live session of ``sid`` (None when unknown, revoked or timed out); marks it used."""
        if not sid or len(sid) > 128:
            return None
        h = session_id_hash(sid)
        c = self._conn()
        row = c.execute("SELECT * FROM sessions WHERE id_hash = ?", (h,)).fetchone()
        if row is None:
            return None
        s = Session(*row)
        now = time.time()
        if now - s.created > self.max_s or now - s.last_seen > self.idle_s:
            c.execute("DELETE FROM sessions WHERE id_hash = ?", (h,))
            return None
        if now - s.last_seen > TOUCH_EVERY:
            c.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, h))
        return s

    def revoke(self, id_hash: str) -> None:
        self._conn().execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    def revoke_sid(self, sid: str) -> None:
        self.revoke(session_id_hash(sid))

    def revoke_user(self, user: str) -> int:
        """End every session of ``user``; the number ended."""
        return self._conn().execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount

    def list_user(self, user: str) -> list[Session]:
        now = time.time()
        rows = self._conn().execute("SELECT * FROM sessions WHERE user = ? AND created >= ? AND last_seen >= ? "
                                    "ORDER BY created", (user, now - self.max_s, now - self.idle_s)).fetchall()
        return [Session(*r) for r in rows]


def sessions_path(settings: Settings) -> Path:
    return settings.db.parent / "sessions.sqlite"


def open_store(settings: Settings) -> Sessions:
    """The session store of ``settings``: Redis with a ``redis://`` cache, else SQLite beside the store."""
    idle, most = settings.session_idle_minutes * 60.0, settings.session_max_hours * 3600.0
    if settings.cache.startswith(("redis://", "rediss://")):
        from citybrain.auth.sessions_redis import RedisSessionStore

        return RedisSessionStore(settings.cache, idle, most)
    return SessionStore(sessions_path(settings), idle, most)
