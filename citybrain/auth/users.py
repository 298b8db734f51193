"""Local users: a JSON file of names, roles and scrypt password hashes (never plain passwords)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9_.\-@\u4e00-\u9fff]{1,64}$")
# scrypt cost: N=2^15, r=8, p=1 (~32 MiB, ~0.1 s): OWASP's recommended floor for scrypt.
_N, _R, _P = 2**15, 8, 1


_EQUALISER: list[str] = []


def _equaliser() -> str:
    """A hash to check unknown names against (computed once per process)."""
    if not _EQUALISER:
        _EQUALISER.append(hash_password(secrets.token_hex(16)))
    return _EQUALISER[0]


@dataclass(frozen=True)
class User:
    name: str
    role: str
    department: str | None = None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=64 * 1024 * 1024, dklen=32)
    return "scrypt${}${}${}${}${}".format(_N, _R, _P, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=64 * 1024 * 1024, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


class UserStore:
    """Users in one JSON file, written atomically with owner-only permissions."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def add(self, name: str, role: str, password: str, roles: list[str], department: str | None = None) -> None:
        if not _NAME.match(name):
            raise ValueError("user name: letters, digits, Chinese characters and _ . - @ (at most 64)")
        if role not in roles:
            raise ValueError(f"role must be one of {', '.join(roles)}")
        if len(password) < 10:
            raise ValueError("password must have at least 10 characters")
        if department is not None and not _NAME.match(department):
            raise ValueError("department: letters, digits, Chinese characters and _ . - @ (at most 64)")
        if role == "handler" and not department:
            raise ValueError("a handler needs a department (--department)")
        data = self._read()
        data[name] = {"role": role, "password": hash_password(password)}
        if department:
            data[name]["department"] = department
        self._write(data)

    def remove(self, name: str) -> bool:
        data = self._read()
        if name not in data:
            return False
        del data[name]
        self._write(data)
        return True

    def list(self) -> list[User]:
        return [User(n, u["role"], u.get("department")) for n, u in sorted(self._read().items())]

    def verify(self, name: str, password: str) -> User | None:
        u = self._read().get(name)
        if u is None:
            verify_password(password, _equaliser())  # one hash either way: the time tells nothing
            return None
        return User(name, u["role"], u.get("department")) if verify_password(password, u["password"]) else None

    def role_of(self, name: str) -> str | None:
        u = self._read().get(name)
        return u["role"] if u else None


class UserDirectory:
    """Roles of the local users, read again only when the users file changes (checked per call)."""

    def __init__(self, path: Path) -> None:
        self.store = UserStore(path)
        self._stamp: tuple[int, int] | None = None
        self._roles: dict[str, str] = {}
        self._departments: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def role_of(self, name: str) -> str | None:
        try:
            st = self.store.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            return None
        with self._lock:
            if stamp != self._stamp:
                users = self.store.list()
                self._roles = {u.name: u.role for u in users}
                self._departments = {u.name: u.department for u in users}
                self._stamp = stamp
            return self._roles.get(name)

    def department_of(self, name: str) -> str | None:
        """A handler's department (read with the roles, from the same file)."""
        self.role_of(name)
        with self._lock:
            return self._departments.get(name)
