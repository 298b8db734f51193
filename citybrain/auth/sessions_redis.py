"""Server-side sessions in Redis, for several hosts (chosen when ``CITYBRAIN_CACHE`` is ``redis://…``).

The same interface and rules as the SQLite store (``sessions.SessionStore``): a hash per session
under ``citybrain:sess:<sha256 of the id>`` whose expiry is the idle timeout (renewed on use, never
past the absolute one), and a set of a user's session hashes under ``citybrain:sess-user:<name>``.
"""

from __future__ import annotations

import secrets
import time

import redis

from citybrain.auth.sessions import TOUCH_EVERY, Session, session_id_hash

PREFIX = "citybrain:sess:"
USER_PREFIX = "citybrain:sess-user:"
FIELDS = ("user", "role", "via", "token_fp", "csrf", "addr", "created", "last_seen")


class RedisSessionStore:
    """Sessions in Redis (``url``), with idle and absolute timeouts in seconds."""

    def __init__(self, url: str, idle_s: float, max_s: float) -> None:
        self.r = redis.Redis.from_url(url, decode_responses=True)
        self.idle_s, self.max_s = idle_s, max_s

    def _ttl(self, created: float, now: float) -> int:
        return max(1, int(min(self.idle_s, created + self.max_s - now)))

    def create(self, user: str, role: str, via: str, addr: str | None, token_fp: str | None = None) -> str:
        sid = secrets.token_urlsafe(32)
        h, now = session_id_hash(sid), time.time()
        rec = {"user": user, "role": role, "via": via, "token_fp": token_fp or "", "csrf": secrets.token_urlsafe(24),
               "addr": addr or "", "created": now, "last_seen": now}
        with self.r.pipeline() as p:
            p.hset(PREFIX + h, mapping=rec).expire(PREFIX + h, self._ttl(now, now))
            p.sadd(USER_PREFIX + user, h).expire(USER_PREFIX + user, int(self.max_s))
            p.execute()
        return sid

    def _load(self, h: str) -> Session | None:
        d = self.r.hgetall(PREFIX + h)
        if not d:
            return None
        return Session(h, d["user"], d["role"], d["via"], d["token_fp"] or None, d["csrf"], d["addr"] or None,
                       float(d["created"]), float(d["last_seen"]))

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 128:
            return None
        s = self._load(session_id_hash(sid))
        now = time.time()
        if s is None or now - s.created > self.max_s or now - s.last_seen > self.idle_s:
            if s is not None:
                self.revoke(s.id_hash)
            return None
        if now - s.last_seen > TOUCH_EVERY:
            self.r.pipeline().hset(PREFIX + s.id_hash, "last_seen", now).expire(
                PREFIX + s.id_hash, self._ttl(s.created, now)).execute()
        return s

    def revoke(self, id_hash: str) -> None:
        user = self.r.hget(PREFIX + id_hash, "user")
        self.r.delete(PREFIX + id_hash)
        if user:
            self.r.srem(USER_PREFIX + user, id_hash)

    def revoke_sid(self, sid: str) -> None:
        self.revoke(session_id_hash(sid))

    def revoke_user(self, user: str) -> int:
        hashes = self.r.smembers(USER_PREFIX + user)
        n = sum(self.r.delete(PREFIX + h) for h in hashes)
        self.r.delete(USER_PREFIX + user)
        return n

    def list_user(self, user: str) -> list[Session]:
        found = [self._load(h) for h in self.r.smembers(USER_PREFIX + user)]
        return sorted((s for s in found if s is not None), key=lambda s: s.created)
