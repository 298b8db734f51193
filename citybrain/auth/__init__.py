"""Authentication, roles and data classification (分类分级, 分权限).

- ``roles``      which role sees which classification and may export
- ``users``      local users with scrypt password hashes (``citybrain users …``)
- ``identity``   who is calling: session (local), SSO header from trusted proxies, wall token
- ``guard``      the before/after-request hooks: refuse anonymous callers, deny and log, headers
- ``login``      the login and logout pages (local mode)
"""

from citybrain.auth.guard import install  # noqa: F401
