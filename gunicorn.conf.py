"""gunicorn configuration for ``gunicorn app:server`` (values come from the one settings object)."""

from citybrain.server import gunicorn_options
from citybrain.settings import get_settings

_s = get_settings()
globals().update(gunicorn_options(_s.host, _s.port, _s.workers, _s.access_log))
