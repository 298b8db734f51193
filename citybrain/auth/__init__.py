"""Authentication, roles and data classification (分类分级, 分权限).

- ``roles``      which role sees which classification; the staff and wall role sets
- ``policy``     who may call each route and each Dash callback (undeclared: denied)
- ``dashreq``    the body of a Dash callback request, read defensively
- ``bulk``       the one bulk-read rule per role (JSON pages, file exports)
- ``users``      local users with scrypt password hashes (``citybrain users …``)
- ``sessions``   server-side sessions (SQLite beside the store; ``sessions_redis`` with a Redis cache)
- ``throttle``   sign-in token buckets per user name and per address
- ``tokens``     users' bearer tokens for scripts (``citybrain users token``), hashed in the ops database
- ``identity``   who is calling: bearer token, session, wall token, SSO header (``sso``), or auth off
- ``csrf``       the CSRF token every session-cookie write carries (``X-CSRFToken``)
- ``guard``      the before/after-request hooks: identify, decide, deny and audit, headers
- ``login``      the sign-in and sign-out pages (local mode)
"""

from citybrain.auth.guard import install  # noqa: F401
